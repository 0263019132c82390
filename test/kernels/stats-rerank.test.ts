import { beforeAll, describe, expect, it } from "vitest";
import { Kernels, RERANK_MODES, TARGETS } from "../../src/index.js";
import { refRerank, refTripletStats } from "../../src/kernels/reference.js";
import { gaussian, labels as makeLabels, relErr } from "../helpers/random.js";

describe.each(TARGETS)("triplet statistics and re-rank (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("statistics, hand-computed on the 1-D batch (margin 1, d): 5 easy, 4 semi-hard, 9 hard", () => {
    const s = k.tripletStats({ embeddings: Float32Array.of(0, 1, 3, 2, 5), labels: [0, 0, 0, 1, 1], dim: 1, margin: 1, squared: false });
    expect([s.triplets, s.easy, s.semiHard, s.hard, s.active]).toEqual([18, 5, 4, 9, 11]);
    expect(s.meanTripletLoss).toBeCloseTo(23 / 18, 6);
    // positive pairs: d = 1, 3, 2 (class 0) and 3 (class 1); negatives: 2, 5, 1, 4, 1, 2
    expect(s.meanPositiveDistance).toBeCloseTo(9 / 4, 6);
    expect(s.meanNegativeDistance).toBeCloseTo(15 / 6, 6);
    expect([s.positivePairs, s.negativePairs]).toEqual([4, 6]);
  });

  it.each([true, false])("statistics match the O(N³) enumeration (squared = %s)", (squared) => {
    for (const [n, classes, dim, seed] of [[60, 4, 5, 1], [130, 7, 16, 2], [70, 2, 3, 3]] as const) {
      const x = gaussian(n * dim, seed);
      const labels = makeLabels(classes, n / classes, seed);
      const o = { margin: 0.8, contrastiveMargin: 2.5, squared };
      const got = k.tripletStats({ embeddings: x, labels, dim, ...o });
      const want = refTripletStats(x, labels, dim, o);
      expect([got.triplets, got.easy, got.semiHard, got.hard, got.active]).toEqual([
        want.triplets, want.easy, want.semiHard, want.hard, want.active,
      ]);
      for (const key of ["meanTripletLoss", "meanContrastiveLoss", "meanPositiveDistance", "meanNegativeDistance"] as const) {
        expect(Math.abs(got[key] - want[key]) / Math.max(1e-12, Math.abs(want[key]))).toBeLessThan(1e-5);
      }
    }
  });

  it("re-rank, hand-computed (query (0,0), positive (0,2), negative (2,0), margin 2)", () => {
    const o = {
      query: Float32Array.of(0, 0), candidates: Float32Array.of(1, 0, 0, 1, 2, 2), dim: 2,
      positives: Float32Array.of(0, 2), negatives: Float32Array.of(2, 0), margin: 2,
    };
    expect(Array.from(k.rerank({ ...o, mode: "exact" }))).toEqual([-1, -1, -8]);
    expect(Array.from(k.rerank({ ...o, mode: "triplet" }))).toEqual([0, 4, 0]);
    expect(Array.from(k.rerank({ ...o, mode: "contrastive" }))).toEqual([-4, -1, -6]);
    // no negatives: triplet is −min_p d², contrastive the positive term alone
    expect(Array.from(k.rerank({ ...o, negatives: undefined, mode: "triplet" }))).toEqual([-1, -1, -4]);
    expect(Array.from(k.rerank({ ...o, negatives: undefined, mode: "contrastive" }))).toEqual([-3, -1, -6]);
  });

  it.each(RERANK_MODES)("re-rank %s matches the reference on random inputs", (mode) => {
    for (const [nc, np, nn, dim, seed] of [[200, 0, 0, 33, 1], [100, 3, 3, 64, 2], [50, 1, 5, 7, 3]] as const) {
      const query = gaussian(dim, seed);
      const candidates = gaussian(nc * dim, seed + 1);
      const positives = gaussian(np * dim, seed + 2);
      const negatives = gaussian(nn * dim, seed + 3);
      const got = k.rerank({ mode, query, candidates, positives, negatives, dim, margin: 6 });
      expect(relErr(got, refRerank(mode, query, candidates, dim, positives, negatives, 6))).toBeLessThan(1e-5);
    }
  });
});

describe("rerankTop", () => {
  it.each(RERANK_MODES)("%s equals rerank followed by topK", async (mode) => {
    const k = await Kernels.load();
    const dim = 40;
    const o = {
      mode, query: gaussian(dim, 1), candidates: gaussian(300 * dim, 2), dim,
      positives: gaussian(2 * dim, 3), negatives: gaussian(3 * dim, 4), margin: 9,
    };
    const want = k.topK({ scores: k.rerank(o), k: 12, largest: true });
    const got = k.rerankTop({ ...o, k: 12 });
    expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    expect(Array.from(got.values)).toEqual(Array.from(want.values));
    expect(k.rerankTop({ ...o, candidates: o.candidates.subarray(0, 5 * dim), k: 12 }).indices.length).toBe(5);
  });
});
