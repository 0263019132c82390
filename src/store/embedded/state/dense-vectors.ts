/**
 * One space of dense vectors: `count` rows of `dim` f32 values in ONE
 * growable block of wasm memory (row-major `[capacity, dim]`, a block of the
 * collection's Kernels instance, resized by the kernels), with its distance,
 * the kernel metric it scans with and, when configured, its scalar
 * quantization (codes derived from these rows).
 *
 * The surface is what a storage has to offer and nothing more: reserve,
 * set a row, move a row, drop the last rows, read a row, and the first
 * `count` rows as a scan input. Which point a row belongs to is the
 * caller's business (state/collection.ts), so another storage (vectors in a
 * file) can sit behind the same surface.
 *
 * Rows stay dense: a caller fills the hole of a removed row by moving the
 * last row into it, then truncates, so a scan reads exactly `count · dim`
 * floats.
 */

import type { KernelF32, Kernels, Metric } from "../../../kernels/index.js";
import type { Distance } from "../log/records.js";
import type { QuantizedState } from "./quantized.js";

/** The kernel metric each distance scans with (Cosine vectors are normalized at insert). */
export const METRIC_OF: Record<Distance, Metric> = { Cosine: "dot", Euclid: "sqL2", Dot: "dot", Manhattan: "l1" };

/** The first row capacity, and the growth factor of the block (in place, usually: the kernels grow the last block where it is). */
const MIN_CAPACITY = 1024;
const GROWTH = 1.25;

/** Best-first rows and scores, as the kernels' top-k answers them. */
export interface RowScores {
  indices: Int32Array;
  values: ArrayLike<number>;
}

/**
 * Scores one block of rows: the `k` best of its `n` rows (or of the
 * block-relative ascending `rows`), best first, ties to the lower row,
 * indices relative to the block.
 */
export type BlockScorer = (m: KernelF32, n: number, k: number, rows: Int32Array | undefined) => RowScores;

/**
 * What a storage of one space's vectors offers: {@link DenseVectors} (wasm
 * memory) or DiskVectors (state/disk-vectors.ts, Qdrant's `on_disk: true`).
 * Scans go through `nearest` / `distances` / `forEachBlock`, which hand the
 * caller's scorer the rows as kernel inputs: all of them at once in memory,
 * one bounded block after another from a file.
 */
export interface VectorStorage {
  readonly dim: number;
  readonly distance: Distance;
  readonly metric: Metric;
  readonly kernels: Kernels;
  /** True when the rows live in a file (only bounded blocks are ever in memory). */
  readonly onDisk: boolean;
  quantized: QuantizedState | null;
  readonly count: number;
  readonly changes: number;
  reserve(rows: number): void;
  set(row: number, vector: Float32Array): void;
  move(from: number, to: number): void;
  truncate(count: number): void;
  read(row: number): Float32Array;
  copy(): Float32Array;
  /** Put rows set so far where they are kept (a file's write buffer; nothing to do in memory). */
  flush(): void;
  /** The `k` best rows by `score` (among ascending `rows` when given), best first, ties to the lower row. */
  nearest(k: number, largest: boolean, score: BlockScorer, rows?: Int32Array): RowScores;
  /** `[queries, count]` scores against every row; `score(m, n)` answers `[queries, n]` for a block. */
  distances(queries: number, score: (m: KernelF32, n: number) => ArrayLike<number>): ArrayLike<number>;
  /** Visit the rows in order as kernel inputs: `fn(start, n, m)`, `m` valid during the call only. */
  forEachBlock(fn: (start: number, n: number, m: KernelF32) => void): void;
  dispose(): void;
}

/** The dense vectors of one space (the unnamed vector, or one named vector) of a collection. */
export class DenseVectors implements VectorStorage {
  readonly onDisk = false;
  readonly dim: number;
  readonly distance: Distance;
  readonly metric: Metric;
  readonly kernels: Kernels;
  /** Scalar quantization: its settings and codes derived from these rows (state/quantized.ts); null: none. */
  quantized: QuantizedState | null = null;
  /** The vectors: `[capacity, dim]` f32 in the kernels' memory (empty until the first row). */
  #block: KernelF32;
  #count = 0;
  /** Bumped on every change of the rows, so derived state (quantized codes) knows when it is stale. */
  #changes = 0;

  constructor(o: { dim: number; distance: Distance; kernels: Kernels }) {
    this.dim = o.dim;
    this.distance = o.distance;
    this.metric = METRIC_OF[o.distance];
    this.kernels = o.kernels;
    this.#block = o.kernels.allocF32(0);
  }

  /** Rows in use. */
  get count(): number {
    return this.#count;
  }

  /** A counter that changes whenever any row does. */
  get changes(): number {
    return this.#changes;
  }

  /** Rows the block holds room for. */
  get capacity(): number {
    return this.#block.length / this.dim;
  }

  /** Make room for `rows` rows: the kernels resize the block, keeping the rows in use (in place when it ends their memory). */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, MIN_CAPACITY, Math.floor(this.capacity * GROWTH));
    this.#block = this.kernels.resizeF32(this.#block, cap * this.dim, this.#count * this.dim);
  }

  /**
   * Write `vector` (`dim` values, already normalized for Cosine) as row
   * `row`: an existing row, or `count` to append one (reserve first for
   * many; this grows the block when needed).
   */
  set(row: number, vector: Float32Array): void {
    if (row === this.#count) {
      this.reserve(row + 1);
      this.#count++;
    }
    this.#block.view().set(vector, row * this.dim);
    this.#changes++;
  }

  /** Copy row `from` over row `to` (both in use). */
  move(from: number, to: number): void {
    if (from === to) return;
    const dim = this.dim;
    const rows = this.#block.view();
    rows.set(rows.subarray(from * dim, (from + 1) * dim), to * dim);
    this.#changes++;
  }

  /** Keep only the first `count` rows. */
  truncate(count: number): void {
    if (count >= this.#count) return;
    this.#count = count;
    this.#changes++;
  }

  /** A copy of row `row` (normalized for Cosine). */
  read(row: number): Float32Array {
    return this.#block.view().slice(row * this.dim, (row + 1) * this.dim);
  }

  /** The first `count` rows as a kernel input (a prefix view of the block: no copy). */
  matrix(): KernelF32 {
    return this.kernels.prefixF32(this.#block, this.#count * this.dim);
  }

  /** Rows are in place as soon as they are set. */
  flush(): void {}

  /** One scan over the whole block. */
  nearest(k: number, _largest: boolean, score: BlockScorer, rows?: Int32Array): RowScores {
    return score(this.matrix(), this.#count, k, rows);
  }

  distances(_queries: number, score: (m: KernelF32, n: number) => ArrayLike<number>): ArrayLike<number> {
    return score(this.matrix(), this.#count);
  }

  /** The whole block as one. */
  forEachBlock(fn: (start: number, n: number, m: KernelF32) => void): void {
    if (this.#count) fn(0, this.#count, this.matrix());
  }

  /** A copy of the rows in use (`count · dim` values), for a snapshot. */
  copy(): Float32Array {
    return this.#block.view().slice(0, this.#count * this.dim);
  }

  /** Give the wasm memory back (the space is unusable afterwards). */
  dispose(): void {
    this.quantized?.dispose();
    this.quantized = null;
    this.#block.free();
  }
}
