/**
 * Qdrant's feedback queries in the embedded store, through the real client
 * over real HTTP, against scores worked out by hand from Qdrant's formulas
 * (lib/segment/src/vector_storage/query/*.rs): similarity −d² for Euclid,
 * fast_sigmoid(x) = x / (1 + |x|), scaled = (fast_sigmoid + 1) / 2.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bestScore, contextScore, discoverScore, F32_EPSILON, fastSigmoid, feedbackPairs, naiveFeedbackScore, scaledFastSigmoid, sumScores,
} from "../../src/store/embedded/engine/feedback-queries.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
// four points on a plane: squared distances between them are small integers
const POINTS: Record<number, number[]> = { 1: [0, 0], 2: [1, 0], 3: [0, 2], 4: [3, 0] };
beforeAll(async () => {
  h = await harness("feedback");
  await h.client.createCollection("e", { vectors: { size: 2, distance: "Euclid" } });
  await h.client.upsert("e", {
    wait: true,
    points: Object.entries(POINTS).map(([id, v]) => ({ id: Number(id), vector: v, payload: { odd: Number(id) % 2 === 1 } })),
  });
  await h.client.createCollection("d", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("d", { wait: true, points: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 2] }, { id: 3, vector: [-1, 1] }] });
});
afterAll(async () => {
  await h.stop();
});

const scored = (r: { points: Array<{ id: string | number; score: number }> }) => r.points.map((p) => [p.id, p.score] as const);

function expectScores(got: ReadonlyArray<readonly [string | number, number]>, want: Array<[number, number]>) {
  expect(got.map(([id]) => id)).toEqual(want.map(([id]) => id));
  got.forEach(([, s], i) => expect(s).toBeCloseTo(want[i]![1], 5));
}

describe("Qdrant's sigmoids and formulas (pure functions)", () => {
  it("fast_sigmoid and scaled_fast_sigmoid", () => {
    expect(fastSigmoid(0)).toBe(0);
    expect(fastSigmoid(1)).toBe(0.5);
    expect(fastSigmoid(-3)).toBe(-0.75);
    expect(scaledFastSigmoid(0)).toBe(0.5);
    expect(scaledFastSigmoid(-1)).toBe(0.25);
    expect(scaledFastSigmoid(4)).toBe(0.9);
  });
  it("best_score picks the positive only when it beats every negative", () => {
    expect(bestScore([42], [4])).toBe(scaledFastSigmoid(42));
    expect(bestScore([4], [42])).toBe(-scaledFastSigmoid(42));
    expect(bestScore([-1], [0])).toBe(-0.5); // a tie or a closer negative goes negative
    expect(bestScore([1, 2, 3], [4, 5, 6])).toBe(-scaledFastSigmoid(6));
    expect(bestScore([], [2])).toBe(-scaledFastSigmoid(2));
  });
  it("sum_scores, discover and context", () => {
    expect(sumScores([1, 2], [0.5])).toBe(2.5);
    expect(discoverScore(0, [[10, 4], [4, 2]])).toBe(2.5);
    expect(discoverScore(0, [[10, 4], [4, 10]])).toBe(0.5);
    expect(discoverScore(1, [[11, 11]])).toBe(0.75);
    expect(contextScore([[10, 4]])).toBe(0); // positive closer: no loss
    expect(contextScore([[4, 10]])).toBeCloseTo(-6 / 7, 8); // the ε margin moves it by ~1e-9
    // a tie still costs the f32 epsilon margin
    expect(contextScore([[3, 3]])).toBe(fastSigmoid(-F32_EPSILON));
    expect(contextScore([[3, 3]])).toBeLessThan(0);
  });
  it("relevance feedback naive: ordered pairs with a positive score gap, weighted c·gap^b", () => {
    const pairs = feedbackPairs([0.9, 0.1, 0.5], 2, 0.5);
    expect(pairs.map((p) => [p.positive, p.negative])).toEqual([[0, 1], [0, 2], [2, 1]]);
    expect(pairs.map((p) => p.weight)).toEqual([0.5 * 0.8 ** 2, 0.5 * 0.4 ** 2, 0.5 * (0.5 - 0.1) ** 2]);
    expect(feedbackPairs([0.3, 0.3], 1, 1)).toEqual([]); // equal scores make no pair
    expect(feedbackPairs([1], 1, 1)).toEqual([]);
    expect(naiveFeedbackScore(2, [1, 0], 3, [{ positive: 0, negative: 1, weight: 0.5 }])).toBe(6.5);
  });
});

describe("feedback queries over HTTP (Euclid: similarity −d²)", () => {
  const pos = [1, 0];
  const neg = [0, 2];

  it("recommend best_score", async () => {
    const r = await h.client.query("e", { query: { recommend: { positive: [pos], negative: [neg], strategy: "best_score" } } });
    // id 1: pos −1 > neg −4 → sfs(−1) = 0.25; id 2: sfs(0) = 0.5; id 3: neg 0 wins → −0.5; id 4: sfs(−4) = 0.1
    expectScores(scored(r), [[2, 0.5], [1, 0.25], [4, 0.1], [3, -0.5]]);
  });

  it("recommend sum_scores", async () => {
    const r = await h.client.query("e", { query: { recommend: { positive: [pos], negative: [neg], strategy: "sum_scores" } } });
    // id 1: −1 + 4 = 3; id 2: 0 + 5 = 5; id 3: −5 − 0; id 4: −4 + 13 = 9
    expectScores(scored(r), [[4, 9], [2, 5], [1, 3], [3, -5]]);
  });

  it("discover: the context rank, then the target's scaled sigmoid", async () => {
    const r = await h.client.query("e", { query: { discover: { target: [0, 0], context: [{ positive: pos, negative: neg }] } } });
    // id 1: +1 + sfs(0); id 2: +1 + sfs(−1); id 4: +1 + sfs(−9) = 1.05; id 3: −1 + sfs(−4)
    expectScores(scored(r), [[1, 1.5], [2, 1.25], [4, 1.05], [3, -0.9]]);
    // a single pair (not in a list) is the same query
    const one = await h.client.query("e", { query: { discover: { target: [0, 0], context: { positive: pos, negative: neg } } } });
    expect(scored(one)).toEqual(scored(r));
  });

  it("context: the sum of each pair's sigmoid loss", async () => {
    const r = await h.client.query("e", {
      query: { context: [{ positive: pos, negative: neg }, { positive: [3, 0], negative: [0, 0] }] },
    });
    // id 4: both positives closer → 0; id 2: pair 2 gap −4 + 1 = −3 → −0.75;
    // id 1: pair 2 gap −9 → −0.9; id 3: −5/6 − 9/10
    expectScores(scored(r), [[4, 0], [2, -0.75], [1, -0.9], [3, -5 / 6 - 0.9]]);
  });

  it("relevance_feedback with the naive strategy", async () => {
    const r = await h.client.query("e", {
      query: {
        relevance_feedback: {
          target: [0, 0],
          feedback: [{ example: pos, score: 0.9 }, { example: neg, score: 0.1 }, { example: [3, 0], score: 0.5 }],
          strategy: { naive: { a: 1, b: 2, c: 0.5 } },
        },
      },
    });
    // weights 0.32 (0 over 1), 0.08 (0 over 2), 0.08 (2 over 1); e.g. id 1: 0 + 0.32·3 + 0.08·8 + 0.08·(−5) = 1.2
    expectScores(scored(r), [[1, 1.2], [2, 1.0], [4, -5.4], [3, -6.0]]);
  });

  it("examples by id are left out of the results, filters and limits apply, batch answers the same", async () => {
    const r = await h.client.query("e", {
      query: { recommend: { positive: [2], negative: [3], strategy: "sum_scores" } }, filter: { must: [{ key: "odd", match: { value: true } }] }, limit: 5,
    });
    expectScores(scored(r), [[1, 3]]); // 2 and 3 are examples, 4 is even
    const b = await h.client.queryBatch("e", {
      searches: [
        { query: { recommend: { positive: [2], negative: [3], strategy: "sum_scores" } }, limit: 1 },
        { query: { context: { positive: 2, negative: 3 } }, limit: 2, using: "" },
      ],
    });
    expectScores(scored(b[0]!), [[4, 9]]);
    // both left (1 and 4) have their positive closer: a tie at 0
    expect(scored(b[1]!).map(([id, s]) => [id, s]).sort()).toEqual([[1, 0], [4, 0]]);
  });

  it("Dot collections use the raw dot product", async () => {
    const r = await h.client.query("d", { query: { recommend: { positive: [[1, 1]], negative: [[0, 1]], strategy: "sum_scores" } } });
    // id 1: 1 − 0; id 2: 2 − 2; id 3: 0 − 1
    expectScores(scored(r), [[1, 1], [2, 0], [3, -1]]);
  });
});

describe("feedback queries refuse bad requests with Qdrant's 400", () => {
  const q = (body: unknown) => h.raw("POST", "/collections/e/points/query", body);
  it("a recommend without examples is Qdrant's schema 422, whatever the strategy", async () => {
    const r = await q({ query: { recommend: { strategy: "sum_scores" } } });
    expect(r.status).toBe(422);
    expect(r.json.status.error).toContain("At least one positive or negative vector/id must be provided");
  });
  it.each([
    [{ query: { relevance_feedback: { target: [0, 0], feedback: [], strategy: { naive: { a: 1, b: 1, c: 1 } } } } }, "feedback elements must be non-empty"],
    [{ query: { relevance_feedback: { target: [0, 0], feedback: [{ example: [1, 0], score: 1 }], strategy: { naive: { a: 1, b: -1, c: 1 } } } } }, "naive.b must be a finite number >= 0, got -1"],
    [{ query: { relevance_feedback: { target: [0, 0], feedback: [{ example: [1, 0], score: 1 }], strategy: { other: {} } } } }, "strategy must be {\"naive\""],
    [{ query: { discover: { context: [] } } }, "query.discover must be {\"target\""],
    [{ query: { context: [{ positive: [1, 0] }] } }, "query.context[0] must be a pair"],
    [{ query: { context: { positive: [1, 0, 3], negative: [0, 0] } } }, "expected dim: 2, got 3"],
    [{ query: { recommend: { positive: [1], strategy: "best" } } }, "\"best\" is unknown. Should be one of: \"average_vector\", \"best_score\", \"sum_scores\""],
    [{ query: { context: { positive: 1, negative: 3 } }, using: "image" }, "Not existing vector name error: image"],
  ])("%j", async (body, message) => {
    const r = await q(body);
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain("Wrong input: ");
    expect(r.json.status.error).toContain(message);
  });
  it("an unknown example id is a 404", async () => {
    const r = await q({ query: { discover: { target: 99, context: [] } } });
    expect(r.status).toBe(404);
    expect(r.json.status.error).toContain("No point with id 99");
  });
});
