/**
 * The public face of margin's wasm module, over one kernel core (core.ts:
 * the typed exports, the arena, the call scope, the checks). Callers pass
 * typed arrays (or {@link KernelF32} blocks that already live in wasm
 * memory) and get typed results. Every argument is checked here, so a bad
 * input is an {@link InputError} that says what is wrong, never a trap or a
 * NaN. The core stays private; internal users reach it with core.ts's coreOf.
 */

import { InputError, KernelError } from "../errors.js";
import { F32Block, prefixF32 } from "./arena.js";
import { concat, view, type Call } from "./call.js";
import { bindCore, KernelCore } from "./core.js";
import { METRIC_CODE, RERANK_CODE } from "./exports.js";
import type { WasmSource } from "./load.js";
import {
  contrastiveLoss, tripletLoss, tripletStats,
  type ContrastiveLossOptions, type TripletLossOptions, type TripletStatsOptions,
} from "./losses.js";
import {
  METRICS, RERANK_MODES, TARGETS,
  type F32Input, type KernelF32, type LossResult, type Metric,
  type RerankMode, type Target, type TopKResult, type TripletStats,
} from "./types.js";
import { checkDim, checkK, checkMargin, checkOneOf, checkRows, rowsOf } from "./validate.js";

/** Rows per block of a long nearest-neighbour scan: 16 KiB of scores stay in L1. */
const SCAN_BLOCK = 4096;

/** Which build of the wasm module {@link Kernels.load} runs, and its bytes or file when not the shipped one. */
export interface LoadOptions {
  /** Which build to run. Default `"release"`. */
  target?: Target;
  /** Where the wasm comes from. Default: build/margin[.debug].wasm beside the package (file in Node, fetched in a browser). */
  wasm?: WasmSource;
}

/** Options of {@link Kernels.rerank}. */
export interface RerankOptions {
  mode: RerankMode;
  /** The query vector: always the first positive. */
  query: F32Input;
  /** `[nc, dim]` candidates to score. */
  candidates: F32Input;
  dim: number;
  /** More examples of what is wanted, `[np, dim]`. */
  positives?: F32Input;
  /** Examples of what is not wanted, `[nn, dim]`. */
  negatives?: F32Input;
  /** Contrastive margin m (required for `contrastive`). */
  margin?: number;
}

/** Does `metric` rank smaller values first? */
export function isDistance(metric: Metric): boolean {
  return metric === "sqL2" || metric === "l1";
}

/**
 * margin's distance, top-k, loss, statistics and re-rank kernels.
 *
 * @example
 * const k = await Kernels.load();
 * const d = k.distances({ queries: q, vectors: x, dim: 64 });     // [1, n] squared L2
 * const { indices } = k.topK({ scores: d, k: 10 });               // 10 nearest
 */
export class Kernels {
  readonly target: Target;
  readonly #core: KernelCore;

  private constructor(core: KernelCore) {
    this.target = core.target;
    this.#core = core;
    bindCore(this, core);
  }

  /**
   * Instantiate the module (compiled once per target and reused). Each
   * instance has its own memory, so independent users (a store, a trainer)
   * do not share an arena.
   * @throws KernelError when the wasm cannot be read or compiled.
   */
  static async load(options: LoadOptions = {}): Promise<Kernels> {
    const target = checkOneOf(options.target ?? "release", TARGETS, "target", "Kernels.load");
    return new Kernels(await KernelCore.load(target, options.wasm));
  }

  /** Bytes of wasm linear memory (it grows, never shrinks). */
  get memoryBytes(): number {
    return this.#core.arena.memoryBytes;
  }

  /** Bytes in live blocks: between calls, only the caller's {@link allocF32} blocks. */
  get allocatedBytes(): number {
    return this.#core.arena.allocatedBytes;
  }

