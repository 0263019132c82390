/** Paired differences with seeded bootstrap intervals (percentile method). */

import { mulberry32 } from "../data/random.js";

/** A mean of paired differences with its 95% bootstrap interval ({@link pairedBootstrap}). */
export interface Interval {
  /** Mean of the paired differences. */
  mean: number;
  /** 2.5th and 97.5th percentiles of the resampled means. */
  low: number;
  high: number;
}

/**
 * Mean of `a[i] − b[i]` with a 95% bootstrap interval from `resamples`
 * resamples of the pairs (seeded: the same data and seed give the same interval).
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, o: { seed: number; resamples?: number }): Interval {
  const n = a.length;
  if (n !== b.length) throw new Error(`pairedBootstrap: ${n} vs ${b.length} values`);
  if (n === 0) return { mean: 0, low: 0, high: 0 };
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += d[i] = a[i]! - b[i]!;
  const r = mulberry32(o.seed);
  const B = o.resamples ?? 1000;
  const means = new Float64Array(B);
  for (let j = 0; j < B; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[(r() * n) | 0]!;
    means[j] = s / n;
  }
  means.sort();
  return { mean: sum / n, low: means[Math.floor(0.025 * (B - 1))]!, high: means[Math.ceil(0.975 * (B - 1))]! };
}
