import { beforeAll, describe, expect, it } from "vitest";
import { AVERAGES, Kernels, MINING, TARGETS } from "../../src/index.js";
import { refContrastiveLoss, refFrozenTripletLoss, refTripletLoss } from "../../src/kernels/reference.js";
import { gaussian, labels as makeLabels, relErr } from "../helpers/random.js";

// A 1-D batch worked by hand (docs/architecture.md's definitions, d not squared, margin 1):
// points 0, 1, 3 of class 0 and 2, 5 of class 1.
const X = Float32Array.of(0, 1, 3, 2, 5);
const L = Int32Array.of(0, 0, 0, 1, 1);

/** Central finite differences of f at x, in double precision. */
function numericGrad(f: (x: Float32Array) => number, x: Float32Array, h = 1e-3): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i]! += h;
    minus[i]! -= h;
    g[i] = (f(plus) - f(minus)) / (plus[i]! - minus[i]!);
  }
  return g;
}

describe.each(TARGETS)("losses (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });
  const base = { embeddings: X, labels: L, dim: 1, margin: 1, squared: false } as const;

  it("batch-all, hand-computed: 18 valid, 11 active, sum 23", () => {
    const active = k.tripletLoss({ ...base, mining: "batch-all" });
    expect([active.valid, active.active]).toEqual([18, 11]);
    expect(active.loss).toBeCloseTo(23 / 11, 6);
    expect(k.tripletLoss({ ...base, mining: "batch-all", average: "all" }).loss).toBeCloseTo(23 / 18, 6);
  });

  it("batch-hard, hand-computed: triplets (0,2,3) (1,2,3) (2,0,3) (3,4,1) (4,3,2)", () => {
    const r = k.tripletLoss({ ...base, mining: "batch-hard" });
    expect([r.valid, r.active]).toEqual([5, 5]);
    expect(r.loss).toBeCloseTo((2 + 2 + 3 + 3 + 2) / 5, 6);
    // the gradient of x0 comes from its own triplet (0,2,3) only: ∂(d02 − d03)/∂x0 = −1 + 1 = 0,
    // plus (2,0,3): ∂d20/∂x0 = −1 → mean: −1/5
    expect(r.grad[0]).toBeCloseTo(-1 / 5, 6);
  });

  it("semi-hard, hand-computed: 8 pairs, 3 active, sum 5", () => {
    const r = k.tripletLoss({ ...base, mining: "semi-hard" });
    expect([r.valid, r.active]).toEqual([8, 3]);
    expect(r.loss).toBeCloseTo(5 / 8, 6);
  });

  it("the three miners select different triplets on the same batch", () => {
    const losses = MINING.map((mining) => k.tripletLoss({ ...base, mining }).loss);
    expect(new Set(losses.map((l) => l.toFixed(6))).size).toBe(3);
  });

  it("contrastive, hand-computed: positives 23, negatives 2, over 10 pairs", () => {
    const r = k.contrastiveLoss({ embeddings: X, labels: L, dim: 1, margin: 2 });
    expect([r.valid, r.active]).toEqual([10, 6]);
    expect(r.loss).toBeCloseTo(25 / 10, 6);
  });

  const dim = 6;
  const x = gaussian(24 * dim, 5);
  const labels = makeLabels(4, 6, 6);

  describe.each([true, false])("squared = %s", (squared) => {
    const cases: Array<[string, string]> = MINING.flatMap((m) => (m === "batch-all" ? AVERAGES.map((a) => [m, a] as [string, string]) : [[m, "active"] as [string, string]]));
    it.each(cases)(
      "%s (%s) matches the per-triplet reference and its finite differences",
      (mining, average) => {
        const o = { margin: 0.7, mining, squared, average } as Parameters<typeof refTripletLoss>[3];
        const got = k.tripletLoss({ embeddings: x, labels, dim, ...o });
        const want = refTripletLoss(x, labels, dim, o);
        expect(got.valid).toBe(want.valid);
        expect(got.active).toBe(want.active);
        expect(got.active).toBeGreaterThan(0);
        expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
        expect(relErr(got.grad, want.grad)).toBeLessThan(1e-5);
        // finite differences of the loss with the mined, active triplets held fixed
        const fd = numericGrad((xx) => refFrozenTripletLoss(xx, dim, want.triplets, want.denom, 0.7, squared), x);
        expect(relErr(got.grad, fd)).toBeLessThan(1e-3);
      },
    );
  });

  it("contrastive matches the reference and finite differences", () => {
    const got = k.contrastiveLoss({ embeddings: x, labels, dim, margin: 3 });
    const want = refContrastiveLoss(x, labels, dim, 3);
    expect(got.active).toBe(want.active);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    expect(relErr(got.grad, want.grad)).toBeLessThan(1e-5);
    const fd = numericGrad((xx) => refContrastiveLoss(xx, labels, dim, 3).loss, x);
    expect(relErr(got.grad, fd)).toBeLessThan(2e-3);
  });

  it("random batches (property): every miner agrees with the reference", () => {
    for (let seed = 100; seed < 110; seed++) {
      const d = 1 + (seed % 9) * 7;
      const P = 2 + (seed % 4);
      const K = 2 + (seed % 3);
      const xs = gaussian(P * K * d, seed);
      const ls = makeLabels(P, K, seed);
      for (const mining of MINING) {
        const got = k.tripletLoss({ embeddings: xs, labels: ls, dim: d, margin: 0.5, mining });
        const want = refTripletLoss(xs, ls, d, { margin: 0.5, mining });
        expect([got.valid, got.active]).toEqual([want.valid, want.active]);
        expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, want.loss));
        expect(relErr(got.grad, want.grad)).toBeLessThan(1e-5);
      }
    }
  });

  it("nothing active: loss 0 and a zero gradient, never NaN", () => {
    const far = Float32Array.of(0, 0, 100, 100);
    const r = k.tripletLoss({ embeddings: far, labels: [0, 0, 1, 1], dim: 1, margin: 1 });
    expect(r.loss).toBe(0);
    expect(r.active).toBe(0);
    expect(Array.from(r.grad)).toEqual([0, 0, 0, 0]);
  });
});
