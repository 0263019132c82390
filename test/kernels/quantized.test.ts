import { beforeAll, describe, expect, it } from "vitest";
import { InputError, Kernels, TARGETS } from "../../src/index.js";
import { CODE_MAX, QuantizedBlock, codeOf, gridOf, quantileRange, type Grid } from "../../src/kernels/index.js";
import { gaussian, rng } from "../helpers/random.js";

type QM = "dot" | "sqL2" | "l1";

/** The approximate score of the plain definition: both vectors on the grid, in f64. */
function refScore(metric: QM, q: Float32Array, x: Float32Array, at: number, dim: number, g: Grid): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const a = g.lo + g.alpha * codeOf(q[d]!, g);
    const b = g.lo + g.alpha * codeOf(x[at + d]!, g);
    if (metric === "dot") s += a * b;
    else if (metric === "l1") s += Math.abs(a - b);
    else s += (a - b) * (a - b);
  }
  return s;
}

function exactTop(q: Float32Array, x: Float32Array, n: number, dim: number, k: number): number[] {
  const d: [number, number][] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (q[j]! - x[r * dim + j]!) ** 2;
    d.push([s, r]);
  }
  return d.sort((a, b) => a[0] - b[0] || a[1] - b[1]).slice(0, k).map((e) => e[1]);
}

describe("quantileRange and codes", () => {
  it("keeps the central quantile (hand case) or the min and max", () => {
    const v = Float32Array.from({ length: 200 }, (_, i) => i);
    // 200 values, (1 − 0.99)/2 · 200 = 1 cut at each end
    expect(quantileRange(v, 200, 1, 0.99)).toEqual({ lo: 1, hi: 198 });
    expect(quantileRange(v, 200, 1)).toEqual({ lo: 0, hi: 199 });
    // under 127 rows the range is min/max whatever the quantile
    expect(quantileRange(v, 100, 1, 0.5)).toEqual({ lo: 0, hi: 99 });
    expect(() => quantileRange(v, 200, 1, 0.3)).toThrow(/quantile must be in \[0.5, 1\], got 0.3/);
  });

  it("codes round to the grid and clamp to [0, 127]", () => {
    const g = gridOf({ lo: -1, hi: 1 });
    expect(g.alpha).toBeCloseTo(2 / 127, 12);
    expect(codeOf(-1, g)).toBe(0);
    expect(codeOf(1, g)).toBe(CODE_MAX);
    expect(codeOf(-5, g)).toBe(0);
    expect(codeOf(9, g)).toBe(CODE_MAX);
    expect(codeOf(0, g)).toBe(64); // (0 + 1)·63.5 = 63.5 rounds up
    expect(gridOf({ lo: 3, hi: 3 })).toEqual({ lo: 3, alpha: 1 });
  });
});

