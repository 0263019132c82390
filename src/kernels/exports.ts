/** The raw exports of the wasm module (assembly/index.ts) and the codes its flat functions take. */

import type { Metric, RerankMode } from "./types.js";

/** The raw exports of assembly/index.ts. */
export interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  oneToManyF32(metric: number, q: number, x: number, n: number, dim: number, out: number): number;
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
}

export const METRIC_CODE: Record<Metric, number> = { sqL2: 0, dot: 1, cosine: 2, l1: 3 };
export const RERANK_CODE: Record<RerankMode, number> = { exact: 0, triplet: 1, contrastive: 2 };
