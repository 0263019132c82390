/**
 * One collection's folder on disk, and the durability contract.
 *
 *   <collection dir>/collection.json     name, vector size and distance, payload indexes
 *                    snapshot-NNNNNN.bin  the state after every operation logged before wal-NNNNNN
 *                    wal-NNNNNN.log       operations, appended; one framed record per request
 *
 * A write is appended to the newest log (writeSync) before it is applied in
 * memory; `sync()` fdatasyncs it, and a request with wait=true is answered
 * only after that. Compaction opens wal-(N+1) and freezes the state, then
 * (in the background) writes snapshot-(N+1) to a .tmp file, fsyncs and
 * renames it, and deletes the older logs and snapshots; a crash at any point
 * leaves a consistent set. Recovery loads
 * the newest snapshot, replays the logs from its number on, and truncates a
 * torn tail of the last log.
 */

import {
  closeSync, fdatasync, fsync, fsyncSync, rmSync, fstatSync, ftruncateSync, openSync, readdirSync, renameSync, unlinkSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { decodeOps, encodeOps, snapshotFrames } from "./codec.js";
import { scanFrames } from "./frames.js";
import { fsyncDir, writeFileDurably } from "./fsutil.js";
import type { Distance, FrozenCollection, Op, Payload, PointId, Replica } from "./records.js";

/** The collection.json contents. */
export interface CollectionMeta {
  format: 1;
  name: string;
  vectors: { size: number; distance: Distance };
  indexes?: Record<string, unknown>;
}

const seqName = (kind: "wal" | "snapshot", seq: number) =>
  `${kind}-${String(seq).padStart(6, "0")}.${kind === "wal" ? "log" : "bin"}`;

function listSeqs(dir: string, kind: "wal" | "snapshot"): number[] {
  const re = kind === "wal" ? /^wal-(\d+)\.log$/ : /^snapshot-(\d+)\.bin$/;
  const out: number[] = [];
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m) out.push(Number(m[1]));
    else if (f.endsWith(".tmp")) unlinkSync(join(dir, f)); // an unfinished snapshot or meta file
  }
  return out.sort((a, b) => a - b);
}

export class CollectionStorage {
  readonly dir: string;
  private seq: number;
  private fd: number;
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private closed = false;
  /** Bytes in the current log. */
  walBytes: number;
  /** Bytes of the last snapshot written or read. */
  snapshotBytes: number;

  private constructor(dir: string, seq: number, fd: number, walBytes: number, snapshotBytes: number) {
    this.dir = dir;
    this.seq = seq;
    this.fd = fd;
    this.walBytes = walBytes;
    this.snapshotBytes = snapshotBytes;
  }

  /**
   * Recover a collection from its folder into `col` (empty, made from `meta`).
   * @throws StoreError for a damaged snapshot or a damaged log before the last.
   */
  static open(dir: string, meta: CollectionMeta, col: Replica, warn: (m: string) => void): CollectionStorage {
    col.indexes = meta.indexes ?? {};
    const snaps = listSeqs(dir, "snapshot");
    const snapSeq = snaps.length ? snaps[snaps.length - 1]! : 0;
    let snapshotBytes = 0;
    if (snapSeq) snapshotBytes = loadSnapshot(join(dir, seqName("snapshot", snapSeq)), col);
    const wals = listSeqs(dir, "wal").filter((s) => s >= snapSeq);
    let valid = 0;
    for (let i = 0; i < wals.length; i++) {
      const file = join(dir, seqName("wal", wals[i]!));
      const last = i === wals.length - 1;
      const res = scanFrames(file, (rec) => {
        const { opId, ops } = decodeOps(rec, col.dim);
        col.apply(ops, opId);
      });
      if (res.stoppedBy) {
        if (!last) {
          throw new StoreError(
            `log ${file} is damaged at byte ${res.validBytes} (${res.stoppedBy}) and later logs follow it, so operations would be lost; ` +
              `restore the folder from a backup, or move ${file} and the later logs away to keep what precedes it`,
          );
        }
        warn(`dropped a torn tail of ${file} at byte ${res.validBytes} (${res.stoppedBy}): an unacknowledged write the process did not finish`);
      }
      valid = res.validBytes;
    }
    const seq = wals.length ? wals[wals.length - 1]! : Math.max(snapSeq, 1);
    const fd = openSync(join(dir, seqName("wal", seq)), "a+");
    // drop a torn tail so new frames follow the last whole one
    if (fstatSync(fd).size !== valid) {
      ftruncateSync(fd, valid);
      fsyncSync(fd);
    }
    fsyncDir(dir);
    return new CollectionStorage(dir, seq, fd, valid, snapshotBytes);
  }

  /** A new, empty collection folder's first log (the folder and meta exist). */
  static fresh(dir: string): CollectionStorage {
    const fd = openSync(join(dir, seqName("wal", 1)), "a+");
    fsyncDir(dir);
    return new CollectionStorage(dir, 1, fd, 0, 0);
  }

