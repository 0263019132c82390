/**
 * The one wrapper around margin's wasm module. It owns the memory layout:
 * callers pass typed arrays (or {@link KernelF32} blocks that already live in
 * wasm memory) and get typed results. Every argument is checked here, so a
 * bad input is an {@link InputError} that says what is wrong, never a trap
 * or a NaN.
 */

import { InputError, KernelError } from "../errors.js";
import { Arena } from "./arena.js";
import { compileKernels, type WasmSource } from "./load.js";
import {
  AVERAGES, METRICS, MINING, RERANK_MODES, TARGETS,
  type Average, type F32Input, type KernelF32, type LabelInput, type LossResult, type Metric,
  type Mining, type RerankMode, type Target, type TopKResult, type TripletStats,
} from "./types.js";
import {
  checkClasses, checkDim, checkLabels, checkMargin, checkOneOf, firstNonFinite, rowsOf,
} from "./validate.js";

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
}

const METRIC_CODE: Record<Metric, number> = { sqL2: 0, dot: 1, cosine: 2, l1: 3 };
const RERANK_CODE: Record<RerankMode, number> = { exact: 0, triplet: 1, contrastive: 2 };
/** Rows per block of a long nearest-neighbour scan: 16 KiB of scores stay in L1. */
const SCAN_BLOCK = 4096;
/** Anchors per tripletStats call: keeps each call short without a visible per-call cost. */
const STATS_BLOCK = 64;

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
  /** @internal The raw wasm exports; only src/kernels/ calls them. */
  readonly x: Exports;
  /** @internal The memory allocator; only src/kernels/ uses it. */
  readonly arena: Arena;

  private constructor(target: Target, exports: Exports) {
    this.target = target;
    this.x = exports;
    this.arena = new Arena(exports.memory, exports.heapBase());
  }

  /**
   * Instantiate the module (compiled once per target and reused). Each
   * instance has its own memory, so independent users (a store, a trainer)
   * do not share an arena.
   * @throws KernelError when the wasm cannot be read or compiled.
   */
  static async load(options: LoadOptions = {}): Promise<Kernels> {
    const target = checkOneOf(options.target ?? "release", TARGETS, "target", "Kernels.load");
    const module = await compileKernels(target, options.wasm);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new KernelError(`kernel assertion failed (assembly line ${line}:${col}); this is a bug in margin`);
        },
      },
    });
    return new Kernels(target, instance.exports as unknown as Exports);
  }

  /** Bytes of wasm linear memory (it grows, never shrinks). */
  get memoryBytes(): number {
    return this.arena.memoryBytes;
  }

  /** Bytes in live blocks: between calls, only the caller's {@link allocF32} blocks. */
  get allocatedBytes(): number {
    return this.arena.allocatedBytes;
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
    const arena = this.arena;
    let ptr: number | null = arena.alloc(length * 4);
    if (init) arena.f32().set(init, ptr >> 2);
    return {
      get ptr() {
        if (ptr === null) throw new KernelError("this KernelF32 block was freed");
        return ptr;
      },
      length,
      view() {
        if (ptr === null) throw new KernelError("this KernelF32 block was freed");
        return arena.f32().subarray(ptr >> 2, (ptr >> 2) + length);
      },
      free() {
        if (ptr !== null) arena.free(ptr);
        ptr = null;
      },
    };
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
    return this.call((c) => {
      const q = c.in(o.queries);
      const xs = c.in(o.vectors);
      const out = c.tmp(m * n * 4);
      const bad = m === 1
        ? this.x.oneToManyF32(METRIC_CODE[metric], q, xs, n, dim, out)
        : this.x.manyToManyF32(METRIC_CODE[metric], q, m, xs, n, dim, out);
      if (bad) this.nonFinite(where, metric, dim, { queries: o.queries, vectors: o.vectors });
      return c.outF32(out, m * n);
    });
  }

  /** All pairs of B vectors: `[B, B]`, exactly symmetric. */
  pairwise(o: { vectors: F32Input; dim: number; metric?: Metric }): Float32Array {
    const where = "pairwise";
    const dim = checkDim(o.dim, where);
    const metric = checkOneOf(o.metric ?? "sqL2", METRICS, "metric", where);
    const b = rowsOf(o.vectors, dim, "vectors", where);
    return this.call((c) => {
      const out = c.tmp(b * b * 4);
      if (this.x.pairwiseF32(METRIC_CODE[metric], c.in(o.vectors), b, dim, out)) {
        this.nonFinite(where, metric, dim, { vectors: o.vectors });
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
    return this.call((c) => {
      const s = c.in(o.scores);
      this.rejectNaN(s, n, o.scores, where);
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
    return this.call((c) => {
      const s = c.in(o.scores);
      this.rejectNaN(s, n, o.scores, where);
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
    return this.call((c) => {
      const q = c.in(o.query);
      const xs = c.in(o.vectors);
      const code = METRIC_CODE[metric];
      if (!rows && k * 8 < m && m > 2 * SCAN_BLOCK) return this.scanTop(c, code, q, xs, m, dim, k, metric, o);
      const scores = c.tmp(m * 4);
      const bad = rows
        ? this.x.oneToRowsF32(code, q, xs, c.inI32(rows), m, dim, scores)
        : this.x.oneToManyF32(code, q, xs, n, dim, scores);
      if (bad) this.nonFinite(where, metric, dim, { query: o.query, vectors: o.vectors });
      // a heap wins for a few neighbours, the radix sort for a long ranking
      const top = k * 8 >= m ? this.sortAll(c, scores, m, !isDistance(metric), k) : this.selectTop(c, scores, m, k, !isDistance(metric));
      if (rows) for (let i = 0; i < top.indices.length; i++) top.indices[i] = rows[top.indices[i]!]!;
      return top;
    });
  }

  /**
   * Contrastive loss over all pairs of a batch: `y·d² + (1−y)·max(0, m − d)²`,
   * averaged over the B·(B−1)/2 pairs, with its gradient.
   */
  contrastiveLoss(o: { embeddings: F32Input; labels: LabelInput; dim: number; margin: number }): LossResult {
    const where = "contrastiveLoss";
    const { dim, b, labels } = this.batch(o, where, false);
    const margin = checkMargin(o.margin, where);
    return this.call((c) => {
      const { x, d, w, out, lab } = this.prepareBatch(c, o.embeddings, labels, b, dim, where);
      this.x.contrastiveF32(d, lab, b, margin, w, out);
      return this.finishLoss(c, x, b, dim, w, out, "all");
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
  tripletLoss(o: {
    embeddings: F32Input; labels: LabelInput; dim: number; margin: number;
    mining?: Mining; squared?: boolean; average?: Average;
  }): LossResult {
    const where = "tripletLoss";
    const mining = checkOneOf(o.mining ?? "batch-all", MINING, "mining", where);
    const average = checkOneOf(o.average ?? "active", AVERAGES, "average", where);
    const { dim, b, labels } = this.batch(o, where, true);
    const margin = checkMargin(o.margin, where);
    const sq = (o.squared ?? true) ? 1 : 0;
    return this.call((c) => {
      const { x, d, w, out, lab } = this.prepareBatch(c, o.embeddings, labels, b, dim, where);
      if (mining === "batch-all") this.x.tripletAllF32(d, lab, b, margin, sq, w, c.tmp(b * 4), out);
      else if (mining === "batch-hard") this.x.tripletHardF32(d, lab, b, margin, sq, w, out);
      else this.x.tripletSemiHardF32(d, lab, b, margin, sq, w, out);
      return this.finishLoss(c, x, b, dim, w, out, mining === "batch-all" ? average : "all");
    });
  }

  /**
   * Easy / semi-hard / hard counts over ALL valid triplets of a labeled set,
   * mean triplet and contrastive losses, and mean positive / negative
   * distances. Memory O(N), time O(N²·(dim + log N)).
   */
  tripletStats(o: {
    embeddings: F32Input; labels: LabelInput; dim: number; margin: number;
    contrastiveMargin?: number; squared?: boolean;
  }): TripletStats {
    const where = "tripletStats";
    const { dim, b: n, labels } = this.batch(o, where, true);
    const margin = checkMargin(o.margin, where);
    const cmargin = checkMargin(o.contrastiveMargin ?? margin, where, "contrastiveMargin");
    return this.call((c) => {
      const x = c.in(o.embeddings);
      this.checkFinite(x, n * dim, o.embeddings, dim, where);
      const lab = c.inI32(labels);
      const dist = c.tmp(n * 4);
      const neg = c.tmp(n * 4);
      const prefix = c.tmp((n + 1) * 8);
      const tmp = c.tmp(n * 4);
      const counts = c.tmp(2048 * 4);
      const out = c.tmp(12 * 8);
      this.arena.f64().fill(0, out >> 3, (out >> 3) + 12);
      const sq = (o.squared ?? true) ? 1 : 0;
      for (let a0 = 0; a0 < n; a0 += STATS_BLOCK) {
        this.x.tripletStatsF32(x, lab, n, dim, a0, Math.min(n, a0 + STATS_BLOCK), margin, cmargin, sq, dist, neg, prefix, tmp, counts, out);
      }
      const r = this.arena.f64().slice(out >> 3, (out >> 3) + 12);
      const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
      return {
        triplets: r[4]!, easy: r[0]!, semiHard: r[1]!, hard: r[2]!, active: r[5]!,
        meanTripletLoss: ratio(r[3]!, r[4]!),
        meanContrastiveLoss: ratio(r[6]!, r[7]!),
        meanPositiveDistance: ratio(r[8]!, r[9]!),
        meanNegativeDistance: ratio(r[10]!, r[11]!),
        positivePairs: r[9]! / 2,
        negativePairs: r[11]! / 2,
      };
    });
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
    return this.call((c) => c.outF32(this.scoreCandidates(c, o, nc, "rerank"), nc));
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
    return this.call((c) => this.selectTop(c, this.scoreCandidates(c, o, nc, where), nc, k, true));
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
    const f = this.arena.f32();
    f.set(view(o.query), p >> 2);
    if (o.positives && extraP) f.set(view(o.positives), (p >> 2) + dim);
    this.checkFinite(p, (1 + extraP) * dim, () => concat(view(o.query), o.positives ? view(o.positives) : undefined), dim, where, "query/positives");
    const ng = nn ? c.in(o.negatives!) : 0;
    if (nn) this.checkFinite(ng, nn * dim, o.negatives!, dim, where, "negatives");
    const out = c.tmp(nc * 4);
    this.x.rerankF32(RERANK_CODE[o.mode], cand, nc, p, 1 + extraP, ng, nn, dim, o.margin ?? 0, out);
    // every mode has d²(x, p) in its score, so a non-finite candidate gives
    // a non-finite score: checking nc scores spares a scan of nc·dim values
    if (this.x.countNonFiniteF32(out, nc)) this.checkFinite(cand, nc * dim, o.candidates, dim, where, "candidates");
    return out;
  }

  // ---- internals -------------------------------------------------------

  private batch(o: { embeddings: F32Input; labels: LabelInput; dim: number }, where: string, needPositive: boolean) {
    const dim = checkDim(o.dim, where);
    const b = rowsOf(o.embeddings, dim, "embeddings", where);
    const labels = checkLabels(o.labels, b, where);
    checkClasses(labels, needPositive, where);
    return { dim, b, labels };
  }

  private prepareBatch(c: Call, emb: F32Input, labels: Int32Array, b: number, dim: number, where: string) {
    const x = c.in(emb);
    this.checkFinite(x, b * dim, emb, dim, where);
    const d = c.tmp(b * b * 4);
    this.x.pairwiseF32(METRIC_CODE.sqL2, x, b, dim, d);
    if (this.x.countNonFiniteF32(d, b * b)) {
      throw new InputError(`${where}: embeddings are too large: a squared distance overflows f32; normalize them first`);
    }
    return { x, d, w: c.tmp(b * b * 4), out: c.tmp(32), lab: c.inI32(labels) };
  }

  private finishLoss(c: Call, x: number, b: number, dim: number, w: number, out: number, average: Average): LossResult {
    const f64 = this.arena.f64();
    const sum = f64[out >> 3]!;
    const valid = f64[(out >> 3) + 1]!;
    const active = f64[(out >> 3) + 2]!;
    const denom = average === "active" ? active : valid;
    const scale = denom > 0 ? 1 / denom : 0;
    const g = c.tmp(b * dim * 4);
    this.x.pairGradF32(x, b, dim, w, g, scale);
    return { loss: sum * scale, valid, active, grad: c.outF32(g, b * dim) };
  }

  private selectTop(c: Call, scores: number, n: number, k: number, largest: boolean): TopKResult {
    const idx = c.tmp(k * 4);
    const val = c.tmp(k * 4);
    this.x.topKF32(scores, n, k, largest ? 1 : 0, idx, val);
    return { indices: this.arena.i32().slice(idx >> 2, (idx >> 2) + k), values: c.outF32(val, k) };
  }

  /**
   * A long scan block by block: each block's scores go straight into the
   * top-k heap while they are still in cache, instead of N scores out to
   * memory and back.
   */
  private scanTop(
    c: Call, code: number, q: number, xs: number, n: number, dim: number, k: number, metric: Metric,
    o: { query: F32Input; vectors: F32Input },
  ): TopKResult {
    const scores = c.tmp(SCAN_BLOCK * 4);
    const idx = c.tmp(k * 4);
    const val = c.tmp(k * 4);
    const largest = isDistance(metric) ? 0 : 1;
    let size = 0;
    let bad = 0;
    for (let b = 0; b < n; b += SCAN_BLOCK) {
      const len = Math.min(SCAN_BLOCK, n - b);
      bad += this.x.oneToManyF32(code, q, xs + b * dim * 4, len, dim, scores);
      size = this.x.topKOfferF32(scores, len, b, k, largest, idx, val, size);
    }
    if (bad) this.nonFinite("nearest", metric, dim, { query: o.query, vectors: o.vectors });
    this.x.topKFinishF32(k, largest, idx, val);
    return { indices: this.arena.i32().slice(idx >> 2, (idx >> 2) + k), values: c.outF32(val, k) };
  }

  private sortAll(c: Call, scores: number, n: number, largest: boolean, keep = n): TopKResult {
    const idx = c.tmp(n * 4);
    const val = c.tmp(n * 4);
    this.x.argsortF32(scores, n, largest ? 1 : 0, idx, val, c.tmp(n * 4), c.tmp(n * 4), c.tmp(n * 4), c.tmp(2048 * 4));
    return { indices: this.arena.i32().slice(idx >> 2, (idx >> 2) + keep), values: c.outF32(val, keep) };
  }

  private rejectNaN(ptr: number, n: number, src: F32Input, where: string): void {
    if (this.x.countNonFiniteF32(ptr, n) === 0) return;
    const bad = firstNonFinite(view(src), 1);
    if (bad && Number.isNaN(bad.value)) throw new InputError(`${where}: scores[${bad.row}] is NaN; scores must be numbers`);
  }

  private checkFinite(
    ptr: number, len: number, src: F32Input | (() => Float32Array), dim: number, where: string, name = "embeddings",
  ): void {
    if (this.x.countNonFiniteF32(ptr, len) === 0) return;
    const bad = firstNonFinite(typeof src === "function" ? src() : view(src), dim);
    const at = bad ? `[row ${bad.row}, col ${bad.col}] is ${bad.value}` : "holds a non-finite value";
    throw new InputError(`${where}: ${name}${at}; every value must be a finite number`);
  }

  private nonFinite(where: string, metric: Metric, dim: number, inputs: Record<string, F32Input>): never {
    for (const [name, src] of Object.entries(inputs)) {
      const bad = firstNonFinite(view(src), dim);
      if (bad) throw new InputError(`${where}: ${name}[row ${bad.row}, col ${bad.col}] is ${bad.value}; every value must be a finite number`);
    }
    throw new InputError(
      metric === "cosine"
        ? `${where}: a vector has zero norm, so its cosine similarity is undefined; drop it or use metric "sqL2"`
        : `${where}: a ${metric} value overflows f32; the vectors are too large, normalize them first`,
    );
  }

  private call<T>(fn: (c: Call) => T): T {
    const c = new Call(this.arena);
    try {
      return fn(c);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw new KernelError(`kernel trapped: ${e.message}; this is a bug in margin`, { cause: e });
      throw e;
    } finally {
      c.release();
    }
  }
}

/** Scratch blocks of one kernel call, freed when the call returns. */
class Call {
  private blocks: number[] = [];
  constructor(private readonly arena: Arena) {}

  tmp(bytes: number): number {
    const p = this.arena.alloc(bytes);
    this.blocks.push(p);
    return p;
  }

  in(x: F32Input): number {
    if (!(x instanceof Float32Array)) return x.ptr;
    // a view into wasm memory (e.g. a subarray of a KernelF32 view) is read in place
    if (x.buffer === this.arena.memory.buffer) return x.byteOffset;
    const p = this.tmp(x.length * 4);
    this.arena.f32().set(x, p >> 2);
    return p;
  }

  inI32(x: Int32Array): number {
    const p = this.tmp(x.length * 4);
    this.arena.i32().set(x, p >> 2);
    return p;
  }

  outF32(ptr: number, n: number): Float32Array {
    return this.arena.f32().slice(ptr >> 2, (ptr >> 2) + n);
  }

  release(): void {
    for (const p of this.blocks) this.arena.free(p);
    this.blocks = [];
  }
}

function view(x: F32Input): Float32Array {
  return x instanceof Float32Array ? x : x.view();
}

function concat(a: Float32Array, b?: Float32Array): Float32Array {
  if (!b || b.length === 0) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function checkK(k: unknown, n: number, where: string): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new InputError(`${where}: k must be a positive integer, got ${String(k)}`);
  }
  if (k > n) throw new InputError(`${where}: k = ${k} is larger than the ${n} scores; pass k ≤ ${n}`);
  return k;
}

function checkRows(rows: Int32Array, n: number, where: string): void {
  if (!(rows instanceof Int32Array)) throw new InputError(`${where}: rows must be an Int32Array of row indices`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r < 0 || r >= n) throw new InputError(`${where}: rows[${i}] = ${r} is outside the ${n} vectors`);
  }
}
