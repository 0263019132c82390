/**
 * Scalar quantization on the kernels (assembly/quantized.ts): f32 vectors
 * become 7-bit codes on one grid `v ≈ lo + alpha·c`, c in [0, 127], held in
 * a block of the instance's wasm memory, and scanned with i16x8 → i32x4
 * integer arithmetic for approximate scores. The codes are a quarter of the
 * f32 bytes (plus 4 bytes a row for the dot product's correction), which is
 * what a memory-bound scan pays for.
 */

import { InputError } from "../errors.js";
import type { Call } from "./call.js";
import { coreOf, type KernelCore } from "./core.js";
import { METRIC_CODE } from "./exports.js";
import type { Kernels } from "./kernels.js";
import type { F32Input, Metric, TopKResult } from "./types.js";
import { checkDim, checkRows, rowsOf } from "./validate.js";

/** The largest code: 7 bits, so products and squared differences of two codes fit i16 lanes. */
export const CODE_MAX = 127;
/** Vectors sampled for the quantile range (Qdrant samples the same number). */
export const QUANTILE_SAMPLE = 100_000;
/** Rows per block of a scan: 16 KiB of scores stay in L1 while they go to the top-k heap. */
const SCAN_BLOCK = 4096;

/** The quantization grid: value = lo + alpha · code. */
export interface Grid {
  lo: number;
  alpha: number;
}

/**
 * The range `[lo, hi]` of the values of `n` rows of `dim` floats that keeps
 * the central `quantile` of them (Qdrant's rule: at most {@link QUANTILE_SAMPLE}
 * rows, spread evenly; cut `(1 − quantile)/2` of the sorted values at each end);
 * min and max when `quantile` is undefined or there are fewer than 127 rows.
 * @throws InputError for a quantile outside [0.5, 1].
 */
export function quantileRange(values: Float32Array, n: number, dim: number, quantile?: number): { lo: number; hi: number } {
  if (quantile !== undefined && !(quantile >= 0.5 && quantile <= 1)) {
    throw new InputError(`quantileRange: quantile must be in [0.5, 1], got ${quantile}`);
  }
  if (n === 0) return { lo: 0, hi: 0 };
  if (quantile === undefined || n < CODE_MAX) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n * dim; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return { lo, hi };
  }
  const take = Math.min(n, QUANTILE_SAMPLE);
  const sample = new Float32Array(take * dim);
  for (let s = 0; s < take; s++) {
    const r = Math.floor((s * n) / take);
    sample.set(values.subarray(r * dim, (r + 1) * dim), s * dim);
  }
  sample.sort();
  const cut = Math.floor(((1 - quantile) / 2) * sample.length);
  return { lo: sample[cut]!, hi: sample[sample.length - 1 - cut]! };
}

/** The grid of a range: 127 steps from lo to hi (one step of 1 when the range is a point). */
export function gridOf(range: { lo: number; hi: number }): Grid {
  const span = range.hi - range.lo;
  return { lo: range.lo, alpha: span > 0 && Number.isFinite(span) ? span / CODE_MAX : 1 };
}

/** The code of one value on a grid, as the kernel computes it (a plain reference for the tests and for queries). */
export function codeOf(v: number, g: Grid): number {
  const c = Math.round(Math.fround((Math.fround(v) - Math.fround(g.lo)) * Math.fround(1 / g.alpha)));
  return c < 0 ? 0 : c > CODE_MAX ? CODE_MAX : c;
}

type QMetric = Exclude<Metric, "cosine">;

/**
 * `[capacity, stride]` codes and `[capacity]` corrections in wasm memory;
 * rows are encoded from f32 rows with {@link QuantizedBlock.encode} and
 * scanned with {@link QuantizedBlock.nearest}. Free it with {@link QuantizedBlock.free}.
 */
export class QuantizedBlock {
  readonly dim: number;
  /** Bytes a row of codes takes: dim rounded up to 16 (v128 loads, no tail). */
  readonly stride: number;
  readonly metric: QMetric;
  readonly grid: Grid;
  #core: KernelCore;
  #codes = 0;
  #corr = 0;
  #capacity = 0;
  #count = 0;

