/**
 * The losses and statistics of the kernels: batch checks, the pairwise
 * distance matrix, the miner's pair weights and the shared gradient kernel
 * (docs/architecture.md, "One gradient kernel for every loss"). The methods
 * of Kernels call these with their core.
 */

import { InputError } from "../errors.js";
import type { Call } from "./call.js";
import type { KernelCore } from "./core.js";
import { LOSS_OUT_BYTES, LOSS_SLOT, METRIC_CODE, STATS_SLOT, STATS_SLOTS } from "./exports.js";
import {
  AVERAGES, MINING,
  type Average, type F32Input, type LabelInput, type LossResult, type Mining, type TripletStats,
} from "./types.js";
import { checkClasses, checkDim, checkLabels, checkMargin, checkOneOf, rowsOf } from "./validate.js";

/** Anchors per tripletStats call: keeps each call short without a visible per-call cost. */
const STATS_BLOCK = 64;

/** Options shared by the metric-learning losses: the margin and whether distances are squared. */
export interface ContrastiveLossOptions {
  /** `[B, dim]` embeddings. */
  embeddings: F32Input;
  /** One integer label per row. */
  labels: LabelInput;
  dim: number;
  /** m > 0. */
  margin: number;
}

/** Options of the triplet loss: the contrastive options plus the mining rule, squared distances and the reduction. */
export interface TripletLossOptions extends ContrastiveLossOptions {
  /** Default "batch-all". */
  mining?: Mining;
  /** D = d² (default true) or d. */
  squared?: boolean;
  /** What batch-all averages over: "active" (default) or "all" valid triplets. */
  average?: Average;
}

/** Options of the triplet statistics: the contrastive options plus the contrastive margin and squared distances. */
export interface TripletStatsOptions extends ContrastiveLossOptions {
  /** Margin of the contrastive term. Default: `margin`. */
  contrastiveMargin?: number;
  /** D = d² (default true) or d. */
  squared?: boolean;
}

/**
 * Contrastive loss over all pairs of a batch: `y·d² + (1−y)·max(0, m − d)²`,
 * averaged over the B·(B−1)/2 pairs, with its gradient.
 */
export function contrastiveLoss(k: KernelCore, o: ContrastiveLossOptions): LossResult {
  const where = "contrastiveLoss";
  const { dim, b, labels } = batch(o, where, false);
  const margin = checkMargin(o.margin, where);
  return k.call((c) => {
    const { x, d, w, out, lab } = prepareBatch(k, c, o.embeddings, labels, b, dim, where);
    k.x.contrastiveF32(d, lab, b, margin, w, out);
    return finishLoss(k, c, x, b, dim, w, out, "all");
  });
}

/**
 * Triplet loss `max(0, D(a,p) − D(a,n) + m)` with D = d² (`squared`, the
 * default) or d, mined online inside the batch, with its gradient.
 *  - `batch-all`: every valid triplet, averaged over the active ones
 *    (`average: "active"`, default) or all valid ones (`"all"`);
 *  - `batch-hard`: per anchor the farthest positive and the closest negative, averaged over anchors;
 *  - `semi-hard`: per (a, p) the closest negative farther than p, else the farthest, averaged over pairs.
 * @throws InputError for a bad margin, a single class, no positive pair, labels of the wrong length, NaN.
 */
export function tripletLoss(k: KernelCore, o: TripletLossOptions): LossResult {
  const where = "tripletLoss";
  const mining = checkOneOf(o.mining ?? "batch-all", MINING, "mining", where);
  const average = checkOneOf(o.average ?? "active", AVERAGES, "average", where);
  const { dim, b, labels } = batch(o, where, true);
  const margin = checkMargin(o.margin, where);
  const sq = (o.squared ?? true) ? 1 : 0;
  return k.call((c) => {
    const { x, d, w, out, lab } = prepareBatch(k, c, o.embeddings, labels, b, dim, where);
    if (mining === "batch-all") k.x.tripletAllF32(d, lab, b, margin, sq, w, c.tmp(b * 4), out);
    else if (mining === "batch-hard") k.x.tripletHardF32(d, lab, b, margin, sq, w, out);
    else k.x.tripletSemiHardF32(d, lab, b, margin, sq, w, out);
    return finishLoss(k, c, x, b, dim, w, out, mining === "batch-all" ? average : "all");
  });
}