  /**
   * A block of `length` f32 values inside wasm memory, for data that many
   * calls read (a collection's vectors, re-rank candidates): passing it
   * saves the copy a Float32Array argument costs.
   */
  allocF32(length: number, init?: ArrayLike<number>): KernelF32 {
    if (!Number.isInteger(length) || length < 0) {
      throw new InputError(`allocF32: length must be a non-negative integer, got ${length}`);
    }
    const block = new F32Block(this.#core.arena, this.#core.arena.alloc(length * 4), length);
    if (init) block.view().set(init);
    return block;
  }

  /**
   * Resize a block from {@link allocF32} to `length` values, keeping its first
   * `keep` (default: all that fit). Grows in place when it can (always, for
   * the last block of memory); the old handle is dead afterwards.
   */
  resizeF32(block: KernelF32, length: number, keep = length): KernelF32 {
    if (!(block instanceof F32Block)) throw new InputError("resizeF32: block must come from allocF32 on this Kernels instance");
    if (!Number.isInteger(length) || length < 0) throw new InputError(`resizeF32: length must be a non-negative integer, got ${length}`);
    return block.resize(length, keep);
  }

  /** The first `length` values of a block as a kernel input (no copy; its free() does nothing). */
  prefixF32(block: KernelF32, length: number): KernelF32 {
    if (!Number.isInteger(length) || length < 0 || length > block.length) {
      throw new InputError(`prefixF32: length must be an integer in [0, ${block.length}], got ${length}`);
    }
    return prefixF32(block, length);
  }

  /**
   * Distances (or similarities) of M queries against N vectors.
   * @returns `[M, N]` row-major: `out[i*N + j] = metric(queries[i], vectors[j])`.
   * @throws InputError on a dimension mismatch, an empty input or a non-finite value.
   */
  distances(o: { queries: F32Input; vectors: F32Input; dim: number; metric?: Metric }): Float32Array {
    const where = "distances";
    const dim = checkDim(o.dim, where);
    const metric = checkOneOf(o.metric ?? "sqL2", METRICS, "metric", where);
    const m = rowsOf(o.queries, dim, "queries", where);
    const n = rowsOf(o.vectors, dim, "vectors", where);
    return this.#core.call((c) => {
      const q = c.in(o.queries);
      const xs = c.in(o.vectors);
      const out = c.tmp(m * n * 4);
      const bad = m === 1
        ? this.#core.x.oneToManyF32(METRIC_CODE[metric], q, xs, n, dim, out)
        : this.#core.x.manyToManyF32(METRIC_CODE[metric], q, m, xs, n, dim, out);
      if (bad) this.#core.nonFinite(where, metric, dim, { queries: o.queries, vectors: o.vectors });
      return c.outF32(out, m * n);
    });
  }

  /** All pairs of B vectors: `[B, B]`, exactly symmetric. */
  pairwise(o: { vectors: F32Input; dim: number; metric?: Metric }): Float32Array {
    const where = "pairwise";
    const dim = checkDim(o.dim, where);
    const metric = checkOneOf(o.metric ?? "sqL2", METRICS, "metric", where);
    const b = rowsOf(o.vectors, dim, "vectors", where);
    return this.#core.call((c) => {
      const out = c.tmp(b * b * 4);
      if (this.#core.x.pairwiseF32(METRIC_CODE[metric], c.in(o.vectors), b, dim, out)) {
        this.#core.nonFinite(where, metric, dim, { vectors: o.vectors });
      }
      return c.outF32(out, b * b);
    });
  }

  /**
   * The k best scores, best first: smallest by default, largest with
   * `largest: true`. Ties go to the lower index. NaN scores are rejected.
   * @throws InputError when k is not in [1, scores.length] or a score is NaN.
   */
  topK(o: { scores: F32Input; k: number; largest?: boolean }): TopKResult {
    const where = "topK";
    const n = rowsOf(o.scores, 1, "scores", where);
    const k = checkK(o.k, n, where);
    return this.#core.call((c) => {
      const s = c.in(o.scores);
      this.#core.rejectNaN(s, n, o.scores, where);
      return this.selectTop(c, s, n, k, o.largest ?? false);
    });
  }

  /**
   * The order of all scores, best first (smallest, or largest with
   * `largest: true`): a stable O(n) radix sort, so ties keep the lower index
   * first, as {@link topK} does. Use it for full rankings; topK for a few.
   * @throws InputError when a score is NaN.
   */
  argsort(o: { scores: F32Input; largest?: boolean }): TopKResult {
    const where = "argsort";
    const n = rowsOf(o.scores, 1, "scores", where);
    return this.#core.call((c) => {
      const s = c.in(o.scores);
      this.#core.rejectNaN(s, n, o.scores, where);
      return this.sortAll(c, s, n, o.largest ?? false);
    });
  }

  /**
   * Nearest neighbours of one query, fused: distances and top-k in wasm with
   * no copy of the N scores out. `rows` restricts the scan to a subset (a
   * payload filter's pre-selection). Distances rank smallest first,
   * similarities largest first.
   */
  nearest(o: { query: F32Input; vectors: F32Input; dim: number; k: number; metric?: Metric; rows?: Int32Array }): TopKResult {
    const where = "nearest";
    const dim = checkDim(o.dim, where);
    const metric = checkOneOf(o.metric ?? "sqL2", METRICS, "metric", where);
    if (rowsOf(o.query, dim, "query", where) !== 1) {
      throw new InputError(`${where}: query must be one vector of dim ${dim}, got ${o.query.length} values`);
    }
    const n = rowsOf(o.vectors, dim, "vectors", where, true);
    const rows = o.rows;
    if (rows) checkRows(rows, n, where);
    const m = rows ? rows.length : n;
    if (m === 0) return { indices: new Int32Array(0), values: new Float32Array(0) };
    const k = Math.min(checkK(o.k, Infinity, where), m);
    return this.#core.call((c) => {
      const q = c.in(o.query);
      const xs = c.in(o.vectors);
      const code = METRIC_CODE[metric];
      if (!rows && k * 8 < m && m > 2 * SCAN_BLOCK) return this.scanTop(c, code, q, xs, m, dim, k, metric, o);
      const scores = c.tmp(m * 4);
      const bad = rows
        ? this.#core.x.oneToRowsF32(code, q, xs, c.inI32(rows), m, dim, scores)
        : this.#core.x.oneToManyF32(code, q, xs, n, dim, scores);
      if (bad) this.#core.nonFinite(where, metric, dim, { query: o.query, vectors: o.vectors });
      // a heap wins for a few neighbours, the radix sort for a long ranking
      const top = k * 8 >= m ? this.sortAll(c, scores, m, !isDistance(metric), k) : this.selectTop(c, scores, m, k, !isDistance(metric));
      if (rows) for (let i = 0; i < top.indices.length; i++) top.indices[i] = rows[top.indices[i]!]!;
      return top;
    });
  }

  /**
   * Contrastive loss over all pairs of a batch: `y·d² + (1−y)·max(0, m − d)²`,
   * averaged over the B·(B−1)/2 pairs, with its gradient. See losses.ts.
   */
  contrastiveLoss(o: ContrastiveLossOptions): LossResult {
    return contrastiveLoss(this.#core, o);
  }

  /**
   * Triplet loss `max(0, D(a,p) − D(a,n) + m)` with D = d² (`squared`, the
   * default) or d, mined online inside the batch (batch-all, batch-hard,
   * semi-hard), with its gradient. See losses.ts.
   */
  tripletLoss(o: TripletLossOptions): LossResult {
    return tripletLoss(this.#core, o);
  }

  /**
   * Easy / semi-hard / hard counts over ALL valid triplets of a labeled set,
   * mean triplet and contrastive losses, mean positive / negative distances.
   * See losses.ts.
   */
  tripletStats(o: TripletStatsOptions): TripletStats {
    return tripletStats(this.#core, o);
  }

  /**
   * Re-rank scores of candidates (higher is better), docs/architecture.md:
   * exact `−d²(q,x)`; triplet `min_n d²(x,n) − min_p d²(x,p)`; contrastive
   * `−(mean_p d²(x,p) + mean_n max(0, m − d(x,n))²)`. The query is always
   * the first positive; `positives` and `negatives` add examples.
   */
  rerank(o: RerankOptions): Float32Array {
    const nc = this.checkRerank(o, "rerank");
    if (nc === 0) return new Float32Array(0);
    return this.#core.call((c) => c.outF32(this.scoreCandidates(c, o, nc, "rerank"), nc));
  }

  /**
   * {@link rerank} fused with {@link topK}: the k best candidates by re-rank
   * score, best first, without copying the scores out and back in.
   * `indices` are candidate rows.
   */
  rerankTop(o: RerankOptions & { k: number }): TopKResult {
    const where = "rerankTop";
    const nc = this.checkRerank(o, where);
    const k = Math.min(checkK(o.k, Infinity, where), nc);
    if (nc === 0) return { indices: new Int32Array(0), values: new Float32Array(0) };
    return this.#core.call((c) => this.selectTop(c, this.scoreCandidates(c, o, nc, where), nc, k, true));
  }

  private checkRerank(o: RerankOptions, where: string): number {
    checkOneOf(o.mode, RERANK_MODES, "mode", where);
    const dim = checkDim(o.dim, where);
    if (rowsOf(o.query, dim, "query", where) !== 1) {
      throw new InputError(`${where}: query must be one vector of dim ${dim}, got ${o.query.length} values`);
    }
    if (o.positives) rowsOf(o.positives, dim, "positives", where, true);
    if (o.negatives) rowsOf(o.negatives, dim, "negatives", where, true);
    if (o.mode === "contrastive") checkMargin(o.margin, where);
    return rowsOf(o.candidates, dim, "candidates", where, true);
  }

  /** Scores of the nc candidates into a scratch block; returns its address. */
  private scoreCandidates(c: Call, o: RerankOptions, nc: number, where: string): number {
    const dim = o.dim;
    const extraP = o.positives ? o.positives.length / dim : 0;
    const nn = o.negatives ? o.negatives.length / dim : 0;
    const cand = c.in(o.candidates);
    const p = c.tmp((1 + extraP) * dim * 4);
    const f = this.#core.arena.f32();
    f.set(view(o.query), p >> 2);
    if (o.positives && extraP) f.set(view(o.positives), (p >> 2) + dim);
    this.#core.checkFinite(p, (1 + extraP) * dim, () => concat(view(o.query), o.positives ? view(o.positives) : undefined), dim, where, "query/positives");
    const ng = nn ? c.in(o.negatives!) : 0;
    if (nn) this.#core.checkFinite(ng, nn * dim, o.negatives!, dim, where, "negatives");
    const out = c.tmp(nc * 4);
    this.#core.x.rerankF32(RERANK_CODE[o.mode], cand, nc, p, 1 + extraP, ng, nn, dim, o.margin ?? 0, out);
    // every mode has d²(x, p) in its score, so a non-finite candidate gives
    // a non-finite score: checking nc scores spares a scan of nc·dim values
    if (this.#core.x.countNonFiniteF32(out, nc)) this.#core.checkFinite(cand, nc * dim, o.candidates, dim, where, "candidates");
    return out;
  }

  // ---- internals -------------------------------------------------------

  private selectTop(c: Call, scores: number, n: number, k: number, largest: boolean): TopKResult {
    const idx = c.tmp(k * 4);
    const val = c.tmp(k * 4);
    this.#core.x.topKF32(scores, n, k, largest ? 1 : 0, idx, val);
    return { indices: c.outI32(idx, k), values: c.outF32(val, k) };
  }

  /**
   * A long scan for its top k. Squared L2 and dot go through one fused
   * kernel (the scores go from registers to the heap, the rows read as two
   * streams); the other metrics block by block, each block's scores into the
   * heap while they are in cache. Either way the scores are oneToManyF32's.
   */
  private scanTop(
    c: Call, code: number, q: number, xs: number, n: number, dim: number, k: number, metric: Metric,
    o: { query: F32Input; vectors: F32Input },
  ): TopKResult {
    const idx = c.tmp(k * 4);
    const val = c.tmp(k * 4);
    const largest = isDistance(metric) ? 0 : 1;
    let bad = 0;
    if (metric === "sqL2" || metric === "dot") {
      const badAt = c.tmp(16);
      this.#core.x.scanTopF32(code, q, xs, n, dim, k, idx, val, 0, badAt, c.tmp(16));
      bad = this.#core.arena.i32()[badAt >> 2]!;
    } else {
      const scores = c.tmp(SCAN_BLOCK * 4);
      let size = 0;
      for (let b = 0; b < n; b += SCAN_BLOCK) {
        const len = Math.min(SCAN_BLOCK, n - b);
        bad += this.#core.x.oneToManyF32(code, q, xs + b * dim * 4, len, dim, scores);
        size = this.#core.x.topKOfferF32(scores, len, b, k, largest, idx, val, size);
      }
    }
    if (bad) this.#core.nonFinite("nearest", metric, dim, { query: o.query, vectors: o.vectors });
    this.#core.x.topKFinishF32(k, largest, idx, val);
    return { indices: c.outI32(idx, k), values: c.outF32(val, k) };
  }

  private sortAll(c: Call, scores: number, n: number, largest: boolean, keep = n): TopKResult {
    const idx = c.tmp(n * 4);
    const val = c.tmp(n * 4);
    this.#core.x.argsortF32(scores, n, largest ? 1 : 0, idx, val, c.tmp(n * 4), c.tmp(n * 4), c.tmp(n * 4), c.tmp(this.#core.radixCountsBytes));
    return { indices: c.outI32(idx, keep), values: c.outF32(val, keep) };
  }
}
