/**
 * Leave-one-out rankings of a labeled set by exact search on the kernels:
 * every point queried against all the others. This is what the embedding
 * itself is worth, independent of the store's index.
 */

import { InputError } from "../errors.js";
import type { Kernels, Metric } from "../kernels/index.js";
import type { QueryRanking } from "./ranking.js";

/** Inputs of {@link exactRankings}: the vectors, their labels, the metric and how many to rank. */
export interface ExactRankingOptions {
  kernels: Kernels;
  /** Row-major `[n, dim]`. */
  vectors: Float32Array;
  dim: number;
  /** One integer label per row. */
  labels: Int32Array;
  /** Default `"sqL2"`. */
  metric?: Metric;
  /**
   * How deep each ranking goes. Default: the largest R + 1 (so MAP@R and
   * R-precision are exact), at least `minDepth`.
   */
  depth?: number;
  /** At least this deep (the largest k of the report). Default 1. */
  minDepth?: number;
  /** Which rows to query. Default: all. */
  queries?: Int32Array;
  /** Keep only the labels of each ranking, not its rows and scores (less memory). Default false. */
  labelsOnly?: boolean;
  /** Called every 256 queries and at the end. */
  onProgress?: (done: number, total: number) => void;
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F32 = new Float32Array(0);

/** A ranking with the rows and metric values behind it. */
export interface ExactRanking extends QueryRanking {
  /** The query's row. */
  query: number;
  /** Result rows, best first (the query excluded); empty with `labelsOnly`. */
  indices: Int32Array;
  /** Their metric values (d² for sqL2); empty with `labelsOnly`. */
  scores: Float32Array;
}

/**
 * Rankings of `queries` (default all rows), each without the query itself.
 * Ties rank the lower row index first (the kernels' top-k rule).
 */
export function exactRankings(o: ExactRankingOptions): ExactRanking[] {
  const { kernels, vectors, dim, labels } = o;
  const n = vectors.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new InputError(`exactRankings: need at least 2 vectors of dim ${dim}, got ${vectors.length} values`);
  if (labels.length !== n) throw new InputError(`exactRankings: ${labels.length} labels for ${n} vectors`);
  const count = new Map<number, number>();
  for (const l of labels) count.set(l, (count.get(l) ?? 0) + 1);
  const maxR = Math.max(...count.values()) - 1;
  const depth = Math.min(n - 1, Math.max(o.depth ?? maxR, o.minDepth ?? 1));
  const metric = o.metric ?? "sqL2";
  const queries = o.queries ?? Int32Array.from({ length: n }, (_, i) => i);
  const resident = kernels.allocF32(vectors.length, vectors);
  const out: ExactRanking[] = [];
  try {
    for (let qi = 0; qi < queries.length; qi++) {
      const i = queries[qi]!;
      if (!(i >= 0 && i < n)) throw new InputError(`exactRankings: query row ${i} is outside the ${n} vectors`);
      const top = kernels.nearest({
        query: resident.view().subarray(i * dim, (i + 1) * dim),
        vectors: resident, dim, k: depth + 1, metric,
      });
      const ranked = new Int32Array(depth);
      const indices = o.labelsOnly ? EMPTY_I32 : new Int32Array(depth);
      const scores = o.labelsOnly ? EMPTY_F32 : new Float32Array(depth);
      let r = 0;
      for (let j = 0; j < top.indices.length && r < depth; j++) {
        const idx = top.indices[j]!;
        if (idx === i) continue;
        ranked[r] = labels[idx]!;
        if (!o.labelsOnly) {
          indices[r] = idx;
          scores[r] = top.values[j]!;
        }
        r++;
      }
      out.push({
        query: i, label: labels[i]!, relevant: count.get(labels[i]!)! - 1, ranked: ranked.slice(0, r),
        indices: indices.slice(0, r), scores: scores.slice(0, r),
      });
      if (o.onProgress && ((qi + 1) % 256 === 0 || qi + 1 === queries.length)) o.onProgress(qi + 1, queries.length);
    }
  } finally {
    resident.free();
  }
  return out;
}
