/**
 * Which points of a collection have a vector in one space, and where: a
 * space keeps rows only for the points that carry its vector, so a scan of
 * the space reads exactly those. Two maps, kept inverse to each other:
 * point row → space row (-1: the point has no vector here) and space row →
 * point row. Both kinds of rows stay dense: a removed row is filled by the
 * last one, in the space's storage too.
 */

/** What a space's storage must do when its rows move (dense-vectors.ts, sparse-vectors.ts). */
export interface RowStorage {
  readonly count: number;
  move(from: number, to: number): void;
  truncate(count: number): void;
}

export class SpaceRows {
  /** Point row → space row, or -1. */
  #spaceRow: number[] = [];
  /** Space row → point row. */
  #pointRow: number[] = [];

  /** Where the rows are (replaced when a space's vectors move between memory and a file). */
  constructor(public storage: RowStorage) {}

  /** Points with a vector in this space. */
  get count(): number {
    return this.#pointRow.length;
  }

  /** The space row of the point at `row`, or -1 when it has no vector here. */
  spaceRow(row: number): number {
    return this.#spaceRow[row] ?? -1;
  }

  /** The point row of space row `s`. */
  pointRow(s: number): number {
    return this.#pointRow[s]!;
  }

  /** The point at `row` gets a vector here: its space row (the next one when it had none; the caller writes the storage). */
  claim(row: number): number {
    const s = this.#spaceRow[row] ?? -1;
    if (s >= 0) return s;
    const n = this.#pointRow.length;
    this.#pointRow.push(row);
    this.#spaceRow[row] = n;
    return n;
  }

  /** The point at `row` loses its vector here (nothing when it had none). */
  release(row: number): void {
    const s = this.#spaceRow[row] ?? -1;
    if (s < 0) return;
    const last = this.#pointRow.length - 1;
    if (s !== last) {
      const moved = this.#pointRow[last]!;
      this.storage.move(last, s);
      this.#pointRow[s] = moved;
      this.#spaceRow[moved] = s;
    }
    this.#pointRow.length = last;
    this.storage.truncate(last);
    this.#spaceRow[row] = -1;
  }

  /** A new point row exists (at the end), with no vector here yet. */
  added(row: number): void {
    this.#spaceRow[row] = -1;
  }

  /** The point at row `from` (the last) moved to row `to` (after `release(to)`), and the point rows shrank by one. */
  movedPoint(from: number, to: number): void {
    const s = this.#spaceRow[from] ?? -1;
    this.#spaceRow[to] = s;
    if (s >= 0) this.#pointRow[s] = to;
    this.#spaceRow.length = from;
  }

  /**
   * Point rows (ascending) as the space rows among them that have a vector
   * here, ascending; undefined stays undefined (every row of the space).
   */
  toSpace(rows: Int32Array | undefined): Int32Array | undefined {
    if (!rows) return undefined;
    const out = new Int32Array(rows.length);
    let m = 0;
    let sorted = true;
    for (let i = 0; i < rows.length; i++) {
      const s = this.#spaceRow[rows[i]!] ?? -1;
      if (s < 0) continue;
      if (m > 0 && s < out[m - 1]!) sorted = false;
      out[m++] = s;
    }
    const sub = out.subarray(0, m);
    return sorted ? sub : sub.sort();
  }
}
