/**
 * margin's feedback strategies against plain-TypeScript references in f64
 * on seeded random data (both wasm builds), and the feedback kernel on a
 * hand-computed case.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, feedbackKde, feedbackKdeTop, InputError, Kernels, rerankPool, TARGETS } from "../../src/index.js";
import { movedQuery, poolScale } from "../../src/feedback/pool-rerank.js";
import { gaussian } from "../helpers/random.js";

const sq = (a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, dim: number) => {
  let s = 0;
  for (let d = 0; d < dim; d++) s += (a[ai * dim + d]! - b[bi * dim + d]!) ** 2;
  return s;
};
const rows = (x: ArrayLike<number>, dim: number) => x.length / dim;
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};

/** The documented score, naively: −d²(x,q')/s + w·(lse_p(−d²/τ) − lse_n(−d²/τ)). */
function refKde(c: Float32Array, q: Float32Array, p: Float32Array, n: Float32Array, dim: number, scale: number, weight: number, tau: number) {
  return Array.from({ length: rows(c, dim) }, (_, i) => {
    let s = -sq(c, i, q, 0, dim) / scale;
    const kp = Array.from({ length: rows(p, dim) }, (_, j) => -sq(c, i, p, j, dim) / tau);
    const kn = Array.from({ length: rows(n, dim) }, (_, j) => -sq(c, i, n, j, dim) / tau);
    if (weight) s += weight * ((kp.length ? lse(kp) : 0) - (kn.length ? lse(kn) : 0));
    return s;
  });
}

/** kde, then the m best candidates as pseudo right marks: + ew·w·lse_e(−d²(x, e)/τ) over them. */
function refKdeExpand(c: Float32Array, q: Float32Array, p: Float32Array, n: Float32Array, dim: number, scale: number, weight: number, tau: number, m: number, ew: number) {
  const base = refKde(c, q, p, n, dim, scale, weight, tau);
  const top = topOf(base, m);
  return base.map((v, i) => (m === 0 ? v : v + ew * weight * lse(top.map((j) => -sq(c, i, c, j, dim) / tau))));
}

/** kde, then the m best candidates E join the right marks (kde again over P ∪ E), plus ew·w·lse_e(−d²(x, e)/τ). */
function refKdeJoin(c: Float32Array, q: Float32Array, p: Float32Array, n: Float32Array, dim: number, scale: number, weight: number, tau: number, m: number, ew: number) {
  const base = refKde(c, q, p, n, dim, scale, weight, tau);
  if (m === 0 || weight === 0) return base;
  const top = topOf(base, m);
  const joined = Float32Array.from([...p, ...top.flatMap((j) => Array.from(c.subarray(j * dim, (j + 1) * dim)))]);
  return refKde(c, q, joined, n, dim, scale, weight, tau).map((v, i) => v + ew * weight * lse(top.map((j) => -sq(c, i, c, j, dim) / tau)));
}

function refMedian(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Order of the k highest, ties by index (as topK). */
const topOf = (scores: number[], k: number) => scores.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s || a.i - b.i).slice(0, k).map((x) => x.i);