  constructor(kernels: Kernels, dim: number, metric: Metric, grid: Grid) {
    this.#core = coreOf(kernels);
    this.dim = checkDim(dim, "QuantizedBlock");
    if (metric === "cosine") throw new InputError(`QuantizedBlock: metric "cosine" is scanned as "dot" over normalized vectors; normalize them and pass "dot"`);
    this.metric = metric;
    if (!(Number.isFinite(grid.lo) && Number.isFinite(grid.alpha) && grid.alpha > 0)) {
      throw new InputError(`QuantizedBlock: the grid needs a finite lo and alpha > 0, got lo ${grid.lo}, alpha ${grid.alpha}`);
    }
    this.grid = { lo: grid.lo, alpha: grid.alpha };
    this.stride = Math.ceil(dim / 16) * 16;
  }

  /** Rows encoded. */
  get count(): number {
    return this.#count;
  }

  /** Bytes of wasm memory this block holds (codes and corrections). */
  get bytes(): number {
    return this.#capacity * (this.stride + 4);
  }

  /** Encode `n` rows of `vectors` (f32 `[n, dim]`) as rows `at..at+n` of the block, growing it as needed. */
  encode(vectors: F32Input, at = 0): void {
    const where = "QuantizedBlock.encode";
    const n = rowsOf(vectors, this.dim, "vectors", where, true);
    if (!Number.isInteger(at) || at < 0 || at > this.#count) throw new InputError(`${where}: at must be an integer in [0, ${this.#count}], got ${at}`);
    if (n === 0) return;
    this.reserve(at + n);
    const { lo, alpha } = this.grid;
    const corrScale = this.metric === "dot" ? alpha * lo : 0;
    this.#core.call((c) => {
      const x = c.in(vectors);
      this.#core.x.encodeU7(x, n, this.dim, this.stride, lo, 1 / alpha, this.#codes + at * this.stride, this.#corr + at * 4, corrScale, this.metric === "sqL2" ? 1 : 0);
    });
    this.#count = Math.max(this.#count, at + n);
  }

  /** Drop rows from `count` on (a delete moved the last row into a hole: re-encode that row, then truncate). */
  truncate(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.#count) throw new InputError(`QuantizedBlock.truncate: count must be in [0, ${this.#count}], got ${count}`);
    this.#count = count;
  }

  /**
   * The `k` best rows by approximate score against `query` (f32, encoded on
   * the block's grid), best first, ties to the lower row: among all rows,
   * or among `rows` (ascending row numbers) when given.
   * @throws InputError for a query of the wrong size or a non-finite value, or k < 1.
   */
  nearest(query: Float32Array, k: number, rows?: Int32Array): TopKResult {
    const where = "QuantizedBlock.nearest";
    if (query.length !== this.dim) throw new InputError(`${where}: query must be one vector of dim ${this.dim}, got ${query.length} values`);
    const bad = query.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${where}: query[${bad}] is ${query[bad]}; every value must be finite`);
    if (!Number.isInteger(k) || k < 1) throw new InputError(`${where}: k must be an integer >= 1, got ${k}`);
    if (rows) checkRows(rows, this.#count, where);
    const n = rows ? rows.length : this.#count;
    const kk = Math.min(k, n);
    if (kk === 0) return { indices: new Int32Array(0), values: new Float32Array(0) };
    const x = this.#core.x;
    return this.#core.call((c) => {
      const { q8, q16 } = this.queryCodes(c, query);
      const { scale, bias } = this.constants(query);
      const idx = c.tmp(kk * 4);
      const val = c.tmp(kk * 4);
      const code = METRIC_CODE[this.metric];
      const largest = this.metric === "dot" ? 1 : 0;
      let size = 0;
      if (!rows && this.metric !== "l1") {
        // every row in one fused scan: the scores go from registers to the heap
        size = x.scanTopU7(code, q16, this.#codes, this.stride, n, this.#corr, scale, bias, kk, idx, val, 0);
      } else {
        // gathered rows (or L1): scores block by block, each offered to the heap while it is in cache
        const scores = c.tmp(SCAN_BLOCK * 4);
        const rp = rows ? c.inI32(rows) : 0;
        for (let b = 0; b < n; b += SCAN_BLOCK) {
          const len = Math.min(SCAN_BLOCK, n - b);
          const codes = rows ? this.#codes : this.#codes + b * this.stride;
          const corr = rows ? this.#corr : this.#corr + b * 4;
          x.scanU7(code, q8, q16, codes, this.stride, rows ? rp + b * 4 : 0, len, corr, scale, bias, scores);
          size = x.topKOfferF32(scores, len, b, kk, largest, idx, val, size);
        }
      }
      x.topKFinishF32(kk, largest, idx, val);
      const at = c.outI32(idx, kk);
      const indices = rows ? Int32Array.from(at, (i) => rows[i]!) : at;
      return { indices, values: c.outF32(val, kk) };
    });
  }

  /** Give the wasm memory back; the block is empty (and reusable) afterwards. */
  free(): void {
    if (this.#codes) this.#core.arena.free(this.#codes);
    if (this.#corr) this.#core.arena.free(this.#corr);
    this.#codes = this.#corr = this.#capacity = this.#count = 0;
  }

  /** Make room for `rows` rows (an encode grows the block by half again when it runs out; reserving first allocates once, exactly). */
  reserve(rows: number): void {
    if (!Number.isInteger(rows) || rows < 0) throw new InputError(`QuantizedBlock.reserve: rows must be an integer >= 0, got ${rows}`);
    if (rows <= this.#capacity) return;
    const cap = Math.max(rows, 1024, Math.floor(this.#capacity * 1.5));
    const a = this.#core.arena;
    // the small block first: memory grows by at least half of itself, so a 4 B/row block grown after the
    // codes would add half the codes' size of headroom (1.5x the wasm bytes of a collection on disk)
    this.#corr = this.#corr ? a.realloc(this.#corr, cap * 4, this.#count * 4) : a.alloc(cap * 4);
    this.#codes = this.#codes ? a.realloc(this.#codes, cap * this.stride, this.#count * this.stride) : a.alloc(cap * this.stride);
    this.#capacity = cap;
  }

  /**
   * The query's codes, zero-padded to the stride, in scratch blocks: as u8,
   * and as i16 laid out per 16-code chunk as its 8 even codes qe, then the 8
   * values qo − 256·qe of its odd codes qo (the scan's chunkDot, in
   * assembly/quantized.ts, reads a row's byte pairs as one i16 lane and needs no mask).
   */
  private queryCodes(c: Call, query: Float32Array): { q8: number; q16: number } {
    const q8 = c.tmp(this.stride);
    const q16 = c.tmp(this.stride * 2);
    const bytes = new Uint8Array(this.#core.arena.memory.buffer, q8, this.stride);
    const wide = new Int16Array(this.#core.arena.memory.buffer, q16, this.stride);
    bytes.fill(0);
    for (let d = 0; d < this.dim; d++) bytes[d] = codeOf(query[d]!, this.grid);
    for (let chunk = 0; chunk < this.stride; chunk += 16) {
      for (let t = 0; t < 8; t++) {
        const even = bytes[chunk + 2 * t]!, odd = bytes[chunk + 2 * t + 1]!;
        wide[chunk + t] = even;
        wide[chunk + 8 + t] = odd - 256 * even;
      }
    }
    return { q8, q16 };
  }

  /** scale and bias of the kernel's score (assembly/quantized.ts). */
  private constants(query: Float32Array): { scale: number; bias: number } {
    const { lo, alpha } = this.grid;
    if (this.metric === "l1") return { scale: alpha, bias: 0 };
    let sum = 0, sq = 0;
    for (let d = 0; d < this.dim; d++) {
      const c = codeOf(query[d]!, this.grid);
      sum += c;
      sq += c * c;
    }
    if (this.metric === "sqL2") return { scale: alpha * alpha, bias: sq };
    return { scale: alpha * alpha, bias: alpha * lo * sum + this.dim * lo * lo };
  }
}
