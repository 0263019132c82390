/**
 * Qdrant's two ways of merging the candidate lists of several prefetches
 * (lib/segment/src/common/reciprocal_rank_fusion.rs, score_fusion.rs):
 *
 * - rrf: a point at 0-based position p of a list weighted w scores
 *   1 / ((p + 1) / w + k − 1) there (1 / (p + k) at w = 1; nothing at w ≤ 0),
 *   summed over the lists; the input scores only give the order.
 * - dbsf: each list's scores are mapped to (s − (μ − 3σ)) / 6σ, μ the mean and
 *   σ² the sample variance (n − 1) of that list, not clamped; a single point
 *   scores 0.5, a list of equal scores 0.5 each; then summed per point.
 *
 * Both answer the merged points, highest score first. Qdrant leaves ties in
 * hash order; here they fall to the lower row, so answers are reproducible.
 */

import type { Hit } from "./search.js";

/** Qdrant's default `k` of rrf. */
export const DEFAULT_RRF_K = 2;

/** One list's contribution at 0-based `position`, as Qdrant's position_score. */
export function rrfPositionScore(position: number, k: number, weight = 1): number {
  if (weight <= 0) return 0;
  return 1 / ((position + 1) / weight + k - 1);
}

function merged(parts: Map<number, number>): Hit[] {
  return [...parts].map(([row, score]) => ({ row, score })).sort((a, b) => b.score - a.score || a.row - b.row);
}

/** Reciprocal rank fusion of best-first lists; `weights` (one per list) or all 1. */
export function rrf(lists: Hit[][], k: number, weights?: number[]): Hit[] {
  const sum = new Map<number, number>();
  lists.forEach((list, i) => {
    const w = weights ? weights[i]! : 1;
    list.forEach((h, pos) => sum.set(h.row, (sum.get(h.row) ?? 0) + rrfPositionScore(pos, k, w)));
  });
  return merged(sum);
}

/** A list's scores normalized as Qdrant's distr_norm (mean ± 3 sample standard deviations → 0..1). */
export function distrNorm(scores: number[]): number[] {
  if (scores.length < 2) return scores.map(() => 0.5);
  // Welford's one-pass mean and variance, as Qdrant computes them
  let mean = 0;
  let agg = 0;
  scores.forEach((s, i) => {
    const old = s - mean;
    mean += old / (i + 1);
    agg += old * (s - mean);
  });
  const std = Math.sqrt(agg / (scores.length - 1));
  const min = mean - 3 * std;
  const max = mean + 3 * std;
  if (min === max) return scores.map(() => 0.5);
  return scores.map((s) => (s - min) / (max - min));
}

/** Distribution-based score fusion of scored lists. */
export function dbsf(lists: Hit[][]): Hit[] {
  const sum = new Map<number, number>();
  for (const list of lists) {
    const norm = distrNorm(list.map((h) => h.score));
    list.forEach((h, i) => sum.set(h.row, (sum.get(h.row) ?? 0) + norm[i]!));
  }
  return merged(sum);
}
