/**
 * `margin store --repair`: rewrite every damaged log of a data folder with
 * only its intact frames, keeping the original. Per damaged log:
 *
 *   1. write the intact frames, in order, to wal-N.log.repair.tmp and fsync it;
 *   2. hard-link the original as wal-N.log.damaged-<time> (its bytes stay on disk);
 *   3. rename the repaired file over wal-N.log and fsync the folder.
 *
 * Each step is atomic, so a crash in between leaves either the original or
 * the repaired log in place, and the original under its new name from step 2 on.
 * Snapshots are not repaired (a damaged one is refused at start with its own message).
 */

import { closeSync, fsyncSync, linkSync, openSync, readSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../errors.js";
import { scanLog } from "./frames.js";
import { fsyncDir } from "./fsutil.js";
import { listSeqs, seqName } from "./segments.js";

/** What a repair did to one log. */
export interface RepairedLog {
  file: string;
  /** Where the original now is. */
  original: string;
  /** Intact frames kept, and their bytes. */
  keptFrames: number;
  keptBytes: number;
  /** Damaged bytes left out, and the stretches they were in (`start-end`). */
  droppedBytes: number;
  stretches: string[];
}

/**
 * Repair every collection's logs under `path` (the store must not be running:
 * the caller holds the folder's lock). Clean logs are not touched.
 * @returns one entry per log rewritten.
 */
export function repairStore(path: string): RepairedLog[] {
  const root = join(path, "collections");
  const out: RepairedLog[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out; // no collections yet
  }
  for (const d of names) {
    if (d.startsWith(".")) continue;
    const dir = join(root, d);
    let seqs: number[];
    try {
      seqs = listSeqs(dir, "wal");
    } catch {
      continue; // not a folder: the store reports it at start
    }
    for (const f of readdirSync(dir)) if (f.endsWith(".repair.tmp")) rmSync(join(dir, f), { force: true }); // an earlier repair that died
    for (const seq of seqs) {
      const r = repairLog(join(dir, seqName("wal", seq)));
      if (r) out.push(r);
    }
  }
  return out;
}

/** Rewrite one log without its damaged stretches; null when it has none. */
export function repairLog(file: string): RepairedLog | null {
  const scan = scanLog(file);
  if (!scan.damage.length) return null;
  const tmp = `${file}.repair.tmp`;
  const original = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const src = openSync(file, "r");
  const dst = openSync(tmp, "w");
  let keptBytes = 0;
  try {
    for (const f of scan.frames) {
      const buf = Buffer.allocUnsafe(f.bytes);
      if (readSync(src, buf, 0, f.bytes, f.offset) !== f.bytes) throw new StoreError(`log ${file} changed while it was being repaired; stop every process using the folder and retry`);
      let off = 0;
      while (off < buf.length) off += writeSync(dst, buf, off, buf.length - off);
      keptBytes += f.bytes;
    }
    fsyncSync(dst);
  } catch (e) {
    closeSync(dst);
    rmSync(tmp, { force: true });
    throw e instanceof StoreError ? e : new StoreError(`could not write the repaired log ${tmp}: ${(e as Error).message}; free some space and retry (the original is untouched)`, { cause: e });
  } finally {
    closeSync(src);
  }
  closeSync(dst);
  linkSync(file, original);
  renameSync(tmp, file);
  fsyncDir(join(file, ".."));
  return {
    file, original, keptFrames: scan.frames.length, keptBytes,
    droppedBytes: scan.damage.reduce((s, d) => s + d.end - d.start, 0),
    stretches: scan.damage.map((d) => `${d.start}-${d.end}`),
  };
}
