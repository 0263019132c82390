/**
 * Qdrant's distance matrix (lib/collection/src/collection/distance_matrix.rs):
 * `sample` points drawn at random from those the filter keeps, put in id
 * order; for each, its `limit` nearest among the sampled points. As Qdrant,
 * each row takes the `limit + 1` best (itself included) and then drops itself,
 * or its last when it did not make the cut and the row is full; fewer than two
 * sampled points answer nothing. All B² scores come from one call of the
 * pairwise kernel; equal scores go to the lower id.
 */

import { InputError } from "../../../errors.js";
import type { PointId } from "../log/records.js";
import { type Collection, type Predicate, compareIds } from "../state/collection.js";
import { sampleHits } from "./order-by.js";

/** The sampled ids (id order) and, per sampled point, its nearest as (offset into ids, score), best first. */
export interface MatrixResult {
  ids: PointId[];
  nearest: Array<Array<{ offset: number; score: number }>>;
}

/** Scores of all sampled pairs, row-major B × B, as Qdrant reports them (Euclid: the distance, not its square). */
function pairScores(col: Collection, using: string, rows: number[]): ArrayLike<number> {
  const v = col.denseSpace(using)!.vectors;
  const dim = v.dim;
  const b = rows.length;
  const vectors = new Float32Array(b * dim);
  rows.forEach((r, i) => vectors.set(col.vectorIn(r, using) as Float32Array, i * dim));
  let s: ArrayLike<number> | undefined;
  try {
    s = col.kernels.pairwise({ vectors, dim, metric: v.metric });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
  }
  if (!s) {
    // a pair beyond the f32 range: the same sums in doubles, as wide-scan.ts does for searches
    const d = new Float64Array(b * b);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < b; j++) {
        let acc = 0;
        for (let k = 0; k < dim; k++) {
          const x = vectors[i * dim + k]!;
          const y = vectors[j * dim + k]!;
          acc += v.metric === "dot" ? x * y : v.metric === "l1" ? Math.abs(x - y) : (x - y) * (x - y);
        }
        d[i * b + j] = acc;
      }
    }
    s = d;
  }
  if (v.distance !== "Euclid") return s;
  return Float64Array.from(s as ArrayLike<number>, (x) => Math.sqrt(Math.max(0, x)));
}

/**
 * Run a matrix request on the dense space `using` ("" by default), sampling
 * only points that have that vector. `random` draws the sample (Math.random, as Qdrant's unseeded sampling).
 */
export function searchMatrix(col: Collection, o: { filter: Predicate | null; sample: number; limit: number; using?: string; random?: () => number }): MatrixResult {
  if (o.sample === 0 || o.limit === 0) return { ids: [], nearest: [] };
  const using = o.using ?? "";
  const f = o.filter;
  const filter: Predicate | null = col.isPlain ? f : (p, id, v) => col.hasVector(id, using) && (!f || f(p, id, v));
  const picked = sampleHits(col, { kind: "scroll", filter, exclude: new Set(), limit: o.sample, offset: 0 }, o.random).map((h) => h.row);
  if (picked.length < 2) return { ids: [], nearest: [] };
  picked.sort((a, b) => compareIds(col.idAt(a), col.idAt(b)));
  const b = picked.length;
  const s = pairScores(col, using, picked);
  const distance = col.denseSpace(using)!.vectors.distance;
  const smaller = distance === "Euclid" || distance === "Manhattan";
  const nearest = picked.map((_, i) => {
    const order = Array.from({ length: b }, (_, j) => j);
    order.sort((x, y) => (smaller ? s[i * b + x]! - s[i * b + y]! : s[i * b + y]! - s[i * b + x]!) || x - y);
    const top = order.slice(0, o.limit + 1);
    const self = top.indexOf(i);
    if (self >= 0) top.splice(self, 1);
    else if (top.length === o.limit + 1) top.pop();
    return top.map((j) => ({ offset: j, score: s[i * b + j]! }));
  });
  return { ids: picked.map((r) => col.idAt(r)), nearest };
}
