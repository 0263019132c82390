/**
 * One space of sparse vectors: per row, indices (ascending, unique) and
 * their values, scored by the exact dot product over the indices a query
 * shares with a row. As in Qdrant (lib/sparse, SparseVector::score), a row
 * that shares no index with the query has no score and is not a hit.
 * Which point a row belongs to is the caller's business (space-rows.ts).
 * A space created with Qdrant's `modifier: "idf"` weights a query's values
 * by each index's inverse document frequency over the rows held at that
 * moment (`withIdf`): the counts are derived from the rows on each query,
 * never kept beside them, so upserts, deletes and a replayed log need nothing.
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

/**
 * Qdrant's IDF of one index (lib/segment query_context.rs `fancy_idf`), in
 * f32 as its DimWeight: ln((n − df + 0.5) / (df + 0.5) + 1), n the vectors
 * in the space, df those holding the index. Never negative: 0 < df ≤ n gives
 * a ratio > 0, and df = 0 (an index no row has) gives ln(2n + 2).
 */
export function idf(n: number, df: number): number {
  const f = Math.fround;
  return f(Math.log(f(f(f(f(n - df) + 0.5) / f(df + 0.5)) + 1)));
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

  /**
   * `query` with each value multiplied (in f32) by its index's IDF over the
   * rows held now, as Qdrant remaps a query's weights for a space with the
   * idf modifier before it scores; one pass over the rows' indices.
   */
  withIdf(query: SparseVector): SparseVector {
    const at = new Map<number, number>();
    query.indices.forEach((ix, i) => at.set(ix, i));
    const df = new Float64Array(query.indices.length);
    for (const r of this.#rows) {
      for (const ix of r.indices) {
        const i = at.get(ix);
        if (i !== undefined) df[i]!++;
      }
    }
    const n = this.#rows.length;
    const values = Float32Array.from(query.values, (v, i) => Math.fround(v * idf(n, df[i]!)));
    return { indices: query.indices, values };
  }

  /** The score of row `row` against `query`, null when they share no index. */
  score(query: SparseVector, row: number): number | null {
    return sparseDot(query, this.#rows[row]!);
  }
}
