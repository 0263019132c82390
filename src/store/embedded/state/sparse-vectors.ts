/**
 * One space of sparse vectors: per row, indices (ascending, unique) and
 * their values, scored by the exact dot product over the indices a query
 * shares with a row. As in Qdrant (lib/sparse, SparseVector::score), a row
 * that shares no index with the query has no score and is not a hit.
 * Which point a row belongs to is the caller's business (space-rows.ts).
 */

import type { SparseVector } from "../log/records.js";

/** Rows and scores, best first (ties: the lower row first). */
export interface SparseTop {
  indices: Int32Array;
  values: Float64Array;
}

/** The dot product of two sparse vectors with ascending indices, or null when they share no index. */
export function sparseDot(a: SparseVector, b: SparseVector): number | null {
  let i = 0;
  let j = 0;
  let s = 0;
  let shared = false;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length && j < bi.length) {
    const x = ai[i]!;
    const y = bi[j]!;
    if (x === y) {
      // f32 products summed in f32, as Qdrant's ScoreType is f32
      s = Math.fround(s + Math.fround(a.values[i]! * b.values[j]!));
      shared = true;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return shared ? s : null;
}

export class SparseVectors {
  #rows: SparseVector[] = [];
  #changes = 0;

  /** Rows in use. */
  get count(): number {
    return this.#rows.length;
  }

  /** A counter that changes whenever any row does. */
  get changes(): number {
    return this.#changes;
  }

  /** Write row `row` (an existing one, or `count` to append); the vector is kept as given (never mutated). */
  set(row: number, v: SparseVector): void {
    this.#rows[row] = v;
    this.#changes++;
  }

  move(from: number, to: number): void {
    this.#rows[to] = this.#rows[from]!;
    this.#changes++;
  }

  truncate(count: number): void {
    if (count >= this.#rows.length) return;
    this.#rows.length = count;
    this.#changes++;
  }

  /** Row `row` (shared: stored vectors are never mutated). */
  read(row: number): SparseVector {
    return this.#rows[row]!;
  }

  /** Non-zero values held (for sizes). */
  get nonZeros(): number {
    let n = 0;
    for (const r of this.#rows) n += r.indices.length;
    return n;
  }

  /** The `k` best rows by dot product with `query`, among `rows` (ascending) when given; rows sharing no index are left out. */
  nearest(query: SparseVector, k: number, rows?: Int32Array): SparseTop {
    const hits: { row: number; s: number }[] = [];
    const n = rows ? rows.length : this.#rows.length;
    for (let j = 0; j < n; j++) {
      const r = rows ? rows[j]! : j;
      const s = sparseDot(query, this.#rows[r]!);
      if (s !== null) hits.push({ row: r, s });
    }
    hits.sort((a, b) => b.s - a.s || a.row - b.row);
    const top = hits.slice(0, k);
    return { indices: Int32Array.from(top, (h) => h.row), values: Float64Array.from(top, (h) => h.s) };
  }

  /** The score of row `row` against `query`, null when they share no index. */
  score(query: SparseVector, row: number): number | null {
    return sparseDot(query, this.#rows[row]!);
  }
}
