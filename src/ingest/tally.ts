/**
 * The counts of an ingest run. Every file found ends in exactly one of four
 * outcomes (ingested, already present, duplicate, skipped); `done` is their
 * sum, computed when asked, so it cannot drift from them.
 */

import type { IngestCounts, SkippedFile } from "./types.js";

/** The outcomes a file can end in, apart from being skipped (which carries a reason). */
export type Outcome = "ingested" | "alreadyPresent" | "duplicates";

/** Running counts: files found, and each file's outcome once it has one. */
export class Tally {
  private found = 0;
  private readonly ended: Record<Outcome, number> = { ingested: 0, alreadyPresent: 0, duplicates: 0 };
  private readonly skips: SkippedFile[] = [];

  /** A file was handed to the pipeline. */
  foundOne(): void {
    this.found++;
  }

  /** `n` files ended with `outcome`. */
  add(outcome: Outcome, n: number): void {
    this.ended[outcome] += n;
  }

  /** A file ended skipped. */
  skip(s: SkippedFile): void {
    this.skips.push(s);
  }

  /** Files handed to the pipeline so far. */
  get files(): number {
    return this.found;
  }

  /** The skipped files, sorted by path. */
  skipped(): SkippedFile[] {
    return [...this.skips].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The counts now, `done` derived from the outcomes. */
  counts(): IngestCounts {
    const { ingested, alreadyPresent, duplicates } = this.ended;
    const skipped = this.skips.length;
    return { found: this.found, done: ingested + alreadyPresent + duplicates + skipped, ingested, alreadyPresent, duplicates, skipped };
  }
}
