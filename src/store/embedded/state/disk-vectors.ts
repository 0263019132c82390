/**
 * A collection's f32 vectors kept in a file instead of wasm memory (Qdrant's
 * `vectors.on_disk: true`): row-major `[count, dim]` little-endian f32 at
 * `<collection dir>/vectors.f32`, rows dense as in memory (a delete moves
 * the last row into the hole, then the file is cut by a row).
 *
 * The file is DERIVED state. The log and the snapshots stay the one home of
 * the vectors and keep their format; the file is recreated empty each time
 * the collection opens and refilled as recovery restores the snapshot and
 * replays the log. So a file left damaged, truncated or edited while the
 * store was down is never read: it is overwritten. Rebuilding rather than
 * validating (a header with the operation number and a checksum) was chosen
 * because recovery already holds every vector in hand when it loads the
 * snapshot, so a rebuild costs one sequential write where a validation would
 * cost a full read plus a checksum and would still need the rebuild path
 * for when it fails. No fsync: a crash loses nothing that the log lacks.
 *
 * While open, a read that comes back short (the file was cut under the
 * store) is refused with a StoreError instead of being served, and so is
 * every read after a write to the file failed (disk full): the rows applied
 * and the file then differ until a restart rebuilds it.
 *
 * Reads stay bounded: a scan streams the file in blocks of at most
 * {@link BLOCK_BYTES} into one reusable block of the kernels' memory and hands
 * each block to the caller's scorer; a gather of a few rows (rescoring the
 * quantized candidates) preads just those rows, coalescing neighbours.
 */

import { closeSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { StoreError } from "../../../errors.js";
import type { KernelF32, Kernels, Metric } from "../../../kernels/index.js";
import type { Distance } from "../log/records.js";
import { type BlockScorer, METRIC_OF, type RowScores, type VectorStorage } from "./dense-vectors.js";
import type { QuantizedState } from "./quantized.js";

/** The most bytes one block of a streamed scan or gather holds in wasm memory (the scratch reused block after block). */
export const BLOCK_BYTES = 1 << 20;

/** The name of the vectors file in a collection's folder. */
export const VECTORS_FILE = "vectors.f32";

export type { BlockScorer, RowScores };

/** The f32 rows of one space of a collection in a file, read back in bounded blocks. */
export class DiskVectors implements VectorStorage {
  readonly path: string;
  readonly dim: number;
  readonly distance: Distance;
  readonly metric: Metric;
  readonly kernels: Kernels;
  readonly onDisk = true;
  /** Scalar quantization: its settings and codes (in wasm memory: Qdrant's `always_ram`) derived from these rows; null: none. */
  quantized: QuantizedState | null = null;
  /** Rows one block holds. */
  readonly blockRows: number;
  #count = 0;
  #changes = 0;
  #fd: number;
  #block: KernelF32 | null = null;
  /** Rows set but not yet written: consecutive rows from `#pendingAt`, written in one call when the run ends or anything reads. */
  #pending: Float32Array;
  #pendingAt = 0;
  #pendingRows = 0;
  /** Set when a write or cut failed: the file no longer matches the rows applied, so nothing is read from it until a restart rebuilds it. */
  #broken: string | null = null;

  /** Create (or empty) the file at `path`: its old content, whatever it is, is never read. */
  constructor(o: { path: string; dim: number; distance: Distance; kernels: Kernels }) {
    this.path = o.path;
    this.dim = o.dim;
    this.distance = o.distance;
    this.metric = METRIC_OF[o.distance];
    this.kernels = o.kernels;
    this.blockRows = Math.max(1, Math.floor(BLOCK_BYTES / (o.dim * 4)));
    this.#pending = new Float32Array(this.blockRows * o.dim);
    try {
      this.#fd = openSync(o.path, "w+");
    } catch (cause) {
      throw new StoreError(`cannot create the vectors file ${o.path}: ${(cause as Error).message}; check the folder's permissions and free space`, { cause });
    }
  }

  /** Rows in the file (and waiting to be written). */
  get count(): number {
    return this.#count;
  }

  /** A counter that changes whenever any row does. */
  get changes(): number {
    return this.#changes;
  }

  /** Nothing to reserve: the file grows as rows are written. */
  reserve(_rows: number): void {}

  /**
   * Write `vector` as row `row` (an existing row, or `count` to append).
   * Consecutive rows collect in a buffer of one block and go to the file
   * in one write (a bulk upsert is a handful of writes, not one per row).
   */
  set(row: number, vector: Float32Array): void {
    if (this.#pendingRows && row !== this.#pendingAt + this.#pendingRows) this.flush();
    if (this.#pendingRows === this.blockRows) this.flush();
    if (!this.#pendingRows) this.#pendingAt = row;
    this.#pending.set(vector.subarray(0, this.dim), this.#pendingRows * this.dim);
    this.#pendingRows++;
    if (row === this.#count) this.#count++;
    this.#changes++;
  }

  /** Write the buffered rows to the file. */
  flush(): void {
    if (!this.#pendingRows) return;
    const rb = this.rowBytes;
    this.writeAt(new Uint8Array(this.#pending.buffer, 0, this.#pendingRows * rb), this.#pendingAt * rb);
    this.#pendingRows = 0;
  }

  /** Bytes of one row in the file. */
  private get rowBytes(): number {
    return this.dim * 4;
  }

  /** Move row `from` onto row `to` (a delete filling its hole with the last row). */
  move(from: number, to: number): void {
    if (from === to) return;
    this.set(to, this.read(from));
  }

  /** Keep the first `count` rows. */
  truncate(count: number): void {
    if (count >= this.#count) return;
    this.flush();
    try {
      ftruncateSync(this.#fd, count * this.rowBytes);
    } catch (cause) {
      this.#broken = `a cut failed (${(cause as Error).message})`;
      throw new StoreError(`cannot cut the vectors file ${this.path} to ${count} rows: ${(cause as Error).message}`, { cause });
    }
    this.#count = count;
    this.#changes++;
  }

  /** A copy of row `row`. */
  read(row: number): Float32Array {
    return this.readRows(Int32Array.of(row));
  }

  /** A copy of the rows `rows` (any order), `[rows.length, dim]`, read with one pread per run of neighbours. */
  readRows(rows: Int32Array): Float32Array {
    this.flush();
    const out = new Float32Array(rows.length * this.dim);
    this.gatherInto(rows, new Uint8Array(out.buffer));
    return out;
  }

  /** A copy of all rows (for a snapshot), read in blocks. */
  copy(): Float32Array {
    this.flush();
    const out = new Float32Array(this.#count * this.dim);
    const bytes = new Uint8Array(out.buffer);
    const step = this.blockRows * this.rowBytes;
    for (let at = 0; at < bytes.length; at += step) this.readAt(bytes.subarray(at, Math.min(bytes.length, at + step)), at);
    return out;
  }

  /**
   * Visit the rows in order, block by block: `fn(start, n, m)` gets rows
   * `start..start+n` as the first `n · dim` values of a block of the
   * kernels' memory (valid only during the call: the next block reuses it).
   */
  forEachBlock(fn: (start: number, n: number, m: KernelF32) => void): void {
    this.flush();
    for (let start = 0; start < this.#count; start += this.blockRows) {
      const n = Math.min(this.blockRows, this.#count - start);
      const m = this.scratch(n);
      this.readAt(this.bytesOf(m), start * this.rowBytes);
      fn(start, n, m);
    }
  }

  /**
   * The `k` best rows by `score`, among all rows or among `rows`
   * (ascending), best first, ties to the lower row, as one scan of the
   * rows in memory would answer. A sparse selection (a few candidates to
   * rescore, a narrow filter) is gathered row by row; a dense one streams
   * the file and hands each block its share of the rows.
   */
  nearest(k: number, largest: boolean, score: BlockScorer, rows?: Int32Array): RowScores {
    let best: { row: number; s: number }[] = [];
    const merge = (top: RowScores, toRow: (i: number) => number): void => {
      for (let i = 0; i < top.indices.length; i++) best.push({ row: toRow(top.indices[i]!), s: top.values[i]! });
      best.sort((a, b) => (largest ? b.s - a.s : a.s - b.s) || a.row - b.row);
      if (best.length > k) best.length = k;
    };
    this.flush();
    if (rows && rows.length * 8 <= this.#count) {
      // sparse: gather the rows a block at a time (they stay ascending, so ties still go to the lower row)
      for (let at = 0; at < rows.length; at += this.blockRows) {
        const part = rows.subarray(at, Math.min(rows.length, at + this.blockRows));
        const m = this.scratch(part.length);
        this.gatherInto(part, this.bytesOf(m));
        merge(score(m, part.length, Math.min(k, part.length), undefined), (i) => part[i]!);
      }
    } else {
      let j = 0;
      this.forEachBlock((start, n, m) => {
        let sub: Int32Array | undefined;
        if (rows) {
          const from = j;
          while (j < rows.length && rows[j]! < start + n) j++;
          if (j === from) return;
          sub = Int32Array.from(rows.subarray(from, j), (r) => r - start);
        }
        merge(score(m, n, Math.min(k, sub ? sub.length : n), sub), (i) => i + start);
      });
    }
    return { indices: Int32Array.from(best, (h) => h.row), values: Float64Array.from(best, (h) => h.s) };
  }

  /**
   * `[queries, count]` scores of each query against every row, streamed:
   * `score(m, n)` answers `[queries, n]` for one block.
   */
  distances(queries: number, score: (m: KernelF32, n: number) => ArrayLike<number>): Float64Array {
    const out = new Float64Array(queries * this.#count);
    this.forEachBlock((start, n, m) => {
      const d = score(m, n);
      for (let q = 0; q < queries; q++) for (let i = 0; i < n; i++) out[q * this.#count + start + i] = d[q * n + i]!;
    });
    return out;
  }

  /** Bytes of wasm memory this store of vectors holds (its one scratch block). */
  get scratchBytes(): number {
    return (this.#block?.length ?? 0) * 4;
  }

  /** Close the file and give the scratch block and the codes back (the file stays: the next open rebuilds it). */
  dispose(): void {
    this.quantized?.dispose();
    this.quantized = null;
    this.#block?.free();
    this.#block = null;
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  /** The scratch block holding `n` rows (grown to one block's size at most, once). */
  private scratch(n: number): KernelF32 {
    const need = n * this.dim;
    if (!this.#block || this.#block.length < need) {
      this.#block?.free();
      this.#block = this.kernels.allocF32(Math.max(need, Math.min(this.blockRows, this.#count) * this.dim));
    }
    return this.kernels.prefixF32(this.#block, need);
  }

  private bytesOf(m: KernelF32): Uint8Array {
    const v = m.view();
    return new Uint8Array(v.buffer, v.byteOffset, m.length * 4);
  }

  /** Rows `rows` into `into` (their bytes, in the given order), one pread per run of consecutive rows. */
  private gatherInto(rows: Int32Array, into: Uint8Array): void {
    const rb = this.rowBytes;
    for (let i = 0; i < rows.length; ) {
      const r = rows[i]!;
      if (!(r >= 0 && r < this.#count)) throw new StoreError(`vectors file ${this.path}: row ${r} is outside its ${this.#count} rows`);
      let j = i + 1;
      while (j < rows.length && rows[j] === rows[j - 1]! + 1 && rows[j]! < this.#count) j++;
      this.readAt(into.subarray(i * rb, j * rb), r * rb);
      i = j;
    }
  }

  private readAt(into: Uint8Array, pos: number): void {
    if (this.#broken) throw new StoreError(`the vectors file ${this.path} is out of step with the collection since ${this.#broken}; restart the store to rebuild it from the snapshot and log`);
    let done = 0;
    while (done < into.length) {
      let got: number;
      try {
        got = readSync(this.#fd, into, done, into.length - done, pos + done);
      } catch (cause) {
        throw new StoreError(`cannot read the vectors file ${this.path}: ${(cause as Error).message}`, { cause });
      }
      if (got === 0) {
        throw new StoreError(
          `the vectors file ${this.path} ends at byte ${pos + done}, before its ${this.#count} rows of ${this.rowBytes} bytes: ` +
            `it was cut or replaced while the store ran; restart the store to rebuild it from the snapshot and log`,
        );
      }
      done += got;
    }
  }

  private writeAt(bytes: Uint8Array, pos: number): void {
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, pos + done);
    } catch (cause) {
      this.#broken = `a write failed (${(cause as Error).message})`;
      throw new StoreError(`cannot write the vectors file ${this.path}: ${(cause as Error).message}; free some space and restart the store (it rebuilds the file)`, { cause });
    }
  }
}
