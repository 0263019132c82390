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
