import { beforeAll, describe, expect, it } from "vitest";
import {
  InputError, Kernels, TARGETS, WasmAdapter, adapterLayout, applyAdapter, identityAdapter,
  tripletRowsLoss, type Adapter,
} from "../../src/index.js";
import { applyAdapterReference } from "../../src/adapt/adapter.js";
import { gaussian, relErr, rng } from "../helpers/random.js";

/** Plain f64 triplet loss over explicit triplets: the sum, the active count, the gradient. */
function refTripletRows(x: ArrayLike<number>, dim: number, trip: Int32Array, margin: number, scale: number) {
  const g = new Float64Array(x.length);
  let sum = 0, active = 0;
  const d2 = (a: number, b: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (x[a * dim + j]! - x[b * dim + j]!) ** 2;
    return s;
  };
  for (let t = 0; t < trip.length; t += 3) {
    const [a, p, n] = [trip[t]!, trip[t + 1]!, trip[t + 2]!];
    const l = d2(a, p) - d2(a, n) + margin;
    if (!(l > 0)) continue;
    sum += l;
    active++;
    for (let j = 0; j < dim; j++) {
      const xa = x[a * dim + j]!, xp = x[p * dim + j]!, xn = x[n * dim + j]!;
      g[a * dim + j]! += 2 * scale * (xn - xp);
      g[p * dim + j]! -= 2 * scale * (xa - xp);
      g[n * dim + j]! += 2 * scale * (xa - xn);
    }
  }
  return { loss: sum * scale, active, grad: g };
}

function randomTriplets(rows: number, count: number, seed: number): Int32Array {
  const r = rng(seed);
  const t = new Int32Array(count * 3);
  for (let i = 0; i < t.length; i++) t[i] = Math.floor(r() * rows);
  return t;
}

/** The objective in f64 through the reference adapter: what the kernels' gradient must differentiate. */
function refObjective(a: Adapter, rows: Float32Array, trip: Int32Array, margin: number, decay: number): number {
  const y = applyAdapterReference(a, rows);
  let loss = refTripletRows(y, a.dim, trip, margin, 1 / (trip.length / 3)).loss;
  const L = adapterLayout(a);
  for (let i = 0; i < a.params.length; i++) {
    if (L.b1 >= 0 && i >= L.b1 && i < L.b1 + a.hidden) continue;
    loss += decay * a.params[i]! ** 2;
  }
  return loss;
}

