/**
 * The embedded store's engine: the data folder, its lock, and the
 * collections in it. Every write goes through {@link Engine.write}:
 * validated operations are appended to the collection's log, applied in
 * memory, and (with `wait`) fsynced before the promise resolves. It knows
 * no HTTP and no request bodies; it refuses with {@link EngineError}.
 *
 *   <path>/LOCK                      the owning process (log/lock.ts)
 *   <path>/collections/<name>/...    one folder per collection (log/storage.ts)
 */

import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { Kernels } from "../../../kernels/index.js";
import { fsyncDir, writeFileDurably } from "../log/fsutil.js";
import { type FolderLock, lockFolder } from "../log/lock.js";
import type { Distance, Op, PointId } from "../log/records.js";
import { type CollectionMeta, CollectionStorage } from "../log/storage.js";
import { Collection } from "../state/collection.js";
import { EngineError, noCollection, wrongInput } from "./errors.js";
import { compileFilter } from "./filter.js";
import { rowsOp } from "./points.js";

/** Options of {@link Engine.open}. */
export interface StoreOptions {
  /** The data folder; created when missing. */
  path: string;
  /** Share one kernels instance (one wasm memory, 4 GiB in all) between collections. Default: each collection loads its own. */
  kernels?: Kernels;
  /** Compact a collection's log into a snapshot once it passes this many bytes (and the last snapshot's size). Default 64 MiB. */
  compactBytes?: number;
  /** Where warnings go (a torn log tail dropped at recovery...). Default: none. */
  onWarning?: (message: string) => void;
}

/** What a write answers, as Qdrant's UpdateResult. */
export interface UpdateResult {
  operation_id: number;
  status: "acknowledged" | "completed";
}

interface Entry {
  col: Collection;
  storage: CollectionStorage;
  flushTimer: NodeJS.Timeout | null;
}

/** collection.json of a collection: derived from it, so each fact has one home. */
function metaOf(col: Collection): CollectionMeta {
  return { format: 1, name: col.name, vectors: { size: col.dim, distance: col.distance }, indexes: col.indexes };
}

/** An empty collection as collection.json describes it, filters in the engine's language. */
function emptyCollection(meta: CollectionMeta, kernels: Kernels): Collection {
  return new Collection({
    name: meta.name, dim: meta.vectors.size, distance: meta.vectors.distance, kernels,
    compileFilter: (filter) => compileFilter(filter),
  });
}

