import { mkdtemp, rm, symlink, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import {
  decodeImage, Encoder, ingest, IngestStrictError, pointIdFromSha256, QdrantStore, sha256Hex, StoreError,
  type IngestEvent,
} from "../../src/index.js";
import { writeImageFixtures, type BadImage, type GoodImage } from "../fixtures/images/make.js";
import { type IngestRig, startIngestRig, type TestStore } from "./store.js";

let tmp: string, dir: string;
let good: GoodImage[], bad: BadImage[];
let rig: IngestRig;
let server: TestStore;
let store: QdrantStore;
let encoder: Encoder;
const name = (s: string) => `${s}-${process.pid}`;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-ingest-"));
  dir = join(tmp, "images");
  ({ good, bad } = await writeImageFixtures(dir));
  // a duplicate (same bytes, another name) and a symlink loop
  await copyFile(join(dir, "a/one.png"), join(dir, "b/one-again.png"));
  await symlink(dir, join(dir, "a", "loop"));
  rig = await startIngestRig(join(tmp, "store"));
  ({ server, store, encoder } = rig);
});
afterAll(async () => {
  await rig?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("ingest", () => {
  it("stores every valid image once, with id from its bytes and the payload, and lists bad files", async () => {
    const events: IngestEvent[] = [];
    const collection = name("fixtures");
    const s = await ingest({ dir, collection, model: encoder, store, batchSize: 3, workers: 2, onProgress: (e) => events.push(e) });
    expect(s.created).toBe(true);
    expect(s.ingested).toBe(good.length);
    expect(s.duplicates).toBe(1);
    expect(s.alreadyPresent).toBe(0);
    expect(s.skipped.map((k) => [k.path, k.reason])).toEqual(bad.map((b) => [b.rel, b.reason]).sort());
    expect(s.files).toBe(good.length + bad.length + 1);
    expect(await store.count(collection)).toBe(good.length);

    for (const g of good) {
      const bytes = await readFile(join(dir, g.rel));
      const sha = sha256Hex(bytes);
      const [p] = await store.retrieve(collection, [pointIdFromSha256(sha)], { withVector: true });
      expect(p, g.rel).toBeDefined();
      const label = g.rel.includes("/") ? g.rel.split("/")[0] : undefined;
      expect(p!.payload).toEqual({
        path: g.rel === "a/one.png" ? expect.stringMatching(/^(a\/one\.png|b\/one-again\.png)$/) : g.rel,
        ...(label ? { label: expect.any(String) } : {}), sha256: sha,
        width: g.width, height: g.height, model: "fashion-mnist-triplet-64",
      });
      expect(p!.vector).toHaveLength(64);
    }
    // the stored vector is the encoder's embedding of the decoded, preprocessed image
    const bytes = await readFile(join(dir, "b/five.tiff"));
    const want = await encoder.embed([encoder.preprocess(await decodeImage(bytes))]);
    const [p] = await store.retrieve(collection, [pointIdFromSha256(sha256Hex(bytes))], { withVector: true });
    p!.vector!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const statuses = new Set(events.map((e) => e.status));
    expect([...statuses].sort()).toEqual(["done", "progress", "skip", "start"]);
    expect(events.filter((e) => e.status === "skip")).toHaveLength(bad.length);
  });

  it("resumes: a second run embeds nothing; --force re-embeds everything", async () => {
    const collection = name("fixtures");
    const again = await ingest({ dir, collection, model: encoder, store, workers: 1 });
    expect([again.created, again.ingested, again.alreadyPresent, again.duplicates]).toEqual([false, 0, good.length, 1]);
    const forced = await ingest({ dir, collection, model: encoder, store, workers: 1, force: true });
    expect([forced.ingested, forced.alreadyPresent]).toEqual([good.length, 0]);
    expect(await store.count(collection)).toBe(good.length);
  });

  it("with strict, stores every valid image and then throws with the summary", async () => {
    const collection = name("strict");
    const err = await ingest({ dir, collection, model: encoder, store, workers: 1, strict: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestStrictError);
    expect((err as IngestStrictError).summary.ingested).toBe(good.length);
    expect((err as Error).message).toMatch(new RegExp(`^${bad.length} file\\(s\\) could not be ingested: `));
    expect(await store.count(collection)).toBe(good.length);
  });

  it("refuses a collection whose size or distance differs from the model", async () => {
    const collection = name("other");
    await store.ensureCollection({ name: collection, size: 32, distance: "Cosine" });
    await expect(ingest({ dir, collection, model: encoder, store })).rejects.toThrow(
      `collection "${collection}" at ${server.url} has vectors of size 32 (Cosine) but the model outputs 64 (Euclid); use --collection with a new name or --model that matches.`);
  });

  it("finds neighbours by id and by vector through the Query API", async () => {
    const collection = name("fixtures");
    const id = pointIdFromSha256(sha256Hex(await readFile(join(dir, "b/five.tiff"))));
    const [self] = await store.retrieve(collection, [id], { withVector: true });
    const byVector = await store.nearest({ collection, vector: self!.vector!, limit: 3, withVector: true });
    expect(byVector[0]!.id).toBe(id);
    expect(byVector[0]!.score).toBeCloseTo(0, 4);
    const byId = await store.nearest({ collection, id, limit: 3 });
    expect(byId.map((h) => h.id)).not.toContain(id);
    const onlyB = await store.nearest({ collection, id, limit: 10, filter: { must: [{ key: "label", match: { value: "b" } }] } });
    expect(onlyB.every((h) => h.payload?.label === "b")).toBe(true);
  });

  it("fails clearly, after bounded retries, when the store cannot be reached", async () => {
    const err = await QdrantStore.connect({ url: "http://127.0.0.1:9", retries: 2, backoffMs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/^Qdrant at http:\/\/127\.0\.0\.1:9: connect failed after 3 tries: .*check that Qdrant is running and QDRANT_URL is right$/);
    await expect(QdrantStore.connect({ url: "localhost:6333" })).rejects.toThrow(/is not an http\(s\) URL/);
  });

  it("refuses bad options and folders", async () => {
    await expect(ingest({ dir, collection: "bad name", model: encoder, store })).rejects.toThrow(/collection name "bad name" must be/);
    await expect(ingest({ dir, collection: "x", model: encoder, store, batchSize: 0 })).rejects.toThrow("ingest: batchSize must be an integer in [1, 4096], got 0");
    await expect(ingest({ dir: join(tmp, "nope"), collection: "x", model: encoder, store })).rejects.toThrow(/cannot be opened \(ENOENT\)/);
  });
});
