/**
 * Sparse vectors with Qdrant's `modifier: "idf"`, through the real client over
 * real HTTP (responses schema-checked). Qdrant multiplies each value of the
 * query by idf = ln((N − df + 0.5) / (df + 0.5) + 1), N the points holding a
 * vector of that space, df those holding the index, then scores by the dot
 * product. Worked by hand:
 *
 *   id  t                N = 4 (point 5 has no t)
 *   1   {1: 1, 2: 1}     df(1) = 3: idf = ln(1.5/3.5 + 1) = ln(10/7) = 0.356675
 *   2   {1: 1}           df(2) = 2: idf = ln(2.5/2.5 + 1) = ln 2     = 0.693147
 *   3   {1: 1, 3: 2}     df(3) = 1: idf = ln(3.5/1.5 + 1) = ln(10/3) = 1.203973
 *   4   {2: 1}
 *   5   —
 *
 *   query {1: 1, 2: 1, 3: 1}: 3 → 0.356675 + 2·1.203973 = 2.764621,
 *   1 → 0.356675 + 0.693147 = 1.049822, 4 → 0.693147, 2 → 0.356675
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idf } from "../../src/store/embedded/state/sparse-vectors.js";
import { expectScores, type Harness, harness, tempDirs } from "./helpers.js";

const dirs = tempDirs();
const dir = dirs("sparse-idf");
let h: Harness;
const sv = (pairs: Record<number, number>) => ({ indices: Object.keys(pairs).map(Number), values: Object.values(pairs) });

beforeAll(async () => {
  h = await harness("sparse-idf", { path: dir });
  await h.client.createCollection("c", { sparse_vectors: { t: { modifier: "idf" } } });
  await h.client.createCollection("plain", { sparse_vectors: { t: {} } });
  const points = [
    { id: 1, vector: { t: sv({ 1: 1, 2: 1 }) } },
    { id: 2, vector: { t: sv({ 1: 1 }) } },
    { id: 3, vector: { t: sv({ 1: 1, 3: 2 }) } },
    { id: 4, vector: { t: sv({ 2: 1 }) } },
    { id: 5, vector: {} },
  ];
  for (const c of ["c", "plain"]) await h.client.upsert(c, { wait: true, points });
});
afterAll(async () => {
  await h.stop();
});

const query = (body: { query: unknown; [k: string]: unknown }) => h.client.query("c", { using: "t", ...body } as never);
const INITIAL: Array<[number, number]> = [[3, 2.764621], [1, 1.049822], [4, 0.693147], [2, 0.356675]];

describe("sparse modifier idf", () => {
  it("Qdrant's formula, in f32", () => {
    expect(idf(4, 2)).toBeCloseTo(Math.LN2, 6);
    expect(idf(4, 3)).toBeCloseTo(Math.log(10 / 7), 6);
    expect(idf(4, 1)).toBeCloseTo(Math.log(10 / 3), 6);
    expect(idf(4, 0)).toBeCloseTo(Math.log(10), 6); // an index no point holds: ln(2N + 2)
    expect(idf(3, 2)).toBe(Math.fround(idf(3, 2)));
  });

  it("is kept as created and shown by GET", async () => {
    expect((await h.client.getCollection("c")).config.params.sparse_vectors).toEqual({ t: { modifier: "idf" } });
  });

  it("weights the query's values by idf over the points holding the vector", async () => {
    expectScores(await query({ query: sv({ 1: 1, 2: 1, 3: 1 }) }), INITIAL);
    // the same points without the modifier: the plain dot product (3 → 3, 1 → 2, 2 and 4 → 1, tied by row)
    const plain = await h.client.query("plain", { using: "t", query: sv({ 1: 1, 2: 1, 3: 1 }) });
    expect(plain.points.map((p) => [p.id, p.score])).toEqual([[3, 3], [1, 2], [2, 1], [4, 1]]);
  });

  it("applies to a sparse stage over prefetch candidates and keeps score_threshold on the weighted scores", async () => {
    const r = await query({ prefetch: { query: sv({ 2: 1 }), using: "t" }, query: sv({ 1: 1, 2: 1, 3: 1 }), score_threshold: 0.7 });
    // candidates 1 and 4 (they hold index 2); 4 scores 0.693147 < 0.7
    expectScores(r, [[1, 1.049822]]);
  });

  it("follows deletes and upserts: the counts are those of the points held now", async () => {
    await h.client.delete("c", { wait: true, points: [3] });
    // N = 3, df(1) = 2, df(2) = 2: idf = ln(1.5/2.5 + 1) = ln 1.6 = 0.470004 for both
    // query {1: 1, 2: 2}: 1 → 3·0.470004 = 1.410011, 4 → 2·0.470004 = 0.940007, 2 → 0.470004
    expectScores(await query({ query: sv({ 1: 1, 2: 2 }) }), [[1, 1.410011], [4, 0.940007], [2, 0.470004]]);
    await h.client.upsert("c", { wait: true, points: [{ id: 2, vector: { t: sv({ 2: 1, 3: 1 }) } }] });
    // N = 3 (1, 2, 4): df(3) = 1: idf = ln(2.5/1.5 + 1) = ln(8/3) = 0.980829; df(2) = 3: idf = ln(0.5/3.5 + 1) = ln(8/7) = 0.133531
    // {2: 1, 3: 1}: 2 → 1.114360; 1 and 4 → 0.133531, under the threshold
    expectScores(await query({ query: sv({ 2: 1, 3: 1 }), score_threshold: 0.5 }), [[2, 1.11436]]);
  });

  it("answers the same after a restart (log replay) and after a compaction (snapshot)", async () => {
    const want = async () => {
      expectScores(await query({ query: sv({ 3: 1 }) }), [[2, 0.980829]]);
      // df(1) = df(3) = 1: {1: 1, 3: 2}: 2 → 2·0.980829, 1 → 0.980829
      expectScores(await query({ query: sv({ 1: 1, 3: 2 }) }), [[2, 1.961658], [1, 0.980829]]);
    };
    await want();
    await h.stop();
    h = await harness("sparse-idf", { path: dir });
    await want();
    await h.running.store.compact("c");
    await h.stop();
    h = await harness("sparse-idf", { path: dir });
    await want();
  });

  it("refuses the corpus-scoped params.idf rather than ignoring it", async () => {
    const r = await h.raw("POST", "/collections/c/points/query", { using: "t", query: sv({ 1: 1 }), params: { idf: { scope: "global" } } });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toMatch(/params\.idf .* is not supported by the embedded store/);
  });
});