describe.each(TARGETS)("adapter kernels (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("tripletRowsLoss matches a plain loop, with repeated rows and a scalar tail", () => {
    for (const [dim, seed] of [[1, 1], [5, 2], [8, 3], [64, 4], [67, 5]] as const) {
      const x = gaussian(9 * dim, seed);
      const trip = randomTriplets(9, 40, seed + 10);
      const got = tripletRowsLoss(k, { embeddings: x, triplets: trip, dim, margin: 0.7 * dim });
      const want = refTripletRows(x, dim, trip, 0.7 * dim, 1 / 40);
      expect(got.active).toBe(want.active);
      expect(want.active).toBeGreaterThan(0);
      expect(got.loss).toBeCloseTo(want.loss, 3);
      expect(relErr(got.grad, want.grad)).toBeLessThan(1e-5);
    }
  });

  it("hand-computed triplet: a=(0,0) p=(1,0) n=(0,2), margin 1", () => {
    const x = Float32Array.of(0, 0, 1, 0, 0, 2);
    const r = tripletRowsLoss(k, { embeddings: x, triplets: Int32Array.of(0, 1, 2), dim: 2, margin: 1, scale: 1 });
    // d²(a,p) = 1, d²(a,n) = 4: 1 − 4 + 1 < 0, inactive
    expect(r).toMatchObject({ loss: 0, active: 0 });
    const r2 = tripletRowsLoss(k, { embeddings: x, triplets: Int32Array.of(0, 2, 1), dim: 2, margin: 1, scale: 1 });
    // anchor 0, positive (0,2), negative (1,0): 4 − 1 + 1 = 4; ∂a = 2(n − p) = (2, −4), ∂p = −2(a − p) = (0, 4), ∂n = 2(a − n) = (−2, 0)
    expect(r2.loss).toBe(4);
    expect(Array.from(r2.grad)).toEqual([2, -4, -2, 0, 0, 4]);
  });

  it.each(["linear", "mlp"] as const)("the %s adapter's parameter gradient equals central finite differences", (kind) => {
    const dim = 6, hidden = 5, n = 12;
    const a = identityAdapter({ kind, dim, hidden, seed: 3 });
    // move off the identity so every block (and every ReLU state) matters
    const r = rng(11);
    for (let i = 0; i < a.params.length; i++) a.params[i] = a.params[i]! + 0.3 * (r() - 0.5);
    const rows = gaussian(n * dim, 12);
    const trip = randomTriplets(n, 30, 13);
    const margin = 4, decay = 0.01;
    const w = new WasmAdapter(k, a, n);
    try {
      w.setParams(a.params);
      const res = w.lossGrad({ rows, triplets: trip, margin, decay });
      expect(res.active).toBeGreaterThan(5);
      expect(res.loss).toBeCloseTo(refObjective(a, rows, trip, margin, decay), 3);
      const grad = w.getGrads();
      const fd = new Float64Array(a.params.length);
      const h = 1e-3;
      for (let i = 0; i < a.params.length; i++) {
        const p = Float32Array.from(a.params);
        p[i] = a.params[i]! + h;
        const up = refObjective({ ...a, params: p }, rows, trip, margin, decay);
        p[i] = a.params[i]! - h;
        const down = refObjective({ ...a, params: p }, rows, trip, margin, decay);
        fd[i] = (up - down) / (2 * h);
      }
      expect(relErr(grad, fd)).toBeLessThan(2e-3);
    } finally {
      w.free();
    }
  });

  it.each(["linear", "mlp"] as const)("applyAdapter (%s) equals the plain reference over many blocks", (kind) => {
    const dim = 7;
    const a = identityAdapter({ kind, dim, hidden: 9, seed: 2 });
    const r = rng(5);
    for (let i = 0; i < a.params.length; i++) a.params[i] = a.params[i]! + 0.2 * (r() - 0.5);
    const x = gaussian(5000 * dim, 6);
    expect(relErr(applyAdapter(k, a, x), applyAdapterReference(a, x))).toBeLessThan(1e-5);
    expect(Array.from(applyAdapter(k, identityAdapter({ kind, dim, hidden: 9 }), x.subarray(0, 70)))).toEqual(Array.from(x.subarray(0, 70)));
  });

  it("rejects bad triplets, rows and adapters with messages that say how to fix them", () => {
    const x = gaussian(4 * 3, 1);
    expect(() => tripletRowsLoss(k, { embeddings: x, triplets: Int32Array.of(0, 1, 4), dim: 3, margin: 1 }))
      .toThrow(new InputError("tripletRowsLoss: triplets[2] = 4 is outside the 4 rows; every index must be in [0, 3]"));
    expect(() => tripletRowsLoss(k, { embeddings: x, triplets: Int32Array.of(0, 1), dim: 3, margin: 1 })).toThrow(/multiple of 3/);
    expect(() => tripletRowsLoss(k, { embeddings: x, triplets: Int32Array.of(0, 1, 2), dim: 3, margin: 0 })).toThrow(/margin must be a finite number > 0, got 0/);
    const bad = Float32Array.from(x);
    bad[4] = NaN;
    expect(() => tripletRowsLoss(k, { embeddings: bad, triplets: Int32Array.of(0, 1, 2), dim: 3, margin: 1 })).toThrow(/\[row 1, col 1\] is NaN/);
    const a = identityAdapter({ kind: "linear", dim: 3 });
    expect(() => applyAdapter(k, a, new Float32Array(4))).toThrow(/4 values are not whole rows of dim 3/);
    expect(() => applyAdapter(k, { ...a, params: new Float32Array(8) }, x)).toThrow(/has 9 parameters, got 8/);
    const w = new WasmAdapter(k, a, 2);
    try {
      expect(() => w.lossGrad({ rows: x, triplets: Int32Array.of(0, 1, 2), margin: 1 })).toThrow(/4 rows exceed the capacity 2; split the batch/);
    } finally {
      w.free();
    }
    expect(() => identityAdapter({ kind: "deep" as never, dim: 3 })).toThrow(/unsupported kind "deep". Should be one of: "linear", "mlp"/);
  });
});