/**
 * Easy / semi-hard / hard counts over ALL valid triplets of a labeled set,
 * mean triplet and contrastive losses, and mean positive / negative
 * distances. Memory O(N), time O(N²·(dim + log N)).
 */
export function tripletStats(k: KernelCore, o: TripletStatsOptions): TripletStats {
  const where = "tripletStats";
  const { dim, b: n, labels } = batch(o, where, true);
  const margin = checkMargin(o.margin, where);
  const cmargin = checkMargin(o.contrastiveMargin ?? margin, where, "contrastiveMargin");
  return k.call((c) => {
    const x = c.in(o.embeddings);
    k.checkFinite(x, n * dim, o.embeddings, dim, where);
    const lab = c.inI32(labels);
    const dist = c.tmp(n * 4);
    const neg = c.tmp(n * 4);
    const prefix = c.tmp((n + 1) * 8);
    const tmp = c.tmp(n * 4);
    const counts = c.tmp(k.radixCountsBytes);
    const out = c.tmp(STATS_SLOTS * 8);
    k.arena.f64().fill(0, out >> 3, (out >> 3) + STATS_SLOTS);
    const sq = (o.squared ?? true) ? 1 : 0;
    for (let a0 = 0; a0 < n; a0 += STATS_BLOCK) {
      k.x.tripletStatsF32(x, lab, n, dim, a0, Math.min(n, a0 + STATS_BLOCK), margin, cmargin, sq, dist, neg, prefix, tmp, counts, out);
    }
    const r = k.arena.f64().subarray(out >> 3, (out >> 3) + STATS_SLOTS);
    const slot = (name: keyof typeof STATS_SLOT) => r[STATS_SLOT[name]]!;
    const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
    return {
      triplets: slot("triplets"), easy: slot("easy"), semiHard: slot("semiHard"), hard: slot("hard"), active: slot("active"),
      meanTripletLoss: ratio(slot("tripletLossSum"), slot("triplets")),
      meanContrastiveLoss: ratio(slot("contrastiveLossSum"), slot("orderedPairs")),
      meanPositiveDistance: ratio(slot("positiveDistanceSum"), slot("positivePairs")),
      meanNegativeDistance: ratio(slot("negativeDistanceSum"), slot("negativePairs")),
      // the kernel counts ordered pairs (i, j) and (j, i)
      positivePairs: slot("positivePairs") / 2,
      negativePairs: slot("negativePairs") / 2,
    };
  });
}

function batch(o: { embeddings: F32Input; labels: LabelInput; dim: number }, where: string, needPositive: boolean) {
  const dim = checkDim(o.dim, where);
  const b = rowsOf(o.embeddings, dim, "embeddings", where);
  const labels = checkLabels(o.labels, b, where);
  checkClasses(labels, needPositive, where);
  return { dim, b, labels };
}

function prepareBatch(k: KernelCore, c: Call, emb: F32Input, labels: Int32Array, b: number, dim: number, where: string) {
  const x = c.in(emb);
  k.checkFinite(x, b * dim, emb, dim, where);
  const d = c.tmp(b * b * 4);
  k.x.pairwiseF32(METRIC_CODE.sqL2, x, b, dim, d);
  if (k.x.countNonFiniteF32(d, b * b)) {
    throw new InputError(`${where}: embeddings are too large: a squared distance overflows f32; normalize them first`);
  }
  return { x, d, w: c.tmp(b * b * 4), out: c.tmp(LOSS_OUT_BYTES), lab: c.inI32(labels) };
}

function finishLoss(k: KernelCore, c: Call, x: number, b: number, dim: number, w: number, out: number, average: Average): LossResult {
  const f64 = k.arena.f64();
  const sum = f64[(out >> 3) + LOSS_SLOT.lossSum]!;
  const valid = f64[(out >> 3) + LOSS_SLOT.valid]!;
  const active = f64[(out >> 3) + LOSS_SLOT.active]!;
  const denom = average === "active" ? active : valid;
  const scale = denom > 0 ? 1 / denom : 0;
  const g = c.tmp(b * dim * 4);
  k.x.pairGradF32(x, b, dim, w, g, scale);
  return { loss: sum * scale, valid, active, grad: c.outF32(g, b * dim) };
}