  /** Append operations as one record (not yet synced). */
  append(opId: number, ops: Op[], dim: number): void {
    const buf = encodeOps(opId, ops, dim);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.walBytes += buf.length;
    this.written++;
  }

  /** Resolve once every record appended so far is on disk (concurrent callers share an fdatasync). */
  async sync(): Promise<void> {
    const target = this.written;
    while (this.synced < target) {
      if (!this.syncing) {
        const upto = this.written;
        const fd = this.fd;
        this.syncing = new Promise<void>((resolve, reject) => {
          fdatasync(fd, (err) => {
            this.syncing = null;
            if (err) reject(new StoreError(`could not flush the log in ${this.dir} to disk: ${err.message}`, { cause: err }));
            else {
              this.synced = Math.max(this.synced, upto);
              resolve();
            }
          });
        });
      }
      await this.syncing;
    }
  }

  /**
   * Start a compaction unless one runs: switch to the next log and freeze the
   * state now (synchronously, so the snapshot is exactly "everything before
   * the new log"), then write, fsync and rename the snapshot in slices that
   * yield to the event loop, and drop the logs and snapshots it replaces.
   * Resolves when the snapshot is in place (or rejects; the logs keep every
   * write either way). `close()` abandons a compaction in progress.
   */
  compact(col: Pick<Replica, "freeze">): Promise<void> {
    if (this.compacting) return this.compacting;
    const next = this.seq + 1;
    const newFd = openSync(join(this.dir, seqName("wal", next)), "a+");
    fsyncSync(this.fd);
    this.synced = this.written;
    const oldFd = this.fd;
    const pending = this.syncing;
    this.fd = newFd;
    this.seq = next;
    this.walBytes = 0;
    if (pending) pending.finally(() => closeSync(oldFd)).catch(() => {});
    else closeSync(oldFd);
    const frozen = col.freeze();
    this.compacting = this.writeSnapshot(next, frozen).finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private async writeSnapshot(seq: number, frozen: FrozenCollection): Promise<void> {
    const final = join(this.dir, seqName("snapshot", seq));
    const tmp = `${final}.tmp`;
    const fd = openSync(tmp, "w");
    let bytes = 0;
    try {
      for (const frame of snapshotFrames(frozen)) {
        if (this.closed) throw new StoreError(`compaction of ${this.dir} abandoned: the collection was closed`);
        let off = 0;
        while (off < frame.length) off += writeSync(fd, frame, off, frame.length - off);
        bytes += frame.length;
        await new Promise((r) => setImmediate(r));
      }
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    if (this.closed) {
      rmSync(tmp, { force: true });
      return;
    }
    renameSync(tmp, final);
    fsyncDir(this.dir);
    this.snapshotBytes = bytes;
    for (const s of listSeqs(this.dir, "wal")) if (s < seq) unlinkSync(join(this.dir, seqName("wal", s)));
    for (const s of listSeqs(this.dir, "snapshot")) if (s < seq) unlinkSync(join(this.dir, seqName("snapshot", s)));
    fsyncDir(this.dir);
  }

  /** Rewrite collection.json (payload indexes changed). */
  writeMeta(meta: CollectionMeta): void {
    writeFileDurably(join(this.dir, "collection.json"), JSON.stringify(meta, null, 2));
  }

  /** Flush and close the log; a compaction in progress is abandoned (its .tmp is removed, the logs stay). */
  close(): void {
    this.closed = true;
    try {
      fsyncSync(this.fd);
    } finally {
      const pending = this.syncing;
      const fd = this.fd;
      if (pending) pending.finally(() => closeSync(fd)).catch(() => {});
      else closeSync(fd);
    }
  }
}

/** Load a snapshot into `col`; returns its size. @throws StoreError when it is damaged. */
function loadSnapshot(file: string, col: Replica): number {
  let header: Record<string, unknown> | null = null;
  let ended = false;
  const res = scanFrames(file, (rec) => {
    const h = rec.header;
    if (!header) {
      header = h;
      if (h.dim !== col.dim) throw new StoreError(`snapshot ${file} holds vectors of size ${String(h.dim)} but collection.json says ${col.dim}; the folder is inconsistent`);
      col.reserve(h.count as number);
      col.lastOp = h.lastOp as number;
      if (h.indexes) col.indexes = h.indexes as Record<string, unknown>;
    } else if (h.end) ended = h.count === col.count;
    else col.restore(h.ids as PointId[], rec.vectors, h.payloads as Payload[], h.versions as number[]);
  });
  if (!ended || res.stoppedBy) {
    throw new StoreError(
      `snapshot ${file} is damaged (${res.stoppedBy ?? "no end record"} at byte ${res.validBytes}); ` +
        `restore the collection folder from a backup or delete it to start the collection empty`,
    );
  }
  return res.validBytes;
}
