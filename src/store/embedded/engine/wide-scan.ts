/**
 * Search that no stored value can break. Every stored component is a finite
 * f32, but a score need not be: Euclid on components near 1e20 squares past
 * the f32 range, Dot of two vectors near 1e30 likewise, and the kernels then
 * refuse the scan (a non-finite score has no order). Were that an error, one
 * such point would fail every search of its collection from then on. So when
 * the kernels refuse, the same scores are computed here in f64, where
 * finite f32 inputs cannot overflow (at most 65,536 terms of (2·3.4e38)²).
 * The common case pays a check of the k scores: the scan here runs only
 * when the kernels' answer holds a non-finite score.
 */

import { InputError } from "../../../errors.js";
import type { TopKResult } from "../../../kernels/index.js";
import type { Collection } from "../state/collection.js";

/** The score of one row, in f64, as the kernels define it for the collection's metric (dot, squared L2 or L1). */
function score(metric: Collection["metric"], q: Float32Array, m: Float32Array, at: number, dim: number): number {
  let s = 0;
  if (metric === "dot") for (let d = 0; d < dim; d++) s += q[d]! * m[at + d]!;
  else if (metric === "l1") for (let d = 0; d < dim; d++) s += Math.abs(q[d]! - m[at + d]!);
  else {
    for (let d = 0; d < dim; d++) {
      const x = q[d]! - m[at + d]!;
      s += x * x;
    }
  }
  return s;
}

/**
 * Nearest rows by the kernels, or in f64 when a score overflows f32. Same
 * result shape: rows and scores, best first, ties to the lower row. The rows
 * come block by block from the vectors' storage (one block in memory, a
 * bounded block at a time from a file), each block scored the same way.
 */
export function nearestSafe(col: Collection, query: Float32Array, k: number, rows: Int32Array | undefined): { indices: Int32Array; values: ArrayLike<number> } {
  const dim = col.dim;
  const metric = col.metric;
  const largest = metric === "dot";
  return col.dense.nearest(k, largest, (block, n, kk, sub) => {
    try {
      const top: TopKResult = col.kernels.nearest({ query, vectors: block, dim, k: kk, metric, rows: sub });
      // an overflow the kernels let through shows in the top k (±Infinity sorts first or last): checking k values suffices
      if (top.values.every(Number.isFinite)) return top;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
    const m = block.view();
    const len = sub ? sub.length : n;
    const scored = new Array<{ row: number; s: number }>(len);
    for (let j = 0; j < len; j++) {
      const r = sub ? sub[j]! : j;
      scored[j] = { row: r, s: score(metric, query, m, r * dim, dim) };
    }
    scored.sort((a, b) => (largest ? b.s - a.s : a.s - b.s) || a.row - b.row);
    const top = scored.slice(0, Math.min(kk, len));
    return { indices: Int32Array.from(top, (h) => h.row), values: Float64Array.from(top, (h) => h.s) };
  }, rows);
}

/** `[examples, count]` scores of each example against every row, by the kernels or in f64 when one overflows f32. */
export function distancesSafe(col: Collection, examples: Float32Array[]): ArrayLike<number> {
  const dim = col.dim;
  const queries = new Float32Array(examples.length * dim);
  examples.forEach((v, i) => queries.set(v, i * dim));
  return col.dense.distances(examples.length, (block, n) => {
    try {
      const d = col.kernels.distances({ queries, vectors: block, dim, metric: col.metric });
      if (d.every(Number.isFinite)) return d;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
    const m = block.view();
    const out = new Float64Array(examples.length * n);
    examples.forEach((q, i) => {
      for (let r = 0; r < n; r++) out[i * n + r] = score(col.metric, q, m, r * dim, dim);
    });
    return out;
  });
}
