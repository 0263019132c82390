/**
 * The contract with the wasm module: every export of assembly/index.ts typed
 * once, the codes its flat functions take, and the layout of the result
 * slots and scratch blocks they write. Nothing outside src/kernels and
 * src/nn reads this file.
 */

import type { Metric, RerankMode } from "./types.js";

/** Every export of assembly/index.ts: flat functions over byte addresses into `memory`. */
export interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  /** Counting buckets of one radix pass (assembly/topk.ts): the `counts` scratch of argsort and statistics. */
  RADIX_BUCKETS: WebAssembly.Global;

  // distances, top-k, losses, statistics, re-rank
  oneToManyF32(metric: number, q: number, x: number, n: number, dim: number, out: number): number;
  scanTopF32(
    metric: number, q: number, x: number, n: number, dim: number, k: number, idx: number, val: number, size: number,
    bad: number, tmp: number,
  ): number;
  oneToRowsF32(metric: number, q: number, x: number, rows: number, m: number, dim: number, out: number): number;
  manyToManyF32(metric: number, q: number, m: number, x: number, n: number, dim: number, out: number): number;
  pairwiseF32(metric: number, x: number, b: number, dim: number, out: number): number;
  countNonFiniteF32(p: number, n: number): number;
  topKF32(scores: number, n: number, k: number, largest: number, idx: number, val: number): number;
  topKOfferF32(scores: number, n: number, base: number, k: number, largest: number, idx: number, val: number, size: number): number;
  topKFinishF32(k: number, largest: number, idx: number, val: number): void;
  argsortF32(
    scores: number, n: number, largest: number, idx: number, val: number,
    keys: number, keys2: number, idx2: number, counts: number,
  ): void;
  contrastiveF32(d: number, labels: number, b: number, margin: number, w: number, out: number): void;
  tripletAllF32(d: number, l: number, b: number, m: number, sq: number, w: number, cnt: number, out: number): void;
  tripletHardF32(d: number, l: number, b: number, m: number, sq: number, w: number, out: number): void;
  tripletSemiHardF32(d: number, l: number, b: number, m: number, sq: number, w: number, out: number): void;
  pairGradF32(x: number, b: number, dim: number, w: number, g: number, scale: number): void;
  /** The adapter's loss over explicit (anchor, positive, negative) row triplets (assembly/adapter.ts). */
  tripletRowsF32(x: number, dim: number, trip: number, t: number, margin: number, scale: number, g: number, out: number): void;
  tripletStatsF32(
    x: number, labels: number, n: number, dim: number, a0: number, a1: number, margin: number,
    cmargin: number, squared: number, dist: number, neg: number, prefix: number, tmp: number, counts: number,
    out: number,
  ): void;
  rerankF32(
    mode: number, c: number, nc: number, p: number, np: number, ng: number, nn: number, dim: number,
    margin: number, out: number,
  ): void;
  feedbackKdeF32(
    c: number, nc: number, q: number, p: number, np: number, ng: number, nn: number, dim: number,
    invScale: number, weight: number, invTau: number, out: number, tmp: number,
  ): void;

  // scalar quantization: assembly/quantized.ts
  scanU7(metric: number, q8: number, q16: number, codes: number, stride: number, rows: number, n: number, corr: number, scale: number, bias: number, out: number): void;
  scanTopU7(
    metric: number, q16: number, codes: number, stride: number, n: number, corr: number, scale: number, bias: number,
    k: number, idx: number, val: number, size: number,
  ): number;
  encodeU7(x: number, n: number, dim: number, stride: number, lo: number, inv: number, codes: number, corr: number, corrScale: number, squares: number): void;

  // training: assembly/{gemm,conv,nn,adam}.ts
  gemmF32(m: number, n: number, k: number, a: number, sai: number, sak: number, b: number, c: number, acc: number): void;
  simdPeakF32(buf: number, iters: number): number;
  conv3x3F32(x: number, n: number, h: number, w: number, cin: number, cout: number, wt: number, bias: number, y: number, col: number): void;
  conv3x3GradWF32(x: number, dy: number, n: number, h: number, w: number, cin: number, cout: number, dw: number, db: number, col: number): void;
  flipConvF32(wt: number, cin: number, cout: number, out: number): void;
  addBiasF32(y: number, rows: number, c: number, bias: number): void;
  colSumF32(dy: number, rows: number, c: number, db: number): void;
  leakyReluF32(y: number, len: number, leak: number): void;
  leakyReluBackF32(y: number, dy: number, len: number, leak: number): void;
  maxPool2F32(x: number, n: number, h: number, w: number, c: number, y: number): void;
  maxPool2BackF32(x: number, y: number, dy: number, n: number, h: number, w: number, c: number, dx: number): void;
  transposeF32(a: number, rows: number, cols: number, out: number): void;
  adamF32(p: number, g: number, m: number, v: number, len: number, lrT: number, b1: number, b2: number, epsT: number, decay: number): void;
}

/** The `metric` argument of the distance kernels (assembly/distance.ts). */
export const METRIC_CODE: Record<Metric, number> = { sqL2: 0, dot: 1, cosine: 2, l1: 3 };
/** The `mode` argument of rerankF32 (assembly/rerank.ts). */
export const RERANK_CODE: Record<RerankMode, number> = { exact: 0, triplet: 1, contrastive: 2 };

/** The f64 slots every loss kernel writes to `out` (assembly/loss.ts, writeOut). */
export const LOSS_SLOT = { lossSum: 0, valid: 1, active: 2 } as const;
/** Size of a loss kernel's `out` block: four f64 slots (the last is padding). */
export const LOSS_OUT_BYTES = 4 * 8;

/** The f64 slots tripletStatsF32 accumulates into `out` (assembly/stats.ts). */
export const STATS_SLOT = {
  easy: 0, semiHard: 1, hard: 2, tripletLossSum: 3, triplets: 4, active: 5,
  contrastiveLossSum: 6, orderedPairs: 7, positiveDistanceSum: 8, positivePairs: 9,
  negativeDistanceSum: 10, negativePairs: 11,
} as const;
/** Number of f64 slots in tripletStatsF32's `out`. */
export const STATS_SLOTS = 12;
