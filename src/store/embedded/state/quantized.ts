/**
 * A collection's scalar quantization (Qdrant's `quantization_config.scalar`,
 * type int8): its settings and the codes derived from its vectors. The
 * codes are derived state, never logged or snapshotted: they are rebuilt
 * from the vectors when a search first needs them after a change (and so
 * after a restart), because the vectors are the one home of the facts, a
 * rebuild reads them once (≈ a second per million 64-d rows) and storing
 * codes would make every snapshot 25% larger and give recovery a second
 * thing to keep consistent.
 *
 * The grid: Qdrant's rule, the central `quantile` of the values (sampled)
 * when a quantile is given, else their min and max, cut into 127 steps.
 */

import { type Grid, QUANTILE_SAMPLE, QuantizedBlock, gridOf, quantileRange } from "../../../kernels/index.js";
import type { VectorStorage } from "./dense-vectors.js";

/** Qdrant's ScalarQuantizationConfig, as checked by the wire (type is always "int8"). */
export interface ScalarConfig {
  type: "int8";
  quantile?: number;
  always_ram?: boolean;
}

/** The approximate candidates of a scan: rows and their quantized scores, best first. */
export interface Candidates {
  indices: Int32Array;
  values: Float32Array;
}

/** The settings and, once built, the codes of one collection. */
export class QuantizedState {
  readonly config: ScalarConfig;
  #block: QuantizedBlock | null = null;
  /** The vectors' change counter and size when the codes were built. */
  #builtAt = "";

  constructor(config: ScalarConfig) {
    this.config = { ...config };
  }

  /** Bytes of wasm memory the codes hold now (0 before the first quantized search). */
  get bytes(): number {
    return this.#block?.bytes ?? 0;
  }

  /** The grid of the codes now, or null before they are built. */
  get grid(): Grid | null {
    return this.#block?.grid ?? null;
  }

  /**
   * The `k` best rows by quantized score against `query` (already
   * normalized for Cosine), among `rows` when given; the codes are rebuilt
   * first when the vectors changed since they were built.
   */
  nearest(col: VectorStorage, query: Float32Array, k: number, rows?: Int32Array): Candidates {
    return this.codes(col).nearest(query, k, rows);
  }

  /**
   * The codes of the rows now. Built from the storage's blocks (the whole
   * block in memory; bounded blocks of a file, so on-disk vectors never sit
   * in memory at once): the range from the rows quantileRange would sample
   * (the same rows, so the same grid either way), then each block encoded
   * where it belongs.
   */
  codes(col: VectorStorage): QuantizedBlock {
    const key = `${col.changes}:${col.count}`;
    if (this.#block && this.#builtAt === key) return this.#block;
    this.#block?.free();
    this.#block = null;
    const block = new QuantizedBlock(col.kernels, col.dim, col.metric, gridOf(rangeOf(col, this.config.quantile)));
    block.reserve(col.count); // one allocation of exactly the rows, however many blocks they come in
    col.forEachBlock((start, _n, m) => block.encode(m, start));
    this.#block = block;
    this.#builtAt = key;
    return block;
  }

  /** Give the codes' wasm memory back. */
  dispose(): void {
    this.#block?.free();
    this.#block = null;
    this.#builtAt = "";
  }
}

/**
 * quantileRange over a storage read block by block: min and max merged
 * across blocks without a quantile; with one, the rows quantileRange picks
 * (`floor(s · n / take)`, at most QUANTILE_SAMPLE of them) gathered first.
 */
function rangeOf(col: VectorStorage, quantile: number | undefined): { lo: number; hi: number } {
  const n = col.count, dim = col.dim;
  if (quantile === undefined) {
    let lo = Infinity, hi = -Infinity;
    col.forEachBlock((_s, len, m) => {
      const r = quantileRange(m.view(), len, dim);
      lo = Math.min(lo, r.lo);
      hi = Math.max(hi, r.hi);
    });
    return n ? { lo, hi } : { lo: 0, hi: 0 };
  }
  const take = Math.min(n, QUANTILE_SAMPLE);
  const sample = new Float32Array(take * dim);
  let s = 0;
  col.forEachBlock((start, len, m) => {
    const v = m.view();
    for (; s < take; s++) {
      const r = Math.floor((s * n) / take);
      if (r >= start + len) break;
      sample.set(v.subarray((r - start) * dim, (r - start + 1) * dim), s * dim);
    }
  });
  // take rows, all sampled: quantileRange then keeps each of them (and falls back to min/max under 127, as for n rows)
  return quantileRange(sample, take, dim, quantile);
}
