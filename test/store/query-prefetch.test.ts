/**
 * Multi-stage queries in the embedded store (Qdrant's `prefetch`, rrf and dbsf
 * fusion), through the real client over real HTTP, every response checked
 * against Qdrant's schema. Expectations are worked out by hand from Qdrant's
 * formulas (lib/segment/src/common/reciprocal_rank_fusion.rs, score_fusion.rs).
 *
 * Five Dot points, chosen so the two probe queries rank them apart:
 *   id:        1       2       3       4       5
 *   vector: [3, 0]  [0, 3]  [2, 2]  [4, −1]  [−1, 5]
 *   A=[1,0]:   3       0       2       4      −1     → 4, 1, 3, 2, 5
 *   B=[0,1]:   0       3       2      −1       5     → 5, 2, 3, 1, 4
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbsf, distrNorm, rrf, rrfPositionScore } from "../../src/store/embedded/engine/fusion.js";
import { expectScores, type Harness, harness, ids } from "./helpers.js";

let h: Harness;
const A = [1, 0];
const B = [0, 1];
beforeAll(async () => {
  h = await harness("query-prefetch");
  await h.client.createCollection("d", { vectors: { size: 2, distance: "Dot" } });
  const vs: Record<number, number[]> = { 1: [3, 0], 2: [0, 3], 3: [2, 2], 4: [4, -1], 5: [-1, 5] };
  await h.client.upsert("d", { wait: true, points: Object.entries(vs).map(([id, vector]) => ({ id: Number(id), vector, payload: { odd: Number(id) % 2 === 1 } })) });
});
afterAll(async () => {
  await h.stop();
});


describe("fusion formulas (pure functions)", () => {
  it("rrf position scores: 1 / (p + k) at weight 1, positions stretched by the weight, nothing at weight 0", () => {
    expect(rrfPositionScore(0, 2)).toBe(1 / 2);
    expect(rrfPositionScore(3, 60)).toBe(1 / 63);
    expect(rrfPositionScore(0, 2, 2)).toBeCloseTo(2 / 3, 12); // 1 / (1/2 + 1)
    expect(rrfPositionScore(2, 2, 2)).toBeCloseTo(0.4, 12); // 1 / (3/2 + 1)
    expect(rrfPositionScore(0, 2, 0)).toBe(0);
    const fused = rrf([[{ row: 7, score: 9 }, { row: 8, score: 1 }], [{ row: 8, score: 0 }]], 1);
    expect(fused).toEqual([{ row: 8, score: 1.5 }, { row: 7, score: 1 }]);
  });
  it("distr_norm maps mean ± 3 sample standard deviations to 0..1", () => {
    expect(distrNorm([4, 3, 2])).toEqual([4 / 6, 3 / 6, 2 / 6]); // mean 3, s = 1: min 0, max 6
    expect(distrNorm([5])).toEqual([0.5]);
    expect(distrNorm([2, 2, 2])).toEqual([0.5, 0.5, 0.5]);
    expect(distrNorm([])).toEqual([]);
    const d = dbsf([[{ row: 1, score: 5 }, { row: 2, score: 3 }], [{ row: 2, score: 1 }]]);
    expect(d[0]!.row).toBe(2); // 0.5 − 1/(6√2) + 0.5 beats 0.5 + 1/(6√2)
    expect(d[0]!.score).toBeCloseTo(1 - 1 / (6 * Math.SQRT2), 6);
  });
});

describe("prefetch with re-scoring", () => {
  it("the outer query scores only the prefetch's candidates", async () => {
    // A's top 3 = {4, 1, 3}; by B: 3 → 2, 1 → 0, 4 → −1 (5 and 2 would beat them all but were not fetched)
    const r = await h.client.query("d", { prefetch: { query: A, limit: 3 }, query: B });
    expectScores(r, [[3, 2], [1, 0], [4, -1]]);
  });
  it("a list of prefetches pools its candidates; the outer limit and offset cut the answer", async () => {
    // A's top 1 = {4}, B's top 1 = {5}; by A: 4 → 4, 5 → −1
    const r = await h.client.query("d", { prefetch: [{ query: A, limit: 1 }, { query: B, limit: 1 }], query: A });
    expectScores(r, [[4, 4], [5, -1]]);
    const cut = await h.client.query("d", { prefetch: [{ query: A, limit: 3 }], query: A, limit: 1, offset: 1 });
    expectScores(cut, [[1, 3]]);
  });
  it("nests: each stage re-scores the one below", async () => {
    // A's top 4 = {4, 1, 3, 2}; by B, top 2: 2 → 3, 3 → 2; by A: 3 → 2, 2 → 0
    const r = await h.client.query("d", { prefetch: { prefetch: { query: A, limit: 4 }, query: B, limit: 2 }, query: A });
    expectScores(r, [[3, 2], [2, 0]]);
  });
  it("the outer filter applies to every prefetch", async () => {
    // odd ids {1, 3, 5}: A's top 2 among them = {1, 3}; by B: 3 → 2, 1 → 0
    const r = await h.client.query("d", { prefetch: { query: A, limit: 2 }, query: B, filter: { must: [{ key: "odd", match: { value: true } }] } });
    expectScores(r, [[3, 2], [1, 0]]);
  });
  it("a prefetch's own filter stays inside it", async () => {
    // even ids {2, 4}; by A: 4 → 4, 2 → 0
    const r = await h.client.query("d", { prefetch: { query: B, filter: { must: [{ key: "odd", match: { value: false } }] } }, query: A });
    expectScores(r, [[4, 4], [2, 0]]);
  });
  it("a point given by id is left out of every stage", async () => {
    // by 4's vector [4, −1]: 1 → 12, 3 → 6, 2 → −3 (4 itself excluded); the outer A would put 4 first if it were there
    const r = await h.client.query("d", { prefetch: { query: 4, limit: 3 }, query: A });
    expectScores(r, [[1, 3], [3, 2], [2, 0]]);
  });
  it("score_threshold at the outer stage", async () => {
    const r = await h.client.query("d", { prefetch: { query: A, limit: 5 }, query: B, score_threshold: 0 });
    expectScores(r, [[5, 5], [2, 3], [3, 2], [1, 0]]);
  });
});

describe("fusion", () => {
  it("rrf with k and weights", async () => {
    // A (weight 2) → [4, 1, 3]: 2/3, 1/2, 2/5; B (weight 1) → [5, 2, 3, 1]: 1/2, 1/3, 1/4, 1/5
    const r = await h.client.query("d", {
      prefetch: [{ query: A, limit: 3 }, { query: B, limit: 4 }],
      query: { rrf: { k: 2, weights: [2, 1] } },
    });
    expectScores(r, [[1, 0.7], [4, 2 / 3], [3, 0.65], [5, 0.5], [2, 1 / 3]]);
  });
  it("rrf by name uses k = 2; equal scores come in any order", async () => {
    // A → [4, 1, 3], B → [5, 2, 3]: 4, 5 → 1/2; 3 → 1/4 + 1/4; 1, 2 → 1/3
    const r = await h.client.query("d", { prefetch: [{ query: A, limit: 3 }, { query: B, limit: 3 }], query: { fusion: "rrf" } });
    const got = Object.fromEntries(r.points.map((p) => [p.id, p.score]));
    const want: Record<string, number> = { 4: 0.5, 5: 0.5, 3: 0.5, 1: 1 / 3, 2: 1 / 3 };
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [id, s] of Object.entries(want)) expect(got[id]).toBeCloseTo(s, 6); // scores travel as f32
    const scores = r.points.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
  it("dbsf normalizes each list by its mean ± 3 sample standard deviations", async () => {
    // A top 3: scores 4, 3, 2 → mean 3, s 1 → s/6; B top 2: scores 5, 3 → mean 4, s √2 → 1/2 ± 1/(6√2)
    const e = 1 / (6 * Math.SQRT2);
    const r = await h.client.query("d", { prefetch: [{ query: A, limit: 3 }, { query: B, limit: 2 }], query: { fusion: "dbsf" } });
    expectScores(r, [[4, 2 / 3], [5, 0.5 + e], [1, 0.5], [2, 0.5 - e], [3, 1 / 3]]);
    const t = await h.client.query("d", { prefetch: [{ query: A, limit: 3 }, { query: B, limit: 2 }], query: { fusion: "dbsf" }, score_threshold: 0.45 });
    expect(ids(t)).toEqual([4, 5, 1]);
    const off = await h.client.query("d", { prefetch: [{ query: A, limit: 3 }, { query: B, limit: 2 }], query: { fusion: "dbsf" }, offset: 1, limit: 2 });
    expect(ids(off)).toEqual([5, 1]);
  });
  it("fusion inside a prefetch, re-scored above", async () => {
    // the dbsf top 2 = {4, 5}; by B: 5 → 5, 4 → −1
    const r = await h.client.query("d", {
      prefetch: { prefetch: [{ query: A, limit: 3 }, { query: B, limit: 2 }], query: { fusion: "dbsf" }, limit: 2 },
      query: B,
    });
    expectScores(r, [[5, 5], [4, -1]]);
  });
  it("queryBatch runs multi-stage searches", async () => {
    const r = await h.client.queryBatch("d", {
      searches: [
        { prefetch: { query: A, limit: 3 }, query: B },
        { prefetch: [{ query: A, limit: 1 }, { query: B, limit: 1 }], query: { rrf: { k: 1 } } },
      ],
    });
    expect(ids(r[0]!)).toEqual([3, 1, 4]);
    expect(r[1]!.points.map((p) => p.score)).toEqual([1, 1]);
    expect(ids(r[1]!).sort()).toEqual([4, 5]);
  });
});

describe("refusals, as Qdrant words them", () => {
  const post = (body: unknown) => h.raw("POST", "/collections/d/points/query", body);
  it("prefetches without a query", async () => {
    const r = await post({ prefetch: { query: A } });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain("A query is needed to merge the prefetches");
  });
  it("fusion without prefetches", async () => {
    const r = await post({ query: { fusion: "rrf" } });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain("cannot apply Fusion without prefetches");
  });
  it("rrf weights not one per prefetch, k below 1, an unknown fusion", async () => {
    const w = await post({ prefetch: [{ query: A }], query: { rrf: { weights: [1, 2] } } });
    expect(w.status).toBe(400);
    expect(w.json.status.error).toContain("Number of weights in RRF should match number of pre-fetches: got 2, expected 1");
    const k = await post({ prefetch: [{ query: A }], query: { rrf: { k: 0 } } });
    expect(k.status).toBe(400);
    expect(k.json.status.error).toContain("rrf.k");
    const f = await post({ prefetch: [{ query: A }], query: { fusion: "max" } });
    expect(f.status).toBe(400);
    expect(f.json.status.error).toContain('"max"');
  });
  it("a prefetch that is not an object", async () => {
    const r = await post({ prefetch: [3], query: A });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain("body.prefetch[0]");
  });
});
