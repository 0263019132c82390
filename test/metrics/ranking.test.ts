import { describe, expect, it } from "vitest";
import { InputError } from "../../src/index.js";
import { queryMetrics, rankingMetrics } from "../../src/metrics/ranking.js";
import { rng } from "../helpers/random.js";

describe("ranking metrics, hand-computed", () => {
  it("two relevant items at ranks 1 and 3", () => {
    const m = queryMetrics({ label: "a", relevant: 2, ranked: ["a", "b", "a"] }, [1, 2, 3]);
    expect(m.precisionAt1).toBe(1);
    expect(m.hitAt).toEqual({ 1: 1, 2: 1, 3: 1 });
    expect(m.recallAt).toEqual({ 1: 0.5, 2: 0.5, 3: 1 });
    expect(m.rPrecision).toBe(0.5);
    expect(m.mapAtR).toBe(0.5); // (P(1)·1 + P(2)·0) / 2
    expect(m.map).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(m.ndcgAt[3]).toBeCloseTo((1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3)), 12);
  });

  it("a query with one relevant item, found at rank 3", () => {
    const m = queryMetrics({ label: 7, relevant: 1, ranked: [1, 2, 7, 3] }, [1, 3]);
    expect([m.precisionAt1, m.hitAt[1], m.hitAt[3], m.recallAt[3]]).toEqual([0, 0, 1, 1]);
    expect([m.rPrecision, m.mapAtR]).toEqual([0, 0]);
    expect(m.map).toBeCloseTo(1 / 3, 12);
    expect(m.ndcgAt[3]).toBeCloseTo(0.5, 12); // 1/log2(4) over an ideal of 1
  });

  it("k larger than the collection: the ranking ends, nothing past it counts", () => {
    const m = queryMetrics({ label: "x", relevant: 3, ranked: ["x", "y"] }, [1, 10]);
    expect(m.hitAt[10]).toBe(1);
    expect(m.recallAt[10]).toBeCloseTo(1 / 3, 12);
    expect(m.rPrecision).toBeCloseTo(1 / 3, 12);
    const ideal = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(m.ndcgAt[10]).toBeCloseTo(1 / ideal, 12);
  });

  it("ties are resolved by the ranking given: swapping two tied items changes P@1", () => {
    expect(queryMetrics({ label: "a", relevant: 1, ranked: ["a", "b"] }, [1]).precisionAt1).toBe(1);
    expect(queryMetrics({ label: "a", relevant: 1, ranked: ["b", "a"] }, [1]).precisionAt1).toBe(0);
  });

  it("a label with no other item is left out and counted", () => {
    const r = rankingMetrics(
      [
        { label: "solo", relevant: 0, ranked: ["a", "a"] },
        { label: "a", relevant: 1, ranked: ["a", "solo"] },
        { label: "a", relevant: 1, ranked: ["solo", "a"] },
      ],
      [1, 2],
    );
    expect([r.queries, r.skipped]).toEqual([2, 1]);
    expect(r.precisionAt1).toBe(0.5);
    expect(r.hitAt).toEqual({ 1: 0.5, 2: 1 });
    expect(r.mapAtR).toBe(0.5);
    expect(r.map).toBe(0.75);
    expect(r.perLabel).toEqual({ a: { queries: 2, precisionAt1: 0.5 } });
  });

  it("matches brute-force definitions on random rankings (property)", () => {
    const r = rng(3);
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(r() * 30);
      const ranked = Array.from({ length: n }, () => Math.floor(r() * 3));
      const inList = ranked.filter((l) => l === 0).length;
      const R = Math.max(1, inList + Math.floor(r() * 3)); // some relevant items may be missing
      const m = queryMetrics({ label: 0, relevant: R, ranked }, [1, 5]);
      const rel = (i: number): number => (i < n && ranked[i] === 0 ? 1 : 0);
      const precAt = (i: number) => Array.from({ length: i }, (_, j) => rel(j)).reduce((a, b) => a + b, 0) / i;
      let mapR = 0;
      for (let i = 1; i <= R; i++) mapR += precAt(i) * rel(i - 1);
      let ap = 0;
      for (let i = 1; i <= n; i++) ap += precAt(i) * rel(i - 1);
      expect(m.mapAtR).toBeCloseTo(mapR / R, 12);
      expect(m.map).toBeCloseTo(ap / R, 12);
      expect(m.rPrecision).toBeCloseTo(precAt(R), 12);
      expect(m.recallAt[5]).toBeCloseTo((precAt(5) * 5) / R, 12);
    }
  });

  it("rejects a bad k or a negative relevant count", () => {
    expect(() => rankingMetrics([], [0])).toThrow(InputError);
    expect(() => rankingMetrics([], [1.5])).toThrow(/every k must be a positive integer, got 1.5/);
    expect(() => rankingMetrics([{ label: 1, relevant: -1, ranked: [] }], [1])).toThrow(/relevant must be a count ≥ 0, got -1/);
  });
});

describe("exact leave-one-out rankings on the kernels", async () => {
  const { Kernels } = await import("../../src/index.js");
  const { exactRankings } = await import("../../src/metrics/exact.js");
  const k = await Kernels.load();

  it("excludes the query, breaks ties by lower index, and feeds the metrics", () => {
    // 1-D points: 0 (a), 1 (b), -1 (a), 5 (b). From point 0, points 1 and 2 tie at d² = 1.
    const vectors = Float32Array.of(0, 1, -1, 5);
    const labels = Int32Array.of(0, 1, 0, 1);
    const r = exactRankings({ kernels: k, vectors, dim: 1, labels, minDepth: 3 });
    expect(Array.from(r[0]!.ranked)).toEqual([1, 0, 1]); // point 1 (label 1) before point 2 (label 0)
    expect(r[0]!.relevant).toBe(1);
    const m = rankingMetrics(r, [1, 3]);
    // P@1 per query: 0 (tie lost), 1→0: label 0 ≠ 1 → 0, 2→0: 1, 3→1: 1
    expect(m.precisionAt1).toBe(0.5);
    expect(m.hitAt[3]).toBe(1);
    expect(k.allocatedBytes).toBe(0);
  });
});
