/**
 * One multivector space (Qdrant's `multivector_config: {comparator:
 * "max_sim"}`): per space row, a point's list of vectors, each `dim` values
 * (normalized for Cosine), in the JS heap. Rows stay dense as in the other
 * storages (a removed row is filled by the last one).
 *
 * Scoring is Qdrant's max_sim: for a query of vectors q_1..q_m and a point
 * of vectors v_1..v_n, Σ_i max_j sim(q_i, v_j), in f32, with `sim` the raw
 * similarity of the distance (dot for Dot and Cosine, −Σ(a−b)² for Euclid,
 * −Σ|a−b| for Manhattan: Qdrant does not post-process each pair); then, for
 * a nearest query, the sum is post-processed as a single score is (Euclid
 * √|s|, Manhattan |s|), so those rank ascending. An exact JS loop: cost
 * m · n · dim per point.
 */

import type { Distance } from "../log/records.js";
import { MultiVector } from "../log/records.js";

export { MultiVector };

/** Raw similarity of two vectors at `a[ao..]` and `b[bo..]` (higher is better), as Qdrant's metrics compute it, in f32. */
function similarity(distance: Distance, a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  if (distance === "Dot" || distance === "Cosine") for (let d = 0; d < dim; d++) s = Math.fround(s + Math.fround(a[ao + d]! * b[bo + d]!));
  else if (distance === "Euclid") {
    for (let d = 0; d < dim; d++) {
      const x = Math.fround(a[ao + d]! - b[bo + d]!);
      s = Math.fround(s + Math.fround(x * x));
    }
    s = -s;
  } else {
    for (let d = 0; d < dim; d++) s = Math.fround(s + Math.abs(Math.fround(a[ao + d]! - b[bo + d]!)));
    s = -s;
  }
  return s;
}

/** Qdrant's max_sim of query `q` against stored `v`: Σ over q's vectors of the best similarity among v's. */
export function maxSim(distance: Distance, q: MultiVector, v: MultiVector): number {
  const dim = q.dim;
  let sum = 0;
  for (let i = 0; i < q.count; i++) {
    let best = -Infinity;
    for (let j = 0; j < v.count; j++) best = Math.max(best, similarity(distance, q.data, i * dim, v.data, j * dim, dim));
    sum = Math.fround(sum + best);
  }
  return sum;
}

/** A nearest query's final score from the max_sim sum, as Qdrant post-processes a score (Euclid √|s|, Manhattan |s|). */
export function postprocess(distance: Distance, s: number): number {
  if (distance === "Euclid") return Math.fround(Math.sqrt(Math.abs(s)));
  if (distance === "Manhattan") return Math.abs(s);
  return s;
}

/** The multivectors of one space, one per space row. */
export class MultiVectors {
  readonly dim: number;
  readonly distance: Distance;
  #rows: MultiVector[] = [];

  constructor(o: { dim: number; distance: Distance }) {
    this.dim = o.dim;
    this.distance = o.distance;
  }

  get count(): number {
    return this.#rows.length;
  }

  /** Write row `row` (an existing one, or `count` to append). The multivector is kept as given: it is never mutated. */
  set(row: number, v: MultiVector): void {
    this.#rows[row] = v;
  }

  read(row: number): MultiVector {
    return this.#rows[row]!;
  }

  move(from: number, to: number): void {
    this.#rows[to] = this.#rows[from]!;
  }

  truncate(count: number): void {
    if (count < this.#rows.length) this.#rows.length = count;
  }

  /**
   * The `k` best rows (among ascending `rows` when given) for query `q`, by
   * Qdrant's post-processed max_sim score, best first (higher for Dot and
   * Cosine, lower for Euclid and Manhattan), ties to the lower row.
   */
  nearest(q: MultiVector, k: number, rows?: Int32Array): { indices: Int32Array; values: Float64Array } {
    const n = rows ? rows.length : this.#rows.length;
    const scored: { row: number; score: number }[] = [];
    for (let i = 0; i < n; i++) {
      const row = rows ? rows[i]! : i;
      scored.push({ row, score: postprocess(this.distance, maxSim(this.distance, q, this.#rows[row]!)) });
    }
    const lower = this.distance === "Euclid" || this.distance === "Manhattan";
    scored.sort((a, b) => (a.score === b.score ? a.row - b.row : lower ? a.score - b.score : b.score - a.score));
    const top = scored.slice(0, k);
    return { indices: Int32Array.from(top, (h) => h.row), values: Float64Array.from(top, (h) => h.score) };
  }
}
