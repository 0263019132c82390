/**
 * Feedback queries on a named sparse vector (recommend average_vector /
 * best_score / sum_scores, discover, context, relevance_feedback), through
 * the real client over real HTTP (responses schema-checked). Qdrant scores
 * them on a sparse storage with SparseCustomQueryScorer: every point holding
 * the vector, its similarity to an example being the sparse dot product, 0
 * when they share no index; the formulas are those of the dense queries
 * (test/store/feedback-queries.test.ts). Worked by hand:
 *
 *   id  t               sfs(x) = (x / (1 + |x|) + 1) / 2, fs(x) = x / (1 + |x|)
 *   1   {1: 1}
 *   2   {1: 2, 2: 1}
 *   3   {2: 3}
 *   4   {3: 1}
 *   5   — (not scored)
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectScores, type Harness, harness } from "./helpers.js";

let h: Harness;
const sv = (pairs: Record<number, number>) => ({ indices: Object.keys(pairs).map(Number), values: Object.values(pairs) });
const POINTS = [
  { id: 1, vector: { t: sv({ 1: 1 }) } },
  { id: 2, vector: { t: sv({ 1: 2, 2: 1 }) } },
  { id: 3, vector: { t: sv({ 2: 3 }) } },
  { id: 4, vector: { t: sv({ 3: 1 }) } },
  { id: 5, vector: {} },
];

beforeAll(async () => {
  h = await harness("sparse-feedback");
  await h.client.createCollection("s", { sparse_vectors: { t: {} } });
  await h.client.createCollection("i", { sparse_vectors: { t: { modifier: "idf" } } });
  for (const c of ["s", "i"]) await h.client.upsert(c, { wait: true, points: POINTS });
});
afterAll(async () => {
  await h.stop();
});

const query = (query: unknown, col = "s") => h.client.query(col, { using: "t", query } as never);

describe("feedback queries on a sparse vector", () => {
  it("recommend best_score and sum_scores, examples by id left out", async () => {
    // positive 1, negative 3: point 2 → sims 2 and 3, point 4 → 0 and 0
    // best_score: 2 → −sfs(3) = −0.875 (the negative is closer), 4 → −sfs(0) = −0.5 (a tie is not closer)
    expectScores(await query({ recommend: { positive: [1], negative: [3], strategy: "best_score" } }), [[4, -0.5], [2, -0.875]]);
    // sum_scores: 2 → 2 − 3 = −1, 4 → 0
    expectScores(await query({ recommend: { positive: [1], negative: [3], strategy: "sum_scores" } }), [[4, 0], [2, -1]]);
  });

  it("recommend average_vector: the mean of the positives, 2·mean(pos) − mean(neg) with negatives, then nearest", async () => {
    // mean({1: 1}, {2: 2}) = {1: 0.5, 2: 1}: 3 → 3, 2 → 0.5·2 + 1 = 2; 4 shares no index; 1 is an example
    expectScores(await query({ recommend: { positive: [1, sv({ 2: 2 })] } }), [[3, 3], [2, 2]]);
    // − {1: 1}: {1: 2·0.5 − 1 = 0, 2: 2}: 3 → 6, 2 → 2
    expectScores(await query({ recommend: { positive: [1, sv({ 2: 2 })], negative: [sv({ 1: 1 })] } }), [[3, 6], [2, 2]]);
  });

  it("discover: pair ranks plus sfs(target)", async () => {
    // target {1: 1, 3: 1}, pair (+{1: 1}, −{2: 1}):
    // 1: +1 (1 > 0) + sfs(1) = 1.75; 2: +1 (2 > 1) + sfs(2) = 1.833333; 3: −1 (0 < 3) + sfs(0) = −0.5; 4: 0 + sfs(1) = 0.75
    const r = await query({ discover: { target: sv({ 1: 1, 3: 1 }), context: [{ positive: sv({ 1: 1 }), negative: sv({ 2: 1 }) }] } });
    expectScores(r, [[2, 1.833333], [1, 1.75], [4, 0.75], [3, -0.5]]);
  });

  it("context: Σ fs(min(sim(p) − sim(n) − ε, 0))", async () => {
    // pair (+{2: 1}, −{1: 2}): 3 → 0 (3 > 0); 4 → fs(−ε) ≈ −1.19e-7; 1 → fs(−2) = −2/3; 2 → fs(1 − 4) = −0.75
    const r = await query({ context: [{ positive: sv({ 2: 1 }), negative: sv({ 1: 2 }) }] });
    expectScores(r, [[3, 0], [4, 0], [1, -2 / 3], [2, -0.75]]);
  });

  it("relevance_feedback naive: a·sim(target) + Σ c·(s_p − s_n)^b·(sim(p) − sim(n))", async () => {
    // target {1: 2}; feedback {2: 1} scored 1, {3: 1} scored 0: one pair, weight 1
    // 1 → 2 + (0 − 0) = 2; 2 → 4 + (1 − 0) = 5; 3 → 0 + (3 − 0) = 3; 4 → 0 + (0 − 1) = −1
    const r = await query({
      relevance_feedback: { target: sv({ 1: 2 }), feedback: [{ example: sv({ 2: 1 }), score: 1 }, { example: sv({ 3: 1 }), score: 0 }], strategy: { naive: { a: 1, b: 1, c: 1 } } },
    });
    expectScores(r, [[2, 5], [3, 3], [1, 2], [4, -1]]);
  });

  it("with the idf modifier the examples are weighted by idf first", async () => {
    // N = 4: df(1) = df(2) = 2 → ln 2; df(3) = 1 → ln(10/3) = 1.203973
    // sum_scores, positive {1: 1, 3: 1} → {1: ln 2, 3: 1.203973}, negative {2: 2} → {2: 2 ln 2}
    // 4 → 1.203973; 1 → 0.693147; 2 → 2 ln 2 − 2 ln 2 = 0; 3 → −6 ln 2 = −4.158883
    const r = await query({ recommend: { positive: [sv({ 1: 1, 3: 1 })], negative: [sv({ 2: 2 })], strategy: "sum_scores" } }, "i");
    expectScores(r, [[4, 1.203973], [1, 0.693147], [2, 0], [3, -4.158883]]);
  });

  it("still refuses mmr on a sparse vector, and a dense example there", async () => {
    const post = (body: unknown) => h.raw("POST", "/collections/s/points/query", { using: "t", ...(body as object) });
    const a = await post({ query: { nearest: sv({ 1: 1 }), mmr: { diversity: 0.5 } } });
    expect([a.status, a.json.status.error]).toEqual([400, 'Wrong input: body.query.mmr is not supported on sparse vector "t"']);
    const b = await post({ query: { recommend: { positive: [[1, 0]], strategy: "best_score" } } });
    expect(b.status).toBe(400);
    expect(b.json.status.error).toContain("body.query.recommend.positive[0]");
  });
});
