import { describe, expect, it } from "vitest";
import { Kernels } from "../../src/kernels/index.js";
import { retrievalMetrics, detectCollapse, embeddingSpread } from "../../src/train/metrics.js";
import { gaussian } from "../helpers/random.js";

/** Naive leave-one-out P@1, R-precision and MAP@R. */
function naive(x: Float32Array, labels: Int32Array, dim: number) {
  const n = labels.length;
  let p1 = 0, rp = 0, map = 0;
  for (let q = 0; q < n; q++) {
    const d = [...Array(n).keys()].filter((j) => j !== q).map((j) => {
      let s = 0;
      for (let t = 0; t < dim; t++) s += (x[q * dim + t]! - x[j * dim + t]!) ** 2;
      return { j, s };
    }).sort((a, b) => a.s - b.s || a.j - b.j);
    const R = labels.filter((l) => l === labels[q]).length - 1;
    if (labels[d[0]!.j] === labels[q]) p1++;
    let hits = 0, ap = 0;
    for (let i = 0; i < R; i++) if (labels[d[i]!.j] === labels[q]) { hits++; ap += hits / (i + 1); }
    rp += hits / R;
    map += ap / R;
  }
  return { precisionAt1: p1 / n, rPrecision: rp / n, mapAtR: map / n };
}

describe("retrievalMetrics", () => {
  it("matches a naive leave-one-out loop", async () => {
    const k = await Kernels.load();
    const n = 150, dim = 5;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const x = gaussian(n * dim, 9);
    for (let i = 0; i < n; i++) x[i * dim]! += labels[i]! * 0.8;
    const got = retrievalMetrics(k, { embeddings: x, labels, dim, full: true });
    const want = naive(x, labels, dim);
    expect(got.precisionAt1).toBeCloseTo(want.precisionAt1, 10);
    expect(got.rPrecision!).toBeCloseTo(want.rPrecision, 10);
    expect(got.mapAtR!).toBeCloseTo(want.mapAtR, 10);
    expect(retrievalMetrics(k, { embeddings: x, labels, dim }).precisionAt1).toBeCloseTo(want.precisionAt1, 10);
  });
});

describe("detectCollapse", () => {
  it("flags a shrunken spread or a loss stuck at the margin with everything active", () => {
    expect(detectCollapse({ spread: 0.01, loss: 0.2, activeFraction: 0.3 }, 1, 0.5)).toBe(true);
    expect(detectCollapse({ spread: 0.5, loss: 0.5001, activeFraction: 1 }, 1, 0.5)).toBe(true);
    expect(detectCollapse({ spread: 0.5, loss: 0.5001, activeFraction: 0.1 }, 1, 0.5)).toBe(false);
    expect(detectCollapse({ spread: 0.5, loss: 0.3, activeFraction: 1 }, 1, 0.5)).toBe(false);
  });

  it("spread is the RMS distance to the centroid", () => {
    expect(embeddingSpread(Float32Array.from([0, 0, 2, 0]), 2)).toBeCloseTo(1, 6);
    expect(embeddingSpread(Float32Array.from([3, 3, 3, 3]), 2)).toBe(0);
  });
});
