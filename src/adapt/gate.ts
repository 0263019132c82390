/**
 * Does an adapter earn its place? Scored on held-out sessions of marks: per
 * session, the AUC of its rights over its wrongs (the share of (right,
 * wrong) pairs whose right lies nearer the query, ties counting half), with
 * and without the adapter. The gate ships the adapter only when the mean
 * paired gain is at least `minGain` AND the lower end of its 95% bootstrap
 * interval is above 0, judged on at least {@link MIN_HELD_OUT} sessions.
 */

import { mulberry32 } from "../data/random.js";
import type { Kernels } from "../kernels/index.js";
import { applyAdapter } from "./adapter.js";
import type { Adapter, GateResult, MarkSession, SessionSet } from "./types.js";

/** The gain the gate asks for by default: +0.03 in mean held-out session AUC. */
export const DEFAULT_MIN_GAIN = 0.03;
/**
 * The fewest held-out sessions the gate judges on: with fewer, a 95% interval
 * of a mean AUC gain is too wide to tell a real gain from a lucky split.
 */
export const MIN_HELD_OUT = 100;
/** Bootstrap resamples of the gate's interval. */
const RESAMPLES = 1000;

/** Per-session AUC of rights over wrongs, for sessions with both (others are left out). */
export function sessionAucs(vectors: Float32Array, dim: number, sessions: readonly MarkSession[]): number[] {
  const out: number[] = [];
  const d2 = (a: number, b: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const t = vectors[a * dim + j]! - vectors[b * dim + j]!;
      s += t * t;
    }
    return s;
  };
  for (const s of sessions) {
    if (s.right.length === 0 || s.wrong.length === 0) continue;
    const dw = s.wrong.map((w) => d2(s.query, w));
    let good = 0;
    for (const r of s.right) {
      const dr = d2(s.query, r);
      for (const d of dw) good += dr < d ? 1 : dr === d ? 0.5 : 0;
    }
    out.push(good / (s.right.length * dw.length));
  }
  return out;
}

/** The rows `sessions` touch, mapped through the adapter (other rows stay as they are: they are not read). */
export function adaptedRows(kernels: Kernels, adapter: Adapter, set: SessionSet, sessions: readonly MarkSession[]): Float32Array {
  const { dim } = set;
  const used = [...new Set(sessions.flatMap((s) => [s.query, ...s.right, ...s.wrong]))];
  const rows = new Float32Array(used.length * dim);
  used.forEach((r, i) => rows.set(set.vectors.subarray(r * dim, (r + 1) * dim), i * dim));
  const mapped = applyAdapter(kernels, adapter, rows);
  const out = new Float32Array(set.vectors.length);
  used.forEach((r, i) => out.set(mapped.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
}

/** Mean of a paired difference with a seeded 95% percentile bootstrap interval. */
export function bootstrapMean(diffs: readonly number[], seed = 1, resamples = RESAMPLES): { mean: number; interval: [number, number] } {
  const n = diffs.length;
  if (n === 0) return { mean: 0, interval: [0, 0] };
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const r = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diffs[Math.floor(r() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  return { mean, interval: [means[Math.floor(0.025 * resamples)]!, means[Math.ceil(0.975 * resamples) - 1]!] };
}

/**
 * The gate: `adapter` against no adapter on `heldOut` sessions of `set`.
 * @param o.minGain Required mean AUC gain. Default {@link DEFAULT_MIN_GAIN}.
 */
export function gateAdapter(
  kernels: Kernels, set: SessionSet, adapter: Adapter, heldOut: readonly MarkSession[],
  o: { minGain?: number; minSessions?: number; seed?: number } = {},
): GateResult {
  const minGain = o.minGain ?? DEFAULT_MIN_GAIN;
  const minSessions = o.minSessions ?? MIN_HELD_OUT;
  const before = sessionAucs(set.vectors, set.dim, heldOut);
  const after = sessionAucs(adaptedRows(kernels, adapter, set, heldOut), set.dim, heldOut);
  const n = before.length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const { mean: gain, interval } = bootstrapMean(after.map((a, i) => a - before[i]!), o.seed ?? 1);
  const fmt = (v: number) => v.toFixed(3);
  const figures = `held-out session AUC ${fmt(mean(after))} with the adapter vs ${fmt(mean(before))} without over ${n} sessions ` +
    `(gain ${gain >= 0 ? "+" : ""}${fmt(gain)}, 95% interval [${fmt(interval[0])}, ${fmt(interval[1])}])`;
  let ship = false;
  let reason: string;
  if (n === 0) reason = "no held-out session has both a right and a wrong mark, so the adapter cannot be judged; record more marks";
  else if (n < minSessions) reason = `not shipped: ${figures}: the gate needs at least ${minSessions} held-out sessions to judge; record more marks (about ${Math.ceil(minSessions / 0.2)} sessions in all)`;
  else if (gain < minGain) reason = `not shipped: ${figures} is below the required +${fmt(minGain)}`;
  else if (!(interval[0] > 0)) reason = `not shipped: ${figures}: the interval reaches 0, so the gain may be chance; record more marks`;
  else {
    ship = true;
    reason = `shipped: ${figures} clears the required +${fmt(minGain)}`;
  }
  return { ship, reason, sessions: n, before: mean(before), after: mean(after), gain, interval, minGain };
}
