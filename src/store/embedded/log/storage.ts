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
 * leaves a consistent set. Recovery (recovery.ts) loads the newest snapshot,
 * replays the logs from its number on, and drops a torn tail of the last log.
 *
 * When the disk fails: an append that fails is cut back to the last whole
 * frame (nothing applied, a 500); a flush that fails answers 500 to every
 * waiter and refuses writes until `checkpoint()` has written the in-memory
 * state as a new snapshot, since the kernel may have dropped the unflushed
 * pages and a later flush would report success for data it no longer has.
 */

import {
  closeSync, fdatasync, fsync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, unlinkSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { encodeOps, snapshotFrames } from "./codec.js";
import { LogError } from "./errors.js";
import { fsyncDir, writeFileDurably } from "./fsutil.js";
import type { Distance, FrozenCollection, Op, Replica } from "./records.js";
import { recoverCollection } from "./recovery.js";
import { listSeqs, seqName } from "./segments.js";

/** The collection.json contents. */
export interface CollectionMeta {
  format: 1;
  name: string;
  /** `on_disk`: the vectors stay in a file beside the log (derived state, rebuilt at open: state/disk-vectors.ts). */
  vectors: { size: number; distance: Distance; on_disk?: boolean };
  indexes?: Record<string, unknown>;
  /** Collection settings kept for GET (engine-defined; the log stores them as given). */
  settings?: Record<string, unknown>;
  /** Scalar quantization settings (the state's ScalarConfig), absent for none. */
  quantization?: Record<string, unknown>;
  /** Qdrant's collection `metadata` (free JSON), when set. */
  metadata?: Record<string, unknown>;
}

/** How long a failed compaction waits before the next write may start another. */
const COMPACT_BACKOFF_MS = 1000;

export class CollectionStorage {
  readonly dir: string;
  /** The collection's name, for messages. */
  readonly name: string;
  private seq: number;
  private fd: number;
  private written = 0;
  private synced = 0;
  private syncing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private closed = false;
  /** Set when a flush failed: what is on disk is unknown until a checkpoint rewrites the state. */
  private unsynced: Error | null = null;
  /** Set when a failed append could not be cut back: the log must be truncated to walBytes before the next append. */
  private dirty = false;
  private checkpointing: Promise<void> | null = null;
  private compactAfter = 0;
  /** Bytes in the current log (the end of its last whole frame). */
  walBytes: number;
  /** Bytes of the last snapshot written or read. */
  snapshotBytes: number;

  private constructor(dir: string, name: string, seq: number, fd: number, walBytes: number, snapshotBytes: number) {
    this.dir = dir;
    this.name = name;
    this.seq = seq;
    this.fd = fd;
    this.walBytes = walBytes;
    this.snapshotBytes = snapshotBytes;
  }

  /**
   * Recover a collection from its folder (recovery.ts) into `col` (empty, made
   * from `meta`) and open its newest log for appending.
   * @throws StoreError for a damaged snapshot, damage in the middle of a log, or a missing file.
   */
  static open(dir: string, meta: CollectionMeta, col: Replica, warn: (m: string) => void): { storage: CollectionStorage; degraded?: string } {
    const r = recoverCollection(dir, meta, col, warn);
    let fd: number;
    try {
      fd = openSync(join(dir, seqName("wal", r.seq)), "a+");
      fsyncDir(dir);
    } catch (cause) {
      throw new StoreError(`cannot open the log of collection \`${meta.name}\` in ${dir}: ${(cause as Error).message}; check that the folder is writable`, { cause });
    }
    return { storage: new CollectionStorage(dir, meta.name, r.seq, fd, r.validBytes, r.snapshotBytes), degraded: r.degraded };
  }

  /** A new, empty collection folder's first log (the folder and meta exist). */
  static fresh(dir: string, name: string): CollectionStorage {
    const fd = openSync(join(dir, seqName("wal", 1)), "a+");
    fsyncDir(dir);
    return new CollectionStorage(dir, name, 1, fd, 0, 0);
  }

  /**
   * Append operations as one record (not yet synced). A write that fails
   * (ENOSPC, EIO, EFBIG...) is cut back to the last whole frame before this
   * throws, so no partial frame stays for later frames to follow.
   * @throws LogError when the log cannot take the record; nothing was written.
   */
  append(opId: number, ops: Op[], dim: number): void {
    if (this.unsynced) throw this.cannotPersist(this.unsynced, "an earlier flush failed");
    const buf = encodeOps(opId, ops, dim);
    try {
      if (this.dirty) {
        ftruncateSync(this.fd, this.walBytes);
        this.dirty = false;
      }
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.walBytes);
      } catch {
        this.dirty = true; // cut back before the next append
      }
      throw this.cannotPersist(err as Error, "nothing of this request was applied");
    }
    this.walBytes += buf.length;
    this.written++;
  }

  /** Is the log refusing writes until a checkpoint (a flush failed)? */
  get needsCheckpoint(): boolean {
    return this.unsynced !== null;
  }

  /**
   * Resolve once every record appended so far is on disk (concurrent callers
   * share an fdatasync). A failed flush rejects every waiter and marks the
   * log: the kernel may have dropped the unflushed pages, so no later flush
   * can vouch for them; writes are refused until {@link checkpoint} has
   * rewritten the whole state.
   * @throws LogError when the flush fails.
   */
  async sync(): Promise<void> {
    const target = this.written;
    while (this.synced < target) {
      if (this.unsynced) throw this.cannotPersist(this.unsynced, "this request is not acknowledged: it may show in reads but is not durable");
      if (!this.syncing) {
        const upto = this.written;
        const fd = this.fd;
        this.syncing = new Promise<void>((resolve, reject) => {
          fdatasync(fd, (err) => {
            this.syncing = null;
            if (err) {
              this.unsynced ??= err;
              reject(this.cannotPersist(err, "this request is not acknowledged: it may show in reads but is not durable"));
            } else {
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
   * After a failed flush: write the in-memory state as a fresh snapshot (a
   * compaction), so disk and memory agree again, and take writes again.
   * Concurrent callers share one attempt.
   * @throws LogError while the disk still refuses.
   */
  checkpoint(col: Pick<Replica, "freeze">): Promise<void> {
    if (!this.unsynced) return Promise.resolve();
    this.checkpointing ??= (async () => {
      try {
        await this.compacting?.catch(() => {}); // its frozen state may predate the failed records
        await this.compact(col, true);
        this.unsynced = null;
      } catch (err) {
        throw this.cannotPersist(err as Error, "writes stay refused");
      } finally {
        this.checkpointing = null;
      }
    })();
    return this.checkpointing;
  }

  /** Should a write start a compaction now (the log is past `limit`, none runs, the last one did not just fail)? */
  wantsCompaction(limit: number): boolean {
    return this.walBytes >= limit && !this.compacting && Date.now() >= this.compactAfter;
  }

  private cannotPersist(err: Error, what: string): LogError {
    return new LogError(
      `Service internal error: cannot persist the log of collection \`${this.name}\` in ${this.dir}: ${err.message}; ${what}. ` +
        `The store keeps serving reads and refuses writes while the disk fails; it retries on every write and resumes by itself when there is space again`,
      { cause: err },
    );
  }

  /**
   * Start a compaction unless one runs: switch to the next log and freeze the
   * state now (synchronously, so the snapshot is exactly "everything before
   * the new log"), then write, fsync and rename the snapshot in slices that
   * yield to the event loop, and drop the logs and snapshots it replaces.
   * Resolves when the snapshot is in place (or rejects; the logs keep every
   * write either way). `close()` abandons a compaction in progress.
   */
  compact(col: Pick<Replica, "freeze">, force = false): Promise<void> {
    if (this.compacting && !force) return this.compacting;
    const next = this.seq + 1;
    const nextFile = join(this.dir, seqName("wal", next));
    let newFd: number;
    try {
      newFd = openSync(nextFile, "a+");
    } catch (err) {
      this.compactAfter = Date.now() + COMPACT_BACKOFF_MS;
      return Promise.reject(new StoreError(`cannot start a new log ${nextFile}: ${(err as Error).message}`, { cause: err }));
    }
    try {
      // a failed append not yet cut back would stay in the old log, with the new one after it: damage in the middle
      if (this.dirty) ftruncateSync(this.fd, this.walBytes);
      if (!this.unsynced) fsyncSync(this.fd); // after a failed flush the snapshot, not this, covers the old log
      fsyncDir(this.dir);
    } catch (err) {
      closeSync(newFd);
      rmSync(nextFile, { force: true });
      this.unsynced ??= err as Error;
      this.compactAfter = Date.now() + COMPACT_BACKOFF_MS;
      return Promise.reject(new StoreError(`cannot flush the log of ${this.dir}: ${(err as Error).message}`, { cause: err }));
    }
    this.synced = this.written;
    const oldFd = this.fd;
    const pending = this.syncing;
    this.fd = newFd;
    this.seq = next;
    this.walBytes = 0;
    this.dirty = false;
    if (pending) pending.finally(() => closeSync(oldFd)).catch(() => {});
    else closeSync(oldFd);
    const frozen = col.freeze();
    const run = this.writeSnapshot(next, frozen).catch((err: unknown) => {
      this.compactAfter = Date.now() + COMPACT_BACKOFF_MS;
      throw err;
    }).finally(() => {
      if (this.compacting === run) this.compacting = null;
    });
    this.compacting = run;
    return run;
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

  /** Rewrite collection.json (payload indexes or metadata changed). */
  writeMeta(meta: CollectionMeta): void {
    try {
      writeFileDurably(join(this.dir, "collection.json"), JSON.stringify(meta, null, 2));
    } catch (err) {
      rmSync(join(this.dir, "collection.json.tmp"), { force: true });
      throw this.cannotPersist(err as Error, "the payload index was not changed (nor the metadata)");
    }
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
