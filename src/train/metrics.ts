/**
 * Leave-one-out retrieval metrics of embeddings on the kernels: each point
 * is queried against all the others (itself excluded), by squared L2.
 * precision@1, R-precision and MAP@R with R = the number of other points
 * sharing the query's label (Musgrave et al. 2020), from the same rankings
 * and metric code `margin eval` uses.
 */

import type { Kernels } from "../kernels/index.js";
import { exactRankings } from "../metrics/exact.js";
import { rankingMetrics } from "../metrics/ranking.js";

/** The trainer's retrieval figures. */
export interface RetrievalMetrics {
  precisionAt1: number;
  /** Present when computed with `full: true`. */
  rPrecision?: number;
  mapAtR?: number;
  queries: number;
}

/**
 * Metrics of `[n, dim]` embeddings with labels. `full: false` computes
 * precision@1 only (depth 1); `full: true` ranks each query to depth R.
 */
export function retrievalMetrics(k: Kernels, o: { embeddings: Float32Array; labels: Int32Array; dim: number; full?: boolean }): RetrievalMetrics {
  const rankings = exactRankings({
    kernels: k, vectors: o.embeddings, dim: o.dim, labels: o.labels, depth: o.full ? undefined : 1, labelsOnly: true,
  });
  const m = rankingMetrics(rankings, [1]);
  return o.full
    ? { precisionAt1: m.precisionAt1, rPrecision: m.rPrecision, mapAtR: m.mapAtR, queries: m.queries }
    : { precisionAt1: m.precisionAt1, queries: m.queries };
}

/** Root-mean-square distance of the embeddings to their centroid (0 = collapsed to a point). */
export function embeddingSpread(embeddings: Float32Array, dim: number): number {
  const n = embeddings.length / dim;
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) c[j]! += embeddings[i * dim + j]!;
  for (let j = 0; j < dim; j++) c[j]! /= n;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) s += (embeddings[i * dim + j]! - c[j]!) ** 2;
  return Math.sqrt(s / Math.max(n, 1));
}

/**
 * Has training collapsed the embeddings? Either they shrank to a point
 * (spread below 2% of the untrained network's), or the loss is stuck at the
 * margin with nearly every triplet active: the signature of batch-hard from
 * random weights, where d(a,p) ≈ d(a,n) ≈ 0 for every anchor.
 */
export function detectCollapse(
  r: { spread: number; loss: number; activeFraction: number }, untrainedSpread: number, margin: number,
): boolean {
  if (!(r.spread > 0.02 * untrainedSpread)) return true;
  return r.activeFraction > 0.95 && Math.abs(r.loss - margin) < 0.02 * margin;
}
