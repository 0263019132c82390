import { beforeAll, describe, expect, it } from "vitest";
import { Kernels, METRICS, TARGETS } from "../../src/index.js";
import { refDistances, refMetric } from "../../src/kernels/reference.js";
import { gaussian, relErr, rng } from "../helpers/random.js";

describe.each(TARGETS)("distances (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("matches hand-computed values, with a scalar tail (dim 5)", () => {
    const q = Float32Array.of(1, 2, 3, 4, 5);
    const x = Float32Array.of(1, 0, 0, 0, 0, 1, 1, 1, 1, 1);
    const dim = 5;
    expect(Array.from(k.distances({ queries: q, vectors: x, dim }))).toEqual([54, 30]);
    expect(Array.from(k.distances({ queries: q, vectors: x, dim, metric: "dot" }))).toEqual([1, 15]);
    expect(Array.from(k.distances({ queries: q, vectors: x, dim, metric: "l1" }))).toEqual([14, 10]);
    const cos = k.distances({ queries: q, vectors: x, dim, metric: "cosine" });
    expect(cos[0]).toBeCloseTo(1 / Math.sqrt(55), 6);
    expect(cos[1]).toBeCloseTo(15 / Math.sqrt(275), 6);
  });

  it.each(METRICS)("one-to-many, many-to-many and pairwise match the reference (%s)", (metric) => {
    for (const [dim, seed] of [[1, 1], [3, 2], [4, 3], [7, 4], [8, 5], [64, 6], [129, 7]] as const) {
      const x = gaussian(37 * dim, seed);
      const q = gaussian(5 * dim, seed + 100);
      const one = k.distances({ queries: q.subarray(0, dim), vectors: x, dim, metric });
      expect(relErr(one, refDistances(q.subarray(0, dim), x, dim, metric))).toBeLessThan(1e-5);
      const many = k.distances({ queries: q, vectors: x, dim, metric });
      expect(relErr(many, refDistances(q, x, dim, metric))).toBeLessThan(1e-5);
      const pw = k.pairwise({ vectors: x, dim, metric });
      expect(relErr(pw, refDistances(x, x, dim, metric))).toBeLessThan(1e-5);
      for (let i = 0; i < 37; i++) for (let j = 0; j < 37; j++) expect(pw[i * 37 + j]).toBe(pw[j * 37 + i]);
    }
  });

  it("many-to-many crosses the 256-row cache blocks correctly", () => {
    const dim = 16;
    const x = gaussian(600 * dim, 11);
    const q = gaussian(3 * dim, 12);
    expect(relErr(k.distances({ queries: q, vectors: x, dim }), refDistances(q, x, dim))).toBeLessThan(1e-5);
  });

  it("reads resident blocks without copying, and they survive memory growth", () => {
    const dim = 32;
    const data = gaussian(100 * dim, 21);
    const block = k.allocF32(data.length, data);
    const q = gaussian(dim, 22);
    const before = k.distances({ queries: q, vectors: block, dim });
    const big = k.allocF32(8 << 20); // forces the memory to grow
    expect(Array.from(block.view())).toEqual(Array.from(data));
    expect(Array.from(k.distances({ queries: q, vectors: block, dim }))).toEqual(Array.from(before));
    big.free();
    block.free();
    expect(() => block.view()).toThrow(/freed/);
  });

  it("a long scan goes block by block into the heap and gives the same answer", () => {
    const dim = 8;
    const n = 20_011; // several 4,096-row blocks and a ragged tail
    const x = gaussian(n * dim, 41);
    for (let i = 0; i < 3; i++) x.copyWithin((n - 1 - i) * dim, 5 * dim, 6 * dim); // exact ties with row 5
    const q = x.slice(5 * dim, 6 * dim);
    const ref = refDistances(q, x, dim);
    const order = Array.from(ref.keys()).sort((a, b) => ref[a]! - ref[b]! || a - b);
    expect(Array.from(k.nearest({ query: q, vectors: x, dim, k: 9 }).indices)).toEqual(order.slice(0, 9));
    const dots = refDistances(q, x, dim, "dot");
    const byDot = Array.from(dots.keys()).sort((a, b) => dots[b]! - dots[a]! || a - b);
    expect(Array.from(k.nearest({ query: q, vectors: x, dim, k: 4, metric: "dot" }).indices)).toEqual(byDot.slice(0, 4));
    x[12_345 * dim + 3] = NaN;
    expect(() => k.nearest({ query: q, vectors: x, dim, k: 3 })).toThrow(/vectors\[row 12345, col 3\] is NaN/);
  });

  it("the fused long scan (two streams into the heap) equals the full ranking's head bit for bit, ties included", () => {
    // k·8 < n and n > 8,192 take the fused scan; k = n takes every score and the radix sort
    const r = rng(7);
    for (const dim of [3, 64, 65, 130]) {
      const n = 9_003; // odd: the two halves, then a tail of 3 rows
      const x = Float32Array.from({ length: n * dim }, () => (r() < 0.5 ? Math.floor(r() * 3) : r() - 0.5)); // many exact ties
      const q = Float32Array.from({ length: dim }, () => Math.floor(r() * 3));
      for (const metric of ["sqL2", "dot"] as const) {
        const all = k.nearest({ query: q, vectors: x, dim, k: n, metric });
        const top = k.nearest({ query: q, vectors: x, dim, k: 25, metric });
        expect(Array.from(top.indices), `${metric} ${dim}`).toEqual(Array.from(all.indices.subarray(0, 25)));
        expect(Array.from(top.values)).toEqual(Array.from(all.values.subarray(0, 25)));
      }
    }
  });

  it("nearest = distances + topK, with a row subset", () => {
    const dim = 24;
    const x = gaussian(500 * dim, 31);
    const q = gaussian(dim, 32);
    const top = k.nearest({ query: q, vectors: x, dim, k: 7 });
    const ref = refDistances(q, x, dim);
    const order = Array.from(ref.keys()).sort((a, b) => ref[a]! - ref[b]!);
    expect(Array.from(top.indices)).toEqual(order.slice(0, 7));
    const rows = Int32Array.from({ length: 250 }, (_, i) => 2 * i + 1);
    const sub = k.nearest({ query: q, vectors: x, dim, k: 5, rows });
    expect(Array.from(sub.indices)).toEqual(order.filter((i) => i % 2 === 1).slice(0, 5));
    const sim = k.nearest({ query: q, vectors: x, dim, k: 3, metric: "dot" });
    const dots = Array.from({ length: 500 }, (_, i) => refMetric("dot", q, 0, x, i, dim));
    expect(Array.from(sim.indices)).toEqual(Array.from(dots.keys()).sort((a, b) => dots[b]! - dots[a]!).slice(0, 3));
    expect(k.nearest({ query: q, vectors: x, dim, k: 5, rows: new Int32Array(0) }).indices.length).toBe(0);
    expect(k.nearest({ query: q, vectors: x.subarray(0, 2 * dim), dim, k: 5 }).indices.length).toBe(2);
  });
});