describe.each(TARGETS)("feedback strategies (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("the kernel, hand-computed: 1-D, query 0, positive 1, negative 3, scale 2, weight 1, tau 1", () => {
    // x = 0: −0/2 + (−1 − (−9)) = 8; x = 2: −4/2 + (−1 − (−1)) = −2; x = 4: −16/2 + (−9 − (−1)) = −16
    const got = feedbackKde(k, {
      candidates: Float32Array.of(0, 2, 4), query: Float32Array.of(0), positives: Float32Array.of(1), negatives: Float32Array.of(3),
      dim: 1, scale: 2, weight: 1, tau: 1,
    });
    expect(Array.from(got)).toEqual([8, -2, -16]);
    // two positives at 1 and −1 for x = 0: lse(−1, −1) = −1 + ln 2
    const two = feedbackKde(k, {
      candidates: Float32Array.of(0), query: Float32Array.of(0), positives: Float32Array.of(1, -1), negatives: new Float32Array(0),
      dim: 1, scale: 1, weight: 1, tau: 1,
    });
    expect(two[0]).toBeCloseTo(-1 + Math.LN2, 6);
  });

  it("query expansion, hand-computed: the same case, the best candidate (x = 0) as one pseudo right mark", () => {
    // first scores 8, −2, −16; x = 0 is best, so each x gains lse(−(x − 0)²) = −x²: 8, −6, −32
    const o = { candidates: Float32Array.of(0, 2, 4), query: Float32Array.of(0), positives: Float32Array.of(1), negatives: Float32Array.of(3), dim: 1, scale: 2, weight: 1, tau: 1 };
    expect(Array.from(feedbackKde(k, { ...o, expand: 1 }))).toEqual([8, -6, -32]);
    // weight 0.5 on the pseudo mark: 8, −4, −24; expand 0 is plain kde
    expect(Array.from(feedbackKde(k, { ...o, expand: 1, expandWeight: 0.5 }))).toEqual([8, -4, -24]);
    expect(Array.from(feedbackKde(k, { ...o, expand: 0 }))).toEqual([8, -2, -16]);
  });

  it.each([
    [false, 16, 3, 3, 21, 120, 3], [false, 64, 7, 3, 22, 200, 3], [false, 5, 0, 2, 23, 30, 30], [false, 8, 2, 0, 24, 40, 1],
    [true, 16, 3, 3, 31, 120, 3], [true, 64, 7, 3, 32, 200, 3], [true, 5, 0, 2, 33, 30, 30], [true, 8, 2, 0, 34, 40, 1], [true, 8, 2, 2, 35, 40, 0],
  ] as const)(
    "query expansion (joined %s) matches the f64 reference (dim %i, %i positives, %i negatives, seed %i, %i candidates, expand %i)",
    (join, dim, np, nn, seed, nc, m) => {
      const c = gaussian(nc * dim, seed + 1);
      const q = gaussian(dim, seed + 2);
      const p = gaussian(np * dim, seed + 3);
      const n = gaussian(nn * dim, seed + 4);
      const settings = join ? [[dim, 1, dim / 2, 1], [2 * dim, 4, 0.25 * dim, 0.5], [dim, 1, dim, 0], [dim, 0, dim, 1]] as const : [[dim, 1, dim / 2, 1], [2 * dim, 4, 0.25 * dim, 0.5]] as const;
      for (const [scale, weight, tau, ew] of settings) {
        const o = { candidates: c, query: q, positives: p, negatives: n, dim, scale, weight, tau, expand: m, expandWeight: ew, expandJoin: join };
        const got = feedbackKde(k, o);
        const want = (join ? refKdeJoin : refKdeExpand)(c, q, p, n, dim, scale, weight, tau, m, ew);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i]!))));
        const top = feedbackKdeTop(k, { ...o, k: 7 });
        expect(Array.from(top.indices)).toEqual(topOf(Array.from(got), 7));
      }
    },
  );

  it("joined expansion, hand-computed: the best candidate (x = 0) joins the right mark at 1", () => {
    // first scores 8, −2, −16 as above; then the right marks' lse is over {1, 0}:
    // x = 0: 0 + ln(e^−1 + 1) + 9; x = 2: −2 + ln(e^−1 + e^−4) + 1; x = 4: −8 + ln(e^−9 + e^−16) + 1
    const o = { candidates: Float32Array.of(0, 2, 4), query: Float32Array.of(0), positives: Float32Array.of(1), negatives: Float32Array.of(3), dim: 1, scale: 2, weight: 1, tau: 1 };
    const joined = [Math.log(Math.exp(-1) + 1) + 9, -2 + Math.log(Math.exp(-1) + Math.exp(-4)) + 1, -8 + Math.log(Math.exp(-9) + Math.exp(-16)) + 1];
    // expandWeight 0: the join alone; 1 and 0.5: plus the pseudo mark's own sum −x², −x²/2
    for (const [expandWeight, own] of [[0, [0, 0, 0]], [1, [0, -4, -16]], [0.5, [0, -2, -8]]] as const) {
      Array.from(feedbackKde(k, { ...o, expand: 1, expandJoin: true, expandWeight })).forEach((v, i) => expect(v).toBeCloseTo(joined[i]! + own[i]!, 5));
    }
  });

  it.each([[5, 1, 3, 0, 7], [64, 7, 3, 3, 200], [33, 0, 1, 0, 50], [3, 4, 2, 5, 19]])(
    "the kernel matches the f64 reference (dim %i, %i positives, %i negatives... seed %i, %i candidates)",
    (dim, np, nn, seed, nc) => {
      const c = gaussian(nc * dim, seed + 1);
      const q = gaussian(dim, seed + 2);
      const p = gaussian(np * dim, seed + 3);
      const n = gaussian(nn * dim, seed + 4);
      for (const [scale, weight, tau] of [[dim, 1, dim / 2], [1, 0, 1], [2 * dim, 4, 0.25 * dim]] as const) {
        const got = feedbackKde(k, { candidates: c, query: q, positives: p, negatives: n, dim, scale, weight, tau });
        const want = refKde(c, q, p, n, dim, scale, weight, tau);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[i]!))));
        const top = feedbackKdeTop(k, { candidates: c, query: q, positives: p, negatives: n, dim, scale, weight, tau, k: 5 });
        expect(Array.from(top.indices)).toEqual(topOf(Array.from(got), 5));
      }
    },
  );

  it("rocchio, kde, triplet, contrastive and kde-expand over a pool match the references", () => {
    for (const seed of [11, 12, 13]) {
      const dim = 16;
      const nc = 120;
      const input = {
        candidates: gaussian(nc * dim, seed), dim, query: gaussian(dim, seed + 1),
        positives: gaussian(3 * dim, seed + 2), negatives: gaussian(2 * dim, seed + 3),
      };
      const d2q = Array.from({ length: nc }, (_, i) => sq(input.candidates, i, input.query, 0, dim));
      const s = refMedian(d2q);
      expect(poolScale(k, input)).toBeCloseTo(s, 3);
      const params = { ...DEFAULT_PARAMS, beta: 0.7, gamma: 0.4, weight: 1.5, tau: 0.5, contrastiveMargin: 1.2 };
      // q' = q + β(p̄ − q) + γ(q − n̄), by hand
      const moved = Array.from({ length: dim }, (_, d) => {
        const pm = (input.positives[d]! + input.positives[dim + d]! + input.positives[2 * dim + d]!) / 3;
        const nm = (input.negatives[d]! + input.negatives[dim + d]!) / 2;
        return input.query[d]! + 0.7 * (pm - input.query[d]!) + 0.4 * (input.query[d]! - nm);
      });
      Array.from(movedQuery(input, 0.7, 0.4)).forEach((v, d) => expect(v).toBeCloseTo(moved[d]!, 5));
      const qp = Float32Array.from(moved);
      const withQ = Float32Array.from([...input.query, ...input.positives]);
      const refs = {
        rocchio: Array.from({ length: nc }, (_, i) => -sq(input.candidates, i, qp, 0, dim) / s),
        kde: refKde(input.candidates, qp, withQ, input.negatives, dim, s, 1.5, 0.5 * s),
        triplet: Array.from({ length: nc }, (_, i) => {
          const dp = Math.min(...Array.from({ length: 4 }, (_, j) => sq(input.candidates, i, withQ, j, dim)));
          const dn = Math.min(...Array.from({ length: 2 }, (_, j) => sq(input.candidates, i, input.negatives, j, dim)));
          return dn - dp;
        }),
        contrastive: Array.from({ length: nc }, (_, i) => {
          const m = 1.2 * Math.sqrt(s);
          const mp = Array.from({ length: 4 }, (_, j) => sq(input.candidates, i, withQ, j, dim)).reduce((a, b) => a + b) / 4;
          const mn = Array.from({ length: 2 }, (_, j) => Math.max(0, m - Math.sqrt(sq(input.candidates, i, input.negatives, j, dim))) ** 2).reduce((a, b) => a + b) / 2;
          return -(mp + mn);
        }),
      };
      // kde-expand: 3 right marks topped up to expand 5 by kde's 2 best pool points
      // (joined, the default) and with the pseudo marks' own sum only (expandJoin false)
      const refsAll = {
        ...refs,
        "kde-expand": refKdeJoin(input.candidates, qp, withQ, input.negatives, dim, s, 1.5, 0.5 * s, 2, 0.7),
        "kde-expand-own": refKdeExpand(input.candidates, qp, withQ, input.negatives, dim, s, 1.5, 0.5 * s, 2, 0.7),
      };
      const withExpand = { ...params, expand: 5, expandWeight: 0.7 };
      for (const strategy of ["rocchio", "kde", "triplet", "contrastive", "kde-expand", "kde-expand-own"] as const) {
        const top = strategy === "kde-expand-own"
          ? rerankPool(k, "kde-expand", input, { ...withExpand, expandJoin: false }, 10)
          : rerankPool(k, strategy, input, withExpand, 10);
        const want = topOf(refsAll[strategy], 10);
        expect(Array.from(top.indices), strategy).toEqual(want);
        top.values.forEach((v, r) => expect(Math.abs(v - refsAll[strategy][want[r]!]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(v))));
      }
    }
  });

  it("refuses bad scales and shapes, naming them", () => {
    const o = { candidates: Float32Array.of(0, 1), query: Float32Array.of(0), positives: new Float32Array(0), negatives: new Float32Array(0), dim: 1, scale: 1, weight: 1, tau: 1 };
    expect(() => feedbackKde(k, { ...o, tau: 0 })).toThrow(InputError);
    expect(() => feedbackKde(k, { ...o, tau: 0 })).toThrow("feedbackKde: tau must be a finite number > 0, got 0");
    expect(() => feedbackKde(k, { ...o, weight: -1 })).toThrow("weight must be a finite number >= 0, got -1");
    expect(() => feedbackKde(k, { ...o, query: Float32Array.of(0, 1) })).toThrow("query must be one vector of dim 1, got 2 values");
    expect(() => feedbackKde(k, { ...o, positives: Float32Array.of(NaN) })).toThrow("positives[0] is NaN; every value must be finite");
    expect(() => feedbackKde(k, { ...o, expand: 1.5 })).toThrow("feedbackKde: expand must be an integer >= 0, got 1.5");
    expect(() => feedbackKde(k, { ...o, expand: 1, expandWeight: -1 })).toThrow("expandWeight must be a finite number >= 0, got -1");
  });
});
