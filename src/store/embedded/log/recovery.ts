/**
 * Recovery of one collection folder at start: check that the snapshot and
 * logs form an unbroken chain, load the newest snapshot, replay the logs
 * from its number on. What damage means:
 *
 * - damage that runs to the end of the LAST log, with no valid frame after
 *   it, is a torn tail: a write the process did not finish, never
 *   acknowledged. It is dropped with a warning (kept aside first when it is
 *   not simply a frame cut short, as a crash leaves it).
 * - damage with valid frames after it, or in a log that later logs follow,
 *   is damage in the middle: acknowledged writes may sit behind it, so the
 *   store refuses to start and says what `margin store --repair` would do.
 * - a log or snapshot the chain needs is missing: refuse, naming it.
 * - a record that is intact but cannot be applied: the collection opens
 *   degraded (the records before it, read-only), the rest of the store serves.
 */

import { closeSync, copyFileSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { decodeOps, snapshotVectors } from "./codec.js";
import { scanFrames, scanLog, type LogScan } from "./frames.js";
import { fsyncDir } from "./fsutil.js";
import { DISTANCES, type Distance, type Payload, type PointId, type Replica, type SpacesConfig } from "./records.js";
import { listSeqs, seqName } from "./segments.js";

/** What recovery found and built. */
export interface Recovered {
  /** The log new writes go to, and its size once a torn tail is dropped. */
  seq: number;
  validBytes: number;
  snapshotBytes: number;
  /** Set when a record could not be replayed: why the collection is read-only. */
  degraded?: string;
}

/** The parts of collection.json recovery needs. */
export interface RecoveryMeta {
  name: string;
  /** Format 1: the one unnamed vector. */
  vectors?: { size: number; distance: Distance };
  /** Format 2: every space (named or sparse vectors). */
  spaces?: SpacesConfig;
  indexes?: Record<string, unknown>;
}

/** Does a format-2 `spaces` describe spaces (sizes, distances)? */
function validSpaces(s: unknown): boolean {
  const o = s as Partial<SpacesConfig> | null;
  if (!o || typeof o !== "object" || typeof o.named !== "boolean" || typeof o.dense !== "object" || !o.dense || typeof o.sparse !== "object" || !o.sparse) return false;
  return Object.values(o.dense).every((d) => Number.isInteger(d?.size) && d.size >= 1 && DISTANCES.includes(d.distance));
}

/** Where `margin store --repair` is suggested from (the data folder is two levels up). */
const repairHint = (dir: string) => `margin store --repair --path ${join(dir, "..", "..")}`;

/** The message for damage in the middle of a log: where, and what a repair would keep and drop. */
export function middleDamage(dir: string, file: string, scan: LogScan, laterLogs: boolean): StoreError {
  const first = scan.damage[0]!;
  const after = scan.frames.filter((f) => f.offset >= first.end);
  const dropped = scan.damage.reduce((s, d) => s + d.end - d.start, 0);
  const follows = after.length
    ? `${after.length} intact record(s) (${after.reduce((s, f) => s + f.bytes, 0)} bytes) follow it from byte ${first.end}`
    : "later logs follow it";
  const where = scan.damage.map((d) => `${d.start}-${d.end}`).join(", ");
  return new StoreError(
    `log ${file} is damaged at byte ${first.start} (${first.why}) and ${follows}${after.length && laterLogs ? ", and later logs follow it" : ""}, ` +
      `so acknowledged writes would be lost if the store dropped the rest; it refuses to start. ` +
      `Run \`${repairHint(dir)}\`: it keeps every intact record, drops ${dropped} damaged byte(s) (bytes ${where}), ` +
      `and moves the original aside as ${file}.damaged-<time> (nothing is deleted). Or restore the folder from a backup`,
  );
}

/**
 * Recover the collection in `dir`.
 * @throws StoreError for a damaged snapshot, damage in the middle of a log, or a missing file.
 */
export function recoverCollection(dir: string, meta: RecoveryMeta, col: Replica, warn: (m: string) => void): Recovered {
  col.indexes = meta.indexes ?? {};
  return recoverInto(col, dir, warn);
}

function recoverInto(col: Replica, dir: string, warn: (m: string) => void): Recovered {
  const snaps = listSeqs(dir, "snapshot");
  const snapSeq = snaps.length ? snaps[snaps.length - 1]! : 0;
  const wals = listSeqs(dir, "wal").filter((s) => s >= snapSeq);
  checkChain(dir, col.name, snapSeq, wals);
  const snapshotBytes = snapSeq ? loadSnapshot(join(dir, seqName("snapshot", snapSeq)), col) : 0;
  let valid = 0;
  let degraded: string | undefined;
  for (let i = 0; i < wals.length && !degraded; i++) {
    const file = join(dir, seqName("wal", wals[i]!));
    const last = i === wals.length - 1;
    let expected = 0; // the offset the next frame must start at to be replayed
    const scan = scanLog(file, (rec, offset, bytes) => {
      if (offset !== expected || degraded) return; // after damage: counted, not applied
      const opId = !(rec instanceof Error) && typeof rec.header.op === "number" ? rec.header.op : -1;
      try {
        if (rec instanceof Error) throw rec;
        const d = decodeOps(rec, col.dim);
        col.apply(d.ops, d.opId);
      } catch (e) {
        degraded =
          `the record${opId >= 0 ? ` of operation ${opId}` : ""} at byte ${offset} of ${file} could not be replayed (${(e as Error).message}); ` +
          `collection \`${col.name}\` holds the records before it and is read-only. Move that log out of the folder (keeping a copy) and restart to write to it again`;
        return false;
      }
      expected = offset + bytes;
    });
    if (degraded) break;
    valid = expected;
    if (!scan.damage.length) continue;
    const tail = scan.damage[0]!;
    if (!last || scan.damage.length > 1 || tail.end < scan.fileBytes) throw middleDamage(dir, file, scan, !last);
    dropTail(file, tail.start, tail.why, scan.fileBytes, warn);
  }
  if (degraded) warn(degraded);
  const seq = wals.length ? wals[wals.length - 1]! : Math.max(snapSeq, 1);
  return { seq, validBytes: valid, snapshotBytes, degraded };
}

/**
 * The files recovery needs are all there: without a snapshot the logs start
 * at wal-000001; with one, the logs from its number on have no gap.
 */
function checkChain(dir: string, name: string, snapSeq: number, wals: number[]): void {
  const missing = (file: string, why: string) =>
    new StoreError(
      `collection \`${name}\` cannot be recovered: ${join(dir, file)} is missing (${why}); starting without it would silently lose points. ` +
        `Put the file back (restore the folder from a backup), or move the collection folder ${dir} out of the store to start without it`,
    );
  if (!snapSeq && wals.length && wals[0]! > 1) {
    throw missing(seqName("snapshot", wals[0]!), `the logs start at ${seqName("wal", wals[0]!)}, and that snapshot holds every operation before it`);
  }
  if (snapSeq && wals.length && wals[0] !== snapSeq) {
    throw missing(seqName("wal", snapSeq), `${seqName("snapshot", snapSeq)} is followed by the operations logged in it`);
  }
  for (let i = 1; i < wals.length; i++) {
    if (wals[i] !== wals[i - 1]! + 1) throw missing(seqName("wal", wals[i - 1]! + 1), `the logs around it are ${seqName("wal", wals[i - 1]!)} and ${seqName("wal", wals[i]!)}`);
  }
}

/**
 * Truncate a torn tail so new frames follow the last whole one. A tail that
 * is not just a frame cut short (what a crash leaves) is copied aside first:
 * it may be damage worth looking at, and recovery destroys nothing it cannot
 * explain.
 */
function dropTail(file: string, at: number, why: string, size: number, warn: (m: string) => void): void {
  let kept = "";
  if (!/cut short/.test(why)) {
    const aside = `${file}.tail-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    if (!existsSync(aside)) {
      copyFileSync(file, aside);
      const fd = openSync(aside, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    kept = `; a copy of the whole log before the cut is at ${aside}`;
  }
  const fd = openSync(file, "r+");
  try {
    if (fstatSync(fd).size !== at) {
      ftruncateSync(fd, at);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  fsyncDir(join(file, ".."));
  warn(`dropped a torn tail of ${file} at byte ${at} (${why}): ${size - at} byte(s) of a write the process did not finish, never acknowledged${kept}`);
}

/** Load a snapshot into `col`; returns its size. @throws StoreError when it is damaged. */
function loadSnapshot(file: string, col: Replica): number {
  let header: Record<string, unknown> | null = null;
  let ended = false;
  const res = scanFrames(file, (rec) => {
    const h = rec.header;
    if (!header) {
      header = h;
      if (h.snapshot !== 2 && h.dim !== col.dim) throw new StoreError(`snapshot ${file} holds vectors of size ${String(h.dim)} but collection.json says ${col.dim}; the folder is inconsistent`);
      col.reserve(h.count as number);
      col.lastOp = h.lastOp as number;
      if (h.indexes) col.indexes = h.indexes as Record<string, unknown>;
    } else if (h.end) ended = h.count === col.count;
    else col.restore(h.ids as PointId[], rec.vectors, h.payloads as Payload[], h.versions as number[], snapshotVectors(rec));
  });
  if (!ended || res.stoppedBy) {
    throw new StoreError(
      `snapshot ${file} is damaged (${res.stoppedBy ?? "no end record"} at byte ${res.validBytes}); ` +
        `restore the collection folder from a backup or delete it to start the collection empty`,
    );
  }
  return res.validBytes;
}

/** A collection folder's collection.json, or why it is not a collection (no file, bad JSON, wrong shape). */
export function readMeta(dir: string): (RecoveryMeta & { format: 1 | 2 }) | string {
  let text: string;
  try {
    text = readFileSync(join(dir, "collection.json"), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "it has no collection.json" : code === "ENOTDIR" ? "it is a file, not a folder" : `its collection.json cannot be read (${(e as Error).message})`;
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    return `its collection.json is not valid JSON (${(e as Error).message})`;
  }
  const m = meta as (Partial<RecoveryMeta> & { format?: number }) | null;
  if (m?.format === 2) {
    if (typeof m.name !== "string" || !validSpaces(m.spaces)) return `its collection.json does not describe a collection (format 2 needs "name", "spaces": {"named", "dense", "sparse"})`;
    return meta as RecoveryMeta & { format: 2 };
  }
  const size = m?.vectors?.size;
  if (!m || typeof m.name !== "string" || !Number.isInteger(size) || (size as number) < 1 || !DISTANCES.includes(m.vectors?.distance as Distance)) {
    return `its collection.json does not describe a collection (it needs "name", "vectors": {"size", "distance"})`;
  }
  return meta as RecoveryMeta & { format: 1 };
}