const BAD_NAME = /[/\\:*?"<>|\0]/;

/** The engine: collections in memory, durable on disk. */
export class Engine {
  readonly path: string;
  private readonly lock: FolderLock;
  private readonly entries = new Map<string, Entry>();
  private readonly opts: StoreOptions;
  private closed = false;

  private constructor(opts: StoreOptions, lock: FolderLock) {
    this.path = opts.path;
    this.opts = opts;
    this.lock = lock;
  }

  /**
   * Open (or create) a data folder: take its lock, then recover every collection.
   * @throws StoreError when another process holds the folder, or a snapshot is damaged.
   */
  static async open(opts: StoreOptions): Promise<Engine> {
    const root = join(opts.path, "collections");
    try {
      mkdirSync(root, { recursive: true });
    } catch (cause) {
      throw new StoreError(`cannot create the store folder ${opts.path}: ${(cause as Error).message}; pass a writable --path`, { cause });
    }
    const store = new Engine(opts, lockFolder(opts.path));
    try {
      for (const d of readdirSync(root)) {
        const dir = join(root, d);
        if (d.startsWith(".")) {
          rmSync(dir, { recursive: true, force: true }); // a half-made or half-deleted collection
          continue;
        }
        const meta = JSON.parse(readFileSync(join(dir, "collection.json"), "utf8")) as CollectionMeta;
        const kernels = opts.kernels ?? (await Kernels.load());
        const col = emptyCollection(meta, kernels);
        const storage = CollectionStorage.open(dir, meta, col, opts.onWarning ?? (() => {}));
        store.entries.set(meta.name, { col, storage, flushTimer: null });
      }
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** Names of the collections. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** A collection. @throws EngineError (not found) when it does not exist. */
  get(name: string): Collection {
    return this.entry(name).col;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Create a collection of `size`-dimensional vectors.
   * @throws EngineError: wrong input for a bad name, exists when it exists.
   */
  async createCollection(name: string, size: number, distance: Distance): Promise<void> {
    checkName(name);
    if (this.entries.has(name)) throw new EngineError("exists", `Wrong input: Collection \`${name}\` already exists!`);
    const root = join(this.path, "collections");
    const dir = join(root, encodeURIComponent(name));
    const tmp = join(root, `.tmp-${process.pid}-${Date.now()}`);
    const meta: CollectionMeta = { format: 1, name, vectors: { size, distance }, indexes: {} };
    const kernels = this.opts.kernels ?? (await Kernels.load());
    if (this.entries.has(name)) throw new EngineError("exists", `Wrong input: Collection \`${name}\` already exists!`);
    mkdirSync(tmp);
    writeFileDurably(join(tmp, "collection.json"), JSON.stringify(meta, null, 2));
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    fsyncDir(root);
    const col = emptyCollection(meta, kernels);
    const storage = CollectionStorage.open(dir, meta, col, () => {});
    this.entries.set(name, { col, storage, flushTimer: null });
  }

  /** Delete a collection and its folder; false when there was none. */
  deleteCollection(name: string): boolean {
    const e = this.entries.get(name);
    if (!e) return false;
    this.entries.delete(name);
    if (e.flushTimer) clearTimeout(e.flushTimer);
    e.storage.close();
    e.col.dispose();
    const root = join(this.path, "collections");
    const trash = join(root, `.trash-${process.pid}-${Date.now()}`);
    renameSync(e.storage.dir, trash);
    fsyncDir(root);
    rmSync(trash, { recursive: true, force: true });
    return true;
  }

  /**
   * Log, apply and (with `wait`) fsync validated operations as one record.
   * The caller has validated `ops` against the collection: this never half-applies.
   */
  async write(name: string, ops: Op[], wait: boolean): Promise<UpdateResult> {
    const e = this.entry(name);
    const opId = e.col.lastOp + 1;
    e.storage.append(opId, ops, e.col.dim);
    e.col.apply(ops, opId);
    const limit = Math.max(this.opts.compactBytes ?? 64 * 2 ** 20, e.storage.snapshotBytes);
    if (e.storage.walBytes >= limit) {
      // the write itself is logged; a failed snapshot only leaves the log longer
      e.storage.compact(e.col).catch((err: Error) => {
        if (!this.closed) this.opts.onWarning?.(`could not compact collection ${name} in ${e.storage.dir}: ${err.message}; the log keeps every write`);
      });
    }
    if (wait) {
      await e.storage.sync();
      return { operation_id: opId, status: "completed" };
    }
    if (!e.flushTimer) {
      e.flushTimer = setTimeout(() => {
        e.flushTimer = null;
        e.storage.sync().catch((err: Error) => this.opts.onWarning?.(err.message));
      }, 200);
      e.flushTimer.unref();
    }
    return { operation_id: opId, status: "acknowledged" };
  }

  /**
   * Upsert points in-process (what PUT /points does, without HTTP): `vectors`
   * is row-major `[ids.length, size]`. Checked whole before anything is written.
   * @throws EngineError: not found for an unknown collection, wrong input for a bad id, size or value.
   */
  async upsertPoints(
    name: string, o: { ids: PointId[]; vectors: Float32Array; payloads?: (Record<string, unknown> | null)[]; wait?: boolean },
  ): Promise<UpdateResult> {
    const op = rowsOp(this.get(name), o.ids, o.vectors, o.payloads, "upsertPoints");
    return this.write(name, [op], o.wait ?? true);
  }

  /** Record a payload index (`schema` null to drop it); the exact scan does not need one. */
  setIndex(name: string, field: string, schema: unknown | null): void {
    const e = this.entry(name);
    if (schema === null) delete e.col.indexes[field];
    else e.col.indexes[field] = schema;
    e.storage.writeMeta(metaOf(e.col));
  }

  /** Snapshot a collection now and drop its log (normally automatic); resolves when the snapshot is on disk. */
  compact(name: string): Promise<void> {
    const e = this.entry(name);
    return e.storage.compact(e.col);
  }

  /** Flush every log, release the wasm memory and the folder lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const e of this.entries.values()) {
        if (e.flushTimer) clearTimeout(e.flushTimer);
        e.storage.close();
        e.col.dispose();
      }
      this.entries.clear();
    } finally {
      this.lock.release();
    }
  }

  private entry(name: string): Entry {
    if (this.closed) throw new StoreError(`the embedded store at ${this.path} is closed`);
    const e = this.entries.get(name);
    if (!e) throw noCollection(name);
    return e;
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > 255 || BAD_NAME.test(name) || name === "." || name === ".." || name.startsWith(".")) {
    throw wrongInput(`collection name "${name}" is not allowed: use 1 to 255 characters, not starting with "." and without / \\ : * ? " < > |`);
  }
}
