/**
 * The names of a collection folder's numbered files: `wal-NNNNNN.log` (a log
 * segment) and `snapshot-NNNNNN.bin` (the state before wal-NNNNNN).
 */

import { readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/** The file name of log or snapshot number `seq`. */
export const seqName = (kind: "wal" | "snapshot", seq: number): string =>
  `${kind}-${String(seq).padStart(6, "0")}.${kind === "wal" ? "log" : "bin"}`;

/**
 * The numbers of the logs or snapshots in `dir`, ascending. Leftover `.tmp`
 * files (an unfinished snapshot, meta file or repaired log: ours, and never
 * the only copy of anything) are removed on the way.
 */
export function listSeqs(dir: string, kind: "wal" | "snapshot"): number[] {
  const re = kind === "wal" ? /^wal-(\d+)\.log$/ : /^snapshot-(\d+)\.bin$/;
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m) out.push(Number(m[1]));
    else if (/^(snapshot-\d+\.bin|collection\.json|wal-\d+\.log\.repair)\.tmp$/.test(f)) unlinkSync(join(dir, f));
  }
  return out.sort((a, b) => a - b);
}
