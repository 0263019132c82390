/** A feedback query's score beyond the f32 range (sum_scores over the largest f32 vectors) is ranked and sent as the double it is, never as null. */

import { rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { EmbeddedStore } from "../../src/store/embedded-store.js";
import { tempDir } from "./helpers.js";

const dir = tempDir("feedback-wide");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("sum_scores past f32 keeps finite doubles in Qdrant's order (hand-computed)", async () => {
  const M = 3.4028234663852886e38; // the largest f32
  const s = await EmbeddedStore.open({ path: dir });
  try {
    await s.createCollection("w", 2, "Dot");
    await s.upsertPoints("w", { ids: [0, 1, 2, 3], vectors: Float32Array.from([1, 1, M, M, -M, -M, M, 0]) });
    const got = s.query("w", { query: { recommend: { positive: [[M, M]], negative: [[1, 0]], strategy: "sum_scores" } }, limit: 4 });
    // score = q·x − n·x with q = (M, M), n = (1, 0), in f64
    const want = [[1, 2 * M * M - M], [3, M * M - M], [0, 2 * M - 1], [2, -2 * M * M + M]];
    expect(got.map((p) => p.id)).toEqual(want.map((w) => w[0]));
    got.forEach((p, i) => expect(p.score! / want[i]![1]!).toBeCloseTo(1, 12));
    expect(JSON.parse(JSON.stringify(got)).every((p: { score: unknown }) => typeof p.score === "number")).toBe(true);
  } finally {
    s.close();
  }
});
