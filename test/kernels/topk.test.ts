import { beforeAll, describe, expect, it } from "vitest";
import { Kernels, TARGETS } from "../../src/index.js";
import { refTopK } from "../../src/kernels/reference.js";
import { gaussian, rng } from "../helpers/random.js";

describe.each(TARGETS)("topK (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("hand case: smallest and largest, best first, ties to the lower index", () => {
    const scores = Float32Array.of(3, 1, 2, 1, 5, -Infinity, Infinity);
    const s = k.topK({ scores, k: 4 });
    expect(Array.from(s.indices)).toEqual([5, 1, 3, 2]);
    expect(Array.from(s.values)).toEqual([-Infinity, 1, 1, 2]);
    const l = k.topK({ scores, k: 3, largest: true });
    expect(Array.from(l.indices)).toEqual([6, 4, 0]);
    expect(Array.from(k.topK({ scores, k: 7 }).indices)).toEqual([5, 1, 3, 2, 0, 4, 6]);
  });

  it("matches a full sort on random inputs with many ties", () => {
    const r = rng(7);
    for (let t = 0; t < 50; t++) {
      const n = 1 + Math.floor(r() * 300);
      const scores = Float32Array.from({ length: n }, () => Math.round(r() * 20) / 4);
      const kk = 1 + Math.floor(r() * n);
      const largest = r() < 0.5;
      const got = k.topK({ scores, k: kk, largest });
      const want = refTopK(scores, kk, largest);
      expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got.values)).toEqual(Array.from(want.values));
    }
    const big = gaussian(100_000, 9);
    expect(Array.from(k.topK({ scores: big, k: 10 }).indices)).toEqual(Array.from(refTopK(big, 10).indices));
  });
});

describe.each(TARGETS)("argsort (%s build)", (target) => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target });
  });

  it("hand case: stable, −0 ties +0, infinities at the ends", () => {
    const scores = Float32Array.of(2, -0, -3.5, 0, Infinity, 2, -Infinity, 1e-30);
    expect(Array.from(k.argsort({ scores }).indices)).toEqual([6, 2, 1, 3, 7, 0, 5, 4]);
    expect(Array.from(k.argsort({ scores, largest: true }).indices)).toEqual([4, 0, 5, 7, 1, 3, 2, 6]);
  });

  it("equals a full stable sort on random scores with ties, and nearest uses it for long rankings", () => {
    const r = rng(11);
    for (let t = 0; t < 20; t++) {
      const n = 1 + Math.floor(r() * 5000);
      const scores = Float32Array.from({ length: n }, () => (r() < 0.3 ? Math.round(r() * 8) : (r() - 0.5) * 1e6));
      for (const largest of [false, true]) {
        const got = k.argsort({ scores, largest });
        const want = refTopK(scores, n, largest);
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
        expect(Array.from(got.values)).toEqual(Array.from(want.values));
      }
    }
    const x = gaussian(3000 * 8, 12);
    const q = gaussian(8, 13);
    const heap = k.nearest({ query: q, vectors: x, dim: 8, k: 300 });
    const radix = k.nearest({ query: q, vectors: x, dim: 8, k: 2999 });
    expect(Array.from(radix.indices.subarray(0, 300))).toEqual(Array.from(heap.indices));
    expect(() => k.argsort({ scores: Float32Array.of(1, NaN) })).toThrow(/scores\[1\] is NaN/);
  });
});
