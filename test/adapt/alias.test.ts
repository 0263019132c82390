/**
 * `margin adapt` on an alias, as ingest makes one: the adapted vectors go
 * into a new versioned collection whose metadata names the adapted model,
 * the alias is switched only when every point is stored (searches running
 * meanwhile always see one whole collection), the old one is kept until
 * --prune, the marks stay with the alias, and a search of the alias uses
 * the adapted model without --model and refuses a mismatching one naming
 * both. The embedded store over HTTP, the built CLI, real onnxruntime.
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  collectionModel, decodeFile, Encoder, identityAdapter, Kernels, listMarks, loadModelCard, MODEL_METADATA_KEY, modelIdentity, QdrantStore,
  shipAdapter, startEmbeddedStore, type RunningStore,
} from "../../src/index.js";
import { margin } from "../helpers/cli.js";
import { DIM, MODEL, N, seedSynthetic } from "./synthetic.js";
const CARD = "models/fashion-mnist-triplet-64.json";
const IMAGE = "samples/fashion-mnist/bag/t10k-00053.png";

describe("margin adapt switches the alias users search", () => {
  let dir: string, storePath: string, home: string;
  let first: string;
  const savedHome = process.env.MARGIN_HOME;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-adapt-alias-"));
    storePath = join(dir, "store");
    home = join(dir, "home");
    process.env.MARGIN_HOME = home; // the CLI children write and find the adapted model under it
    const id = await modelIdentity(CARD, await loadModelCard(CARD));
    first = `synthetic-v${id.version.slice(0, 8)}`;
    await seedSynthetic({ storePath, collection: first, alias: "synthetic", metadata: { [MODEL_METADATA_KEY]: id } });
  }, 180_000);
  afterAll(async () => {
    if (savedHome === undefined) delete process.env.MARGIN_HOME;
    else process.env.MARGIN_HOME = savedHome;
    await rm(dir, { recursive: true, force: true });
  });

  let shipped: { model: string; modelName: string; into: string; previous: string; switched: boolean };
  it("re-embeds into a new versioned collection and switches the alias; the old one and the marks stay", async () => {
    const r = await margin(["adapt", "--collection", "synthetic", "--store", storePath, "--min-held-out", "40", "--kinds", "linear", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    shipped = JSON.parse(r.stdout);
    expect(shipped).toMatchObject({ collection: "synthetic", shipped: true, switched: true, previous: first, pruned: [], points: N });
    expect(shipped.modelName).toMatch(new RegExp(`^${MODEL}\\.synthetic-a[0-9a-f]{8}$`));
    expect(shipped.model).toBe(join(home, "models", `${shipped.modelName}.json`));
    const card = JSON.parse(await readFile(shipped.model, "utf8"));
    const adaptedId = await modelIdentity(shipped.model, card);
    expect(shipped.into).toBe(`synthetic-v${adaptedId.version.slice(0, 8)}`);
    const s = await startEmbeddedStore({ path: storePath, port: 0 });
    try {
      const store = await QdrantStore.connect({ url: s.url });
      expect(await store.aliasTarget("synthetic")).toBe(shipped.into);
      expect(await collectionModel(store, "synthetic")).toEqual(adaptedId);
      expect((await store.collectionInfo(first))?.points).toBe(N); // kept until --prune
      expect((await listMarks(store, "synthetic")).records).toHaveLength(300); // NAME__marks stays with the alias
    } finally {
      await s.close();
    }
    const plain = await margin(["adapt", "--collection", "synthetic", "--store", storePath, "--min-held-out", "40", "--kinds", "linear"]);
    // the recorded marks were made on the base model: the adapted collection has none of its own yet
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(`has no marks made on model "${shipped.modelName}" (300 on "${MODEL}")`);
  }, 180_000);

  it("a search of the alias uses the adapted model without --model and refuses a mismatching one, naming both", async () => {
    const r = await margin(["search", IMAGE, "--collection", "synthetic", "--store", storePath, "-k", "5", "--device", "cpu", "--json", "--no-record"]);
    expect(r.code, r.stderr).toBe(0);
    const hits = (JSON.parse(r.stdout) as { hits: Array<{ id: number; score: number }> }).hits;
    const expected = async (card: string) => {
      const enc = await Encoder.load({ model: card, device: "cpu", threads: 1 });
      try {
        return Array.from(await enc.embed([enc.preprocess(await decodeFile(IMAGE))]));
      } finally {
        await enc.close();
      }
    };
    const adapted = await expected(shipped.model);
    const base = await expected(CARD);
    const s = await startEmbeddedStore({ path: storePath, port: 0 });
    try {
      const store = await QdrantStore.connect({ url: s.url });
      const want = await store.nearest({ collection: shipped.into, vector: adapted, limit: 5 });
      expect(hits.map((h) => h.id)).toEqual(want.map((h) => h.id));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 4));
      const withBase = await store.nearest({ collection: shipped.into, vector: base, limit: 5 });
      expect(Math.abs(withBase[0]!.score - hits[0]!.score)).toBeGreaterThan(1e-3); // the base model would score otherwise
    } finally {
      await s.close();
    }
    const bad = await margin(["search", IMAGE, "--collection", "synthetic", "--store", storePath, "--model", MODEL, "--device", "cpu", "--no-record"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`collection "synthetic" was made by model ${shipped.modelName} (version`);
    expect(bad.stderr).toContain(`the model given is ${MODEL} (version`);
  }, 120_000);

  it("switches while searches run: they always see one whole collection; --prune deletes the old one", async () => {
    const s: RunningStore = await startEmbeddedStore({ path: storePath, port: 0 });
    try {
      const store = await QdrantStore.connect({ url: s.url });
      const kernels = await Kernels.load();
      const before = await store.aliasTarget("synthetic");
      const seen: { target?: string; count: number; hits: number }[] = [];
      let done = false;
      const probe = (async () => {
        while (!done) {
          const [target, count, hits] = await Promise.all([
            store.aliasTarget("synthetic"), store.count("synthetic"), store.nearest({ collection: "synthetic", vector: new Float32Array(DIM).fill(0.1), limit: N }),
          ]);
          seen.push({ target, count, hits: hits.length });
        }
      })();
      // an identity MLP on top of the adapted model: another file, another version, the same vectors
      const r = await shipAdapter({
        store, kernels, adapter: identityAdapter({ kind: "mlp", dim: DIM, hidden: 16, seed: 3 }), collection: "synthetic",
        baseCard: shipped.model, modelsDir: join(home, "models"), prune: true,
      });
      done = true;
      await probe;
      expect([r.switched, r.previous, r.pruned, r.points]).toEqual([true, before, [before], N]);
      expect(await store.aliasTarget("synthetic")).toBe(r.target);
      expect(await store.collectionInfo(before!)).toBeNull();
      expect(seen.length).toBeGreaterThan(2);
      for (const x of seen) expect([x.count, x.hits]).toEqual([N, N]);
      const targets = seen.map((x) => x.target);
      expect(targets[0]).toBe(before);
      expect(targets.lastIndexOf(before) < targets.indexOf(r.target) || !targets.includes(r.target)).toBe(true);
      expect((await collectionModel(store, "synthetic"))?.name).toBe(r.model.name);
    } finally {
      await s.close();
    }
  }, 120_000);
});
