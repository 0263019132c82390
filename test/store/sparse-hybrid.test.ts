/**
 * Hybrid search in the embedded store: a dense and a sparse prefetch fused
 * by rrf, through the real client over real HTTP (responses schema-checked).
 * Expectations by hand, with Qdrant's rrf: score = Σ 1 / (position + k),
 * positions from 0, k = 2 by default.
 *
 *   id  dense (Dot)  sp
 *   1   [3, 0]       {1: 1}
 *   2   [0, 3]       {1: 2, 2: 2}
 *   3   [2, 2]       —
 *   4   —            {2: 5}
 *
 *   dense [1, 0]:  1 → 3, 3 → 2, 2 → 0           positions 1, 3, 2
 *   sparse {1: 1}: 2 → 2, 1 → 1 (3, 4: no shared index)  positions 2, 1
 *   rrf: 1 → 1/2 + 1/3 = 5/6, 2 → 1/4 + 1/2 = 3/4, 3 → 1/3
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectScores as expectScoresTo, type Harness, harness, type Scored } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness("sparse-hybrid");
  // single-vector mode (an unnamed dense vector) with a sparse one beside it, as Qdrant allows
  await h.client.createCollection("u", { vectors: { size: 2, distance: "Dot" }, sparse_vectors: { sp: { modifier: "none" } } });
  await h.client.createCollection("nm", { vectors: { dense: { size: 2, distance: "Dot" } }, sparse_vectors: { sp: {} } });
  const pts = (dense: string) => [
    { id: 1, vector: { [dense]: [3, 0], sp: { indices: [1], values: [1] } }, payload: { t: "x" } },
    { id: 2, vector: { [dense]: [0, 3], sp: { indices: [2, 1], values: [2, 2] } }, payload: { t: "y" } },
    { id: 3, vector: { [dense]: [2, 2] }, payload: { t: "x" } },
    { id: 4, vector: { sp: { indices: [2], values: [5] } }, payload: { t: "y" } },
  ];
  await h.client.upsert("u", { wait: true, points: pts("") });
  await h.client.upsert("nm", { wait: true, points: pts("dense") });
});
afterAll(async () => {
  await h.stop();
});

const expectScores = (r: Scored, want: Array<[number, number]>) => expectScoresTo(r, want, 6);

describe("hybrid search: dense + sparse prefetches fused by rrf", () => {
  for (const [col, dense] of [["u", ""], ["nm", "dense"]] as const) {
    it(`collection ${col}: the fused order and scores are Qdrant's rrf`, async () => {
      const r = await h.client.query(col, {
        prefetch: [
          { query: [1, 0], ...(dense ? { using: dense } : {}), limit: 3 },
          { query: { indices: [1], values: [1] }, using: "sp", limit: 3 },
        ],
        query: { fusion: "rrf" },
        limit: 10,
      });
      expectScores(r, [[1, 1 / 2 + 1 / 3], [2, 1 / 4 + 1 / 2], [3, 1 / 3]]);
    });
  }

  it("a filter above the prefetches applies to both; rrf k and weights as given", async () => {
    const r = await h.client.query("nm", {
      prefetch: [
        { query: [1, 0], using: "dense", limit: 3 },
        { query: { indices: [1, 2], values: [1, 1] }, using: "sp", limit: 3 },
      ],
      filter: { must: [{ key: "t", match: { value: "y" } }] },
      query: { rrf: { k: 1 } },
    });
    // t = y: points 2 and 4. dense [1, 0]: 2 → 0 (position 0). sparse {1: 1, 2: 1}: 4 → 5, 2 → 4: positions 4, 2
    // rrf k = 1: 2 → 1/1 + 1/2 = 1.5, 4 → 1/1 = 1
    expectScores(r, [[2, 1.5], [4, 1]]);
  });

  it("the sparse stage alone, and a dense re-scoring of sparse candidates", async () => {
    expectScores(await h.client.query("u", { query: { indices: [2], values: [1] }, using: "sp" }), [[4, 5], [2, 2]]);
    // candidates from sparse {2: 1} (4 and 2), re-scored by the dense [0, 1]: 2 → 3; 4 has no dense vector
    expectScores(await h.client.query("nm", { prefetch: { query: { indices: [2], values: [1] }, using: "sp" }, query: [0, 1], using: "dense" }), [[2, 3]]);
  });

  it("single-vector mode answers the unnamed vector as a list only when it is alone", async () => {
    const r = await h.client.retrieve("u", { ids: [1, 3, 4], with_vector: true });
    expect(r.map((p) => p.vector)).toEqual([{ "": [3, 0], sp: { indices: [1], values: [1] } }, [2, 2], { sp: { indices: [2], values: [5] } }]);
    const info = await h.client.getCollection("u");
    expect(info.config.params.vectors).toEqual({ size: 2, distance: "Dot" });
    expect(info.config.params.sparse_vectors).toEqual({ sp: { modifier: "none" } });
  });

  it("recommend on a sparse vector (test/store/sparse-feedback.test.ts has the rest); an unknown query is refused naming what is answered", async () => {
    // the mean of point 1's {1: 1} is itself: 2 → 2 (point 1 is the example; 3 has no sp, 4 no shared index)
    expectScores(await h.client.query("u", { query: { recommend: { positive: [1] } }, using: "sp" }), [[2, 2]]);
    const r = await h.raw("POST", "/collections/u/points/query", { query: { nope: 1 }, using: "sp" });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toMatch(/on sparse vector "sp" the embedded store answers \{"indices", "values"\}, a point id, \{"nearest"\}, \{"recommend"\}/);
  });
});
