import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_PARAMS, DEFAULT_STRATEGY, Encoder, evaluate, InputError, ingest, Kernels, QdrantStore, search, writeReport, type PointId,
} from "../../src/index.js";
import { refDistances, refRerank } from "../../src/kernels/reference.js";
import { quantize } from "../../src/eval/lossy.js";
import { startTestStore, type TestStore } from "../ingest/store.js";

const MODEL = "models/fashion-mnist-triplet-64.json";
const PER_CLASS = 8;
const collection = `search-${process.pid}`;
let tmp: string, dir: string, server: TestStore, store: QdrantStore, encoder: Encoder, kernels: Kernels;
/** Every stored point, read back through the client: the independent expectation. */
let points: Array<{ id: PointId; vector: number[]; label: string; path: string }>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-search-"));
  dir = join(tmp, "images");
  for (const label of (await readdir("samples/fashion-mnist", { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)) {
    await mkdir(join(dir, label), { recursive: true });
    for (const f of (await readdir(join("samples/fashion-mnist", label))).sort().slice(0, PER_CLASS)) {
      await cp(join("samples/fashion-mnist", label, f), join(dir, label, f));
    }
  }
  server = await startTestStore(join(tmp, "store"));
  store = await QdrantStore.connect({ url: server.url, apiKey: server.apiKey });
  encoder = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
  kernels = await Kernels.load();
  await ingest({ dir, collection, model: encoder, store });
  points = [];
  for await (const page of store.scroll(collection, { withVector: true })) {
    for (const p of page) points.push({ id: p.id, vector: p.vector!, label: String(p.payload!.label), path: String(p.payload!.path) });
  }
});
afterAll(async () => {
  await encoder?.close();
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Brute-force nearest ids by squared L2 in plain JS, ties by the order given. */
function bruteForce(q: ArrayLike<number>, pool = points, exclude?: PointId) {
  const cand = pool.filter((p) => p.id !== exclude);
  const d = refDistances(Float32Array.from(q), Float32Array.from(cand.flatMap((p) => p.vector)), q.length);
  return cand.map((p, i) => ({ id: p.id, d: d[i]! })).sort((a, b) => a.d - b.d);
}

describe("search", () => {
  it("an image finds itself first, then its brute-force neighbours", async () => {
    expect(points.length).toBe(10 * PER_CLASS);
    const p = points.find((x) => x.path.startsWith("coat/"))!;
    const r = await search({ store, collection, encoder, query: { image: join(dir, p.path) }, k: 5 });
    expect(r.hits[0]!.id).toBe(p.id);
    expect(r.hits[0]!.label).toBe("coat");
    expect(r.hits.map((h) => h.id)).toEqual(bruteForce(p.vector).slice(0, 5).map((x) => x.id));
  });

  it("an id query leaves the point out; exact re-rank of an oversampled pool keeps the exact order", async () => {
    const p = points[17]!;
    const want = bruteForce(p.vector, points, p.id).slice(0, 7).map((x) => x.id);
    const plain = await search({ store, collection, query: { id: p.id }, k: 7 });
    expect(plain.hits.map((h) => h.id)).toEqual(want);
    const exact = await search({ store, collection, query: { id: p.id }, k: 7, rerank: "exact", oversample: 3 });
    expect(exact.candidates).toBe(21);
    expect(exact.hits.map((h) => h.id)).toEqual(want);
    expect(exact.hits[0]!.score).toBeCloseTo(-bruteForce(p.vector, points, p.id)[0]!.d, 4);
  });

  it("with marks, the triplet and contrastive strategies score recommend's pool as the reference does", async () => {
    const q = points[3]!;
    const pos = points[40]!;
    const neg = points[60]!;
    // the pool is Qdrant's recommend answer (200 asked, 77 exist); recompute its scores independently
    const pool = await store.recommend({ collection, positive: [q.id, pos.id], negative: [neg.id], limit: 200, withVector: true });
    expect(pool.length).toBe(points.length - 3);
    const cand = Float32Array.from(pool.flatMap((h) => h.vector!));
    const d2 = refDistances(Float32Array.from(q.vector), cand, q.vector.length).map((x) => x).sort();
    const median = (d2[(d2.length - 1) / 2]!); // 77 candidates: the middle one
    for (const mode of ["triplet", "contrastive"] as const) {
      const r = await search({ store, collection, query: { id: q.id }, positives: [{ id: pos.id }], negatives: [{ id: neg.id }], k: 5, strategy: mode });
      expect(r.strategy).toBe(mode);
      // the contrastive margin: contrastiveMargin × the pool's median distance to the query
      const m = DEFAULT_PARAMS.contrastiveMargin * Math.sqrt(median);
      const scores = refRerank(mode, Float32Array.from(q.vector), cand, q.vector.length, Float32Array.from(pos.vector), Float32Array.from(neg.vector), m);
      const order = pool.map((h, i) => ({ id: h.id, s: scores[i]! })).sort((a, b) => b.s - a.s).slice(0, 5);
      expect(r.hits.map((h) => h.id)).toEqual(order.map((o) => o.id));
      r.hits.forEach((h, i) => expect(h.score).toBeCloseTo(order[i]!.s, 3));
    }
    // the legacy --rerank names pick the same strategies
    const legacy = await search({ store, collection, query: { id: q.id }, positives: [{ id: pos.id }], negatives: [{ id: neg.id }], k: 5, rerank: "triplet" });
    expect(legacy.strategy).toBe("triplet");
  });

  it("with marks and no strategy named, the default strategy ranks; Qdrant's strategies return the store's answer", async () => {
    const q = points[3]!;
    const marks = { positives: [{ id: points[40]!.id }], negatives: [{ id: points[60]!.id }] };
    const r = await search({ store, collection, query: { id: q.id }, ...marks, k: 5 });
    expect(r.strategy).toBe(DEFAULT_STRATEGY);
    const best = await search({ store, collection, query: { id: q.id }, ...marks, k: 5, strategy: "best-score" });
    const direct = await store.recommend({ collection, positive: [q.id, points[40]!.id], negative: [points[60]!.id], limit: 5, strategy: "best_score" });
    expect(best.hits.map((h) => [h.id, h.score])).toEqual(direct.map((h) => [h.id, h.score]));
    await expect(search({ store, collection, query: { id: q.id }, ...marks, strategy: "magic" as never })).rejects.toThrow(/unsupported strategy "magic". Should be one of: "plain"/);
  });

  it("a label filter keeps only that label", async () => {
    const r = await search({ store, collection, query: { vector: points[0]!.vector }, k: 5, filter: { must: [{ key: "label", match: { value: "bag" } }] } });
    expect(r.hits.length).toBe(5);
    expect(r.hits.every((h) => h.label === "bag")).toBe(true);
  });

  it("rejects an unknown id, a vector of the wrong size, an unknown collection and a bad mode", async () => {
    await expect(search({ store, collection, query: { id: 123456789 } })).rejects.toThrow(/query id 123456789 is not in collection/);
    await expect(search({ store, collection, query: { vector: [1, 2, 3] } })).rejects.toThrow(/the query vector has 3 values but collection .* stores 64/);
    await expect(search({ store, collection: "nope", query: { vector: [1] } })).rejects.toThrow(/collection "nope" does not exist/);
    await expect(search({ store, collection, query: { vector: [1] }, rerank: "fancy" as never })).rejects.toThrow(InputError);
    await expect(search({ store, collection, query: { image: join(dir, "coat") } })).rejects.toThrow(/search: an image query needs an encoder/);
  });
});

describe("evaluate", () => {
  it("quantizes per dimension to 2^bits levels between its min and max", () => {
    expect(Array.from(quantize(Float32Array.of(0, 10, 1, 30, 0.5, 20, 0.26, 15), 2, 1))).toEqual([0, 10, 1, 30, 1, 30, 0, 10]);
    expect(Array.from(quantize(Float32Array.of(0, 3, 1.2, 1.8), 1, 2))).toEqual([0, 3, 1, 2]);
  });

  it("matches brute-force leave-one-out metrics and writes the report", async () => {
    const r = await evaluate({ store, collection, queries: "all", ks: [1, 5], rerank: ["none", "exact"], steer: true, steerQueries: 20, steerStrategies: ["plain", "average-vector", "kde"], sample: 80, lossyBits: 2, kernels });
    const labelOf = (id: PointId) => points.find((x) => x.id === id)!.label;
    const p1 = points.filter((p) => labelOf(bruteForce(p.vector, points, p.id)[0]!.id) === p.label).length;
    expect(r.queries).toBe(points.length);
    expect(r.embedding.precisionAt1).toBeCloseTo(p1 / points.length, 12);
    // the embedded store searches exactly, so its order gives the same P@1
    expect(r.retrieval.modes.none!.precisionAt1).toBeCloseTo(p1 / points.length, 12);
    expect(r.retrieval.modes.exact!.precisionAt1).toBeCloseTo(p1 / points.length, 12);
    expect(r.embedding.depth).toBe(points.length - 1);
    expect(r.statistics.triplets).toBe(10 * PER_CLASS * (PER_CLASS - 1) * 9 * PER_CLASS);
    expect(r.statistics.easy + r.statistics.semiHard + r.statistics.hard).toBe(r.statistics.triplets);
    expect(Object.keys(r.embedding.perLabel).sort()).toEqual(r.labels);
    expect(r.projection.length).toBe(points.length);
    for (const st of r.steering!.settings) expect(st.queries + st.alreadyRight).toBe(20);
    // 8 × 10 candidates hold all 79 other points, so the exact re-rank finds the exact top-10
    expect(r.lossy!.rows.map((x) => x.oversample)).toEqual([1, 2, 4, 8]);
    expect(r.lossy!.rows.at(-1)!.reranked).toBe(1);
    for (const row of r.lossy!.rows) expect(row.reranked).toBeGreaterThanOrEqual(row.firstStage);
    expect((await store.collectionInfo(`${collection}-q2-${process.pid}`))).toBeNull();
    const paths = await writeReport(r, join(tmp, "report"));
    const html = await readFile(paths[2]!, "utf8");
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(await readFile(paths[0]!, "utf8")).embedding.precisionAt1).toBe(r.embedding.precisionAt1);
  });

  it("refuses a collection without labels", async () => {
    const name = `unlabeled-${process.pid}`;
    await store.ensureCollection({ name, size: 2, distance: "Euclid" });
    await store.upsert(name, [{ id: 1, vector: [0, 1] }, { id: 2, vector: [1, 0] }]);
    await expect(evaluate({ store, collection: name })).rejects.toThrow(/has 2 points but none with a label/);
  });
});

describe("the CLI", () => {
  const run = promisify(execFile);
  const cli = (args: string[]) => run("node", ["bin/margin.js", ...args], { env: { ...process.env, QDRANT_URL: server.url } });

  it("search --json prints the hits; an unknown id exits 1; a bad flag exits 2", async () => {
    const p = points[5]!;
    const { stdout } = await cli(["search", "--id", String(p.id), "--collection", collection, "-k", "3", "--json"]);
    const out = JSON.parse(stdout);
    expect(out.hits.map((h: { id: PointId }) => h.id)).toEqual(bruteForce(p.vector, points, p.id).slice(0, 3).map((x) => x.id));
    await expect(cli(["search", "--id", "987654", "--collection", collection])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/not in collection/) });
    await expect(cli(["search", "--id", "1", "--rerank", "best"])).rejects.toMatchObject({ code: 2 });
    await expect(cli(["search"])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/give exactly one query/) });
  });
});
