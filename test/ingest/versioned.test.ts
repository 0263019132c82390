/**
 * A collection that knows its model, and re-ingesting with a new one: the
 * collection's metadata records the model; `photos` is an alias of a
 * versioned collection; a second model fills its own collection while
 * searches of `photos` keep seeing the old one whole, then switches the alias
 * at once; search refuses a model that is not the collection's, naming both.
 * Real onnxruntime sessions, the real client, the embedded store over HTTP.
 */

import { appendFile, copyFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  collectionModel, Encoder, ingest, InputError, MODEL_METADATA_KEY, modelIdentity, QdrantStore, search,
} from "../../src/index.js";
import { startTestStore, type TestStore } from "./store.js";

const MODEL = "models/fashion-mnist-triplet-64.json";
let tmp: string, dir: string, modelB: string;
let server: TestStore;
let store: QdrantStore;
let a: Encoder, b: Encoder;
const name = `photos-${process.pid}`;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-versioned-"));
  dir = join(tmp, "images");
  // over a hundred images of three classes: enough upserts (batch 4) for searches to run between them
  for (const c of ["bag", "coat", "sneaker"]) await cp(join("samples/fashion-mnist", c), join(dir, c), { recursive: true, filter: (s) => !/t10k-0[4-9]/.test(s) });
  // model B: the same network saved again (an extra doc_string field at the end of the ONNX protobuf): another file, another version
  modelB = join(tmp, "retrained-64.json");
  const card = JSON.parse(await readFile(MODEL, "utf8")) as Record<string, unknown>;
  await writeFile(modelB, JSON.stringify({ ...card, name: "retrained-64", onnx: "retrained-64.onnx" }));
  await copyFile("models/fashion-mnist-triplet-64.onnx", join(tmp, "retrained-64.onnx"));
  await appendFile(join(tmp, "retrained-64.onnx"), Buffer.concat([Buffer.from([0x32, 9]), Buffer.from("retrained")]));
  server = await startTestStore(join(tmp, "store"));
  store = await QdrantStore.connect({ url: server.url, apiKey: server.apiKey });
  a = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
  b = await Encoder.load({ model: modelB, device: "cpu", threads: 1 });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

it("records the model in the collection's metadata and makes the name an alias of a versioned collection", async () => {
  const s = await ingest({ dir, store, collection: name, model: a, batchSize: 4, workers: 1 });
  const idA = await modelIdentity(MODEL, a.card);
  expect(idA.version).toMatch(/^[0-9a-f]{16}$/);
  expect([s.collection, s.target, s.created, s.modelVersion]).toEqual([name, `${name}-v${idA.version.slice(0, 8)}`, true, idA.version]);
  expect(await store.aliasTarget(name)).toBe(s.target);
  const info = await store.collectionInfo(name);
  expect(info!.metadata[MODEL_METADATA_KEY]).toEqual({ name: "fashion-mnist-triplet-64", version: idA.version, preprocessing: a.card.input });
  expect(await collectionModel(store, name)).toEqual(idA);
  // the same model again adds to the same collection
  const again = await ingest({ dir, store, collection: name, model: a, workers: 1 });
  expect([again.target, again.created, again.ingested, again.previous]).toEqual([s.target, false, 0, undefined]);
});

it("refuses a search with another model than the collection's, naming both", async () => {
  const idB = await modelIdentity(modelB, b.card);
  const idA = await modelIdentity(MODEL, a.card);
  expect(idB.version).not.toBe(idA.version);
  const img = join(dir, "bag", (await import("node:fs")).readdirSync(join(dir, "bag"))[0]!);
  const err = await search({ store, collection: name, encoder: b, query: { image: img }, k: 3 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toContain(`collection "${name}" was made by model fashion-mnist-triplet-64 (version ${idA.version})`);
  expect((err as Error).message).toContain(`the model given is retrained-64 (version ${idB.version})`);
  const ok = await search({ store, collection: name, encoder: a, query: { image: img }, k: 3 });
  expect(ok.hits).toHaveLength(3);
});

it("re-ingests with a new model into a new collection and switches the alias when done: searches never see a partial one", async () => {
  const old = await store.aliasTarget(name);
  const total = await store.count(name);
  expect(total).toBeGreaterThan(100);
  const seen: { target: string | undefined; count: number; hits: number }[] = [];
  let partialNew = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      // what a user of the alias sees: its collection whole, old or new
      const [target, count, hits] = await Promise.all([
        store.aliasTarget(name), store.count(name), store.nearest({ collection: name, vector: new Float32Array(64).fill(0.1), limit: 200 }),
      ]);
      seen.push({ target, count, hits: hits.length });
      const fresh = (await store.collectionInfo(`${name}-v${(await modelIdentity(modelB, b.card)).version.slice(0, 8)}`))?.points ?? 0;
      if (fresh > 0 && fresh < total) partialNew++;
    }
  })();
  const s = await ingest({ dir, store, collection: name, model: b, batchSize: 4, workers: 1 });
  done = true;
  await probe;
  expect([s.previous, s.created, s.ingested, s.pruned]).toEqual([old, true, total, []]);
  expect(await store.aliasTarget(name)).toBe(s.target);
  expect(partialNew).toBeGreaterThan(0); // the probe ran while the new collection was half-built...
  for (const x of seen) expect([x.count, x.hits]).toEqual([total, total]); // ...and never saw it through the alias
  const targets = seen.map((x) => x.target);
  expect(targets[0]).toBe(old);
  expect(targets.lastIndexOf(old) < targets.indexOf(s.target) || !targets.includes(s.target)).toBe(true); // one switch, old then new
  expect((await collectionModel(store, name))?.name).toBe("retrained-64");
  expect((await store.collectionInfo(old!))?.points).toBe(total); // kept until --prune
  // back to model A with prune: the alias returns to A's collection (kept, complete) and B's is deleted
  const back = await ingest({ dir, store, collection: name, model: a, workers: 1, prune: true });
  expect([back.target, back.previous, back.pruned, back.created, back.ingested]).toEqual([old, s.target, [s.target], false, 0]);
  expect(await store.collectionInfo(s.target)).toBeNull();
});

it("refuses to switch over a plain collection made by another model", async () => {
  const plain = `plain-${process.pid}`;
  await store.ensureCollection({ name: plain, size: 64, distance: a.card.distance, metadata: { [MODEL_METADATA_KEY]: await modelIdentity(MODEL, a.card) } });
  const err = await ingest({ dir, store, collection: plain, model: b, workers: 1 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(new RegExp(`collection "${plain}" was made by model fashion-mnist-triplet-64 .*, not retrained-64 .*plain collection`));
});