describe.each(TARGETS)("QuantizedBlock (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("hand case: integer grid, all three metrics", () => {
    const g = { lo: 0, alpha: 1 };
    const x = Float32Array.of(1, 2, 3, /**/ 0, 0, 5, /**/ 4, 4, 4);
    const q = Float32Array.of(1, 1, 1);
    for (const [metric, want, order] of [
      ["dot", [6, 5, 12], [2, 0, 1]],
      ["sqL2", [0 + 1 + 4, 1 + 1 + 16, 27], [0, 1, 2]],
      ["l1", [3, 6, 9], [0, 1, 2]],
    ] as const) {
      const b = new QuantizedBlock(k, 3, metric, g);
      b.encode(x);
      const top = b.nearest(q, 3);
      expect(Array.from(top.indices), metric).toEqual(order);
      expect(Array.from(top.values), metric).toEqual(order.map((r) => want[r]!));
      b.free();
    }
  });

  it("long rows: the lanes' running sums wrap past i32, the total comes out exact", () => {
    // all codes 127 at dim 20,000: dot(v, qe) alone sums to ~4e10 per row and wraps; Σ cq·cx = 20,000·127² does not
    const dim = 20_000, g = { lo: 0, alpha: 1 };
    const x = new Float32Array(2 * dim).fill(127);
    x.fill(1, dim); // the second row: all ones
    const q = new Float32Array(dim).fill(127);
    const dotB = new QuantizedBlock(k, dim, "dot", g);
    dotB.encode(x);
    expect(Array.from(dotB.nearest(q, 2).values)).toEqual([dim * 127 * 127, dim * 127]);
    const l2 = new QuantizedBlock(k, dim, "sqL2", g);
    l2.encode(x);
    const top = l2.nearest(q, 2);
    expect(Array.from(top.indices)).toEqual([0, 1]);
    expect(Array.from(top.values)).toEqual([0, dim * 126 * 126]);
    dotB.free();
    l2.free();
  });

  it("matches the plain loop on seeded data of every dim (scores, order, row subsets, appends)", () => {
    const r = rng(11);
    for (const dim of [1, 3, 15, 16, 17, 31, 64, 100, 129]) {
      for (const metric of ["dot", "sqL2", "l1"] as const) {
        const n = 1 + Math.floor(r() * 700);
        const x = gaussian(n * dim, 100 + dim);
        const q = gaussian(dim, 200 + dim);
        const g = gridOf(quantileRange(x, n, dim, 0.95));
        const b = new QuantizedBlock(k, dim, metric, g);
        // encoded in two appends: the block grows and keeps its first rows
        const half = Math.floor(n / 2);
        b.encode(x.subarray(0, half * dim));
        b.encode(x.subarray(half * dim), half);
        expect(b.count).toBe(n);
        const ref = Array.from({ length: n }, (_, i) => refScore(metric, q, x, i * dim, dim, g));
        const top = b.nearest(q, n);
        const tol = 1e-4 * Math.max(1, ...ref.map(Math.abs));
        expect(new Set(top.indices).size).toBe(n);
        for (let i = 0; i < n; i++) expect(Math.abs(top.values[i]! - ref[top.indices[i]!]!), `${metric} ${dim}`).toBeLessThan(tol);
        for (let i = 1; i < n; i++) {
          if (metric === "dot") expect(top.values[i]!).toBeLessThanOrEqual(top.values[i - 1]!);
          else expect(top.values[i]!).toBeGreaterThanOrEqual(top.values[i - 1]!);
        }
        // a subset of rows: the answer holds row numbers, scores as above
        const rows = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 1);
        if (rows.length) {
          const sub = b.nearest(q, 5, rows);
          expect(sub.indices.length).toBe(Math.min(5, rows.length));
          for (let i = 0; i < sub.indices.length; i++) {
            expect(sub.indices[i]! % 3).toBe(1);
            expect(Math.abs(sub.values[i]! - ref[sub.indices[i]!]!)).toBeLessThan(tol);
          }
        }
        b.free();
      }
    }
  });

  it("the fused scan's top k (two streams, offered from registers) is the plain sort by score then row, ties included", () => {
    // integer codes on the grid lo 0, alpha 1: every score is an exact integer, so the reference is exact;
    // values 0..3 make many ties, and n covers both streams, the odd tail and n < 4
    const r = rng(23);
    const g = { lo: 0, alpha: 1 };
    for (const dim of [3, 16, 64, 100]) {
      for (const n of [1, 2, 3, 5, 7, 203, 1000]) {
        const x = Float32Array.from({ length: n * dim }, () => Math.floor(r() * 4));
        const q = Float32Array.from({ length: dim }, () => Math.floor(r() * 4));
        for (const metric of ["dot", "sqL2"] as const) {
          const b = new QuantizedBlock(k, dim, metric, g);
          b.encode(x);
          const score = (row: number) => refScore(metric, q, x, row * dim, dim, g);
          const sign = metric === "dot" ? -1 : 1;
          const order = Array.from({ length: n }, (_, i) => i).sort((a, c) => sign * (score(a) - score(c)) || a - c);
          for (const kk of [1, 3, 10, 50]) {
            const top = b.nearest(q, kk);
            const want = order.slice(0, Math.min(kk, n));
            expect(Array.from(top.indices), `${metric} dim ${dim} n ${n} k ${kk}`).toEqual(want);
            expect(Array.from(top.values)).toEqual(want.map(score));
          }
          b.free();
        }
      }
    }
  });

  it("the fused scan (every row), gathered (4 rows a step) and single-row paths give the same scores bit for bit", () => {
    for (const dim of [5, 16, 48, 128, 200]) {
      for (const metric of ["dot", "sqL2"] as const) {
        const n = 203; // fused: 50 steps of two rows from each half, then the last row; gathered: 50 steps of 4, then 3 one by one
        const x = gaussian(n * dim, 300 + dim);
        const q = gaussian(dim, 400 + dim);
        const b = new QuantizedBlock(k, dim, metric, gridOf(quantileRange(x, n, dim, 0.99)));
        b.encode(x);
        const byRow = (t: { indices: Int32Array; values: Float32Array }) => {
          const out = new Float32Array(n);
          t.indices.forEach((r, i) => (out[r] = t.values[i]!));
          return out;
        };
        const all = byRow(b.nearest(q, n));
        const gathered = byRow(b.nearest(q, n, Int32Array.from({ length: n }, (_, i) => i)));
        expect(Array.from(gathered), `${metric} ${dim}`).toEqual(Array.from(all));
        // rows one at a time go through the single-row tail
        for (const r of [0, 7, 8, 101, 202]) expect(b.nearest(q, 1, Int32Array.of(r)).values[0]).toBe(all[r]);
        b.free();
      }
    }
  });

  it("property: quantized candidates rescored exactly find the exact top-10 (recall >= 0.99)", () => {
    for (const dim of [64, 128]) {
      const n = 4000;
      const x = gaussian(n * dim, 3 + dim);
      const qs = gaussian(20 * dim, 4 + dim);
      const b = new QuantizedBlock(k, dim, "sqL2", gridOf(quantileRange(x, n, dim, 0.99)));
      b.encode(x);
      let hit = 0, hitRaw = 0;
      for (let t = 0; t < 20; t++) {
        const q = qs.subarray(t * dim, (t + 1) * dim);
        const truth = new Set(exactTop(q, x, n, dim, 10));
        const cand = b.nearest(q, 40);
        for (const i of Array.from(cand.indices).slice(0, 10)) if (truth.has(i)) hitRaw++;
        const rows = Int32Array.from(cand.indices).sort();
        const re = k.nearest({ query: q, vectors: x, dim, k: 10, metric: "sqL2", rows });
        for (const i of re.indices) if (truth.has(i)) hit++;
      }
      expect(hit / 200, `dim ${dim}`).toBeGreaterThanOrEqual(0.99);
      // the quantized order alone is already close: rescoring is what closes the gap
      expect(hitRaw / 200, `dim ${dim}`).toBeGreaterThan(0.7);
      b.free();
    }
  });

  it("rejects bad queries, k and grids with typed errors", () => {
    const b = new QuantizedBlock(k, 4, "dot", { lo: 0, alpha: 0.1 });
    b.encode(Float32Array.of(1, 2, 3, 4));
    expect(() => b.nearest(Float32Array.of(1, 2, 3), 1)).toThrow(/query must be one vector of dim 4, got 3 values/);
    expect(() => b.nearest(Float32Array.of(1, NaN, 3, 4), 1)).toThrow(/query\[1\] is NaN/);
    expect(() => b.nearest(Float32Array.of(1, 2, 3, 4), 0)).toThrow(InputError);
    expect(() => b.nearest(Float32Array.of(1, 2, 3, 4), 1, Int32Array.of(1))).toThrow(/rows\[0\] = 1 is outside the 1 vectors/);
    expect(() => b.encode(Float32Array.of(1, 2, 3))).toThrow(InputError);
    expect(() => new QuantizedBlock(k, 4, "dot", { lo: 0, alpha: 0 })).toThrow(/alpha > 0, got lo 0, alpha 0/);
    expect(() => new QuantizedBlock(k, 4, "cosine", { lo: 0, alpha: 1 })).toThrow(/normalize them and pass "dot"/);
    b.free();
    expect(b.count).toBe(0);
  });
});
