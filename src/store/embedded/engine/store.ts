/**
 * The embedded store's engine: the data folder, its lock, and the
 * collections in it. Every write goes through {@link Engine.write}:
 * validated operations are appended to the collection's log, applied in
 * memory, and (with `wait`) fsynced before the promise resolves. It knows
 * no HTTP and no request bodies; it refuses with {@link EngineError}.
 *
 *   <path>/LOCK                      the owning process (log/lock.ts)
 *   <path>/collections/<name>/...    one folder per collection (log/storage.ts)
 *   <path>/aliases.json              the aliases (engine/aliases.ts, log/aliases-file.ts)
 *
 * Every call that takes a collection name also takes an alias of it, as
 * Qdrant's routes do, except delete (a collection's own name only).
 */

import { type CollectionSettings, defaultSettings, loadSettings } from "../state/config.js";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { Kernels } from "../../../kernels/index.js";
import { fsyncDir, writeFileDurably } from "../log/fsutil.js";
import { type FolderLock, lockFolder } from "../log/lock.js";
import type { Distance, Op, PointId, SpacesConfig } from "../log/records.js";
import { LogError } from "../log/errors.js";
import { readMeta } from "../log/recovery.js";
import { type RepairedLog, repairStore } from "../log/repair.js";
import { type CollectionMeta, CollectionStorage } from "../log/storage.js";
import { Collection, vectorsFile } from "../state/collection.js";
import type { VectorStorage } from "../state/dense-vectors.js";
import { QuantizedState, type ScalarConfig } from "../state/quantized.js";
import { EngineError, noCollection, wrongInput } from "./errors.js";
import { compileFilter, compileLoggedFilter } from "./filter.js";
import { rowsOp } from "./points.js";
import { prepareWrite } from "./prepare.js";
import { type AliasAction, Aliases } from "./aliases.js";

/** Options of {@link Engine.open}. */
export interface StoreOptions {
  /** The data folder; created when missing. */
  path: string;
  /** Share one kernels instance (one wasm memory, 4 GiB in all) between collections. Default: each collection loads its own. */
  kernels?: Kernels;
  /** Compact a collection's log into a snapshot once it passes this many bytes (and the last snapshot's size). Default 64 MiB. */
  compactBytes?: number;
  /** Where warnings go (a torn log tail dropped at recovery, a stray folder skipped...). Default: none. */
  onWarning?: (message: string) => void;
  /** Before recovering, rewrite damaged logs keeping every intact record (repair.ts); the originals are kept aside. */
  repair?: boolean;
}

/** A change of one dense space's params (Qdrant's VectorParamsDiff, the parts the store acts on or keeps). */
export interface SpaceDiff {
  /** Move the vectors into their file (true) or into wasm memory (false). */
  onDisk?: boolean;
  /** Merged over the space's own hnsw_config (kept, not acted on: the scan is exact). */
  hnswConfig?: Record<string, unknown>;
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
  /** Why the collection is read-only (a record that could not be replayed), when it is. */
  degraded?: string;
  /** Qdrant's collection `metadata`, when set. */
  metadata?: Record<string, unknown>;
  /** The collection's scalar quantization (named spaces may have their own), when set. */
  quantization?: ScalarConfig;
}

/** collection.json of a collection: derived from it, so each fact has one home. */
/** What collection.json may be written with instead of the collection's current value. */
interface MetaChange {
  indexes?: Record<string, unknown>;
  settings?: CollectionSettings;
  /** null drops quantization. */
  quantization?: ScalarConfig | null;
  metadata?: Record<string, unknown>;
  spaces?: SpacesConfig;
}

function metaOf(e: Entry, o: MetaChange = {}): CollectionMeta {
  const col = e.col;
  const quantization = o.quantization === undefined ? e.quantization : o.quantization;
  const metadata = o.metadata ?? e.metadata;
  const meta: CollectionMeta = {
    ...spacesMeta(o.spaces ?? col.spacesConfig), name: col.name, indexes: o.indexes ?? col.indexes, settings: { ...(o.settings ?? col.settings) },
  };
  if (quantization) meta.quantization = { ...quantization };
  if (metadata) meta.metadata = metadata;
  return meta;
}

/** How collection.json describes the spaces: format 1 for one unnamed vector (as before named vectors), else format 2. */
function spacesMeta(sp: SpacesConfig): Pick<CollectionMeta, "format" | "vectors" | "spaces"> {
  const only = sp.dense[""];
  const plainKeys = Object.keys(only ?? {}).every((k) => k === "size" || k === "distance" || k === "on_disk");
  if (!sp.named && only && Object.keys(sp.dense).length === 1 && Object.keys(sp.sparse).length === 0 && plainKeys) {
    return { format: 1, vectors: { size: only.size, distance: only.distance, ...(only.on_disk !== undefined ? { on_disk: only.on_disk } : {}) } };
  }
  return { format: 2, spaces: structuredClone(sp) };
}

/** The spaces a collection.json describes. */
function spacesOf(meta: CollectionMeta): SpacesConfig {
  if (meta.spaces) return meta.spaces;
  const v = meta.vectors!;
  return { named: false, dense: { "": { size: v.size, distance: v.distance, ...(v.on_disk !== undefined ? { on_disk: v.on_disk } : {}) } }, sparse: {} };
}

/** A collection recovered from its folder into an empty one made from collection.json (filters in the engine's language). */
function openCollection(dir: string, meta: CollectionMeta, kernels: Kernels, warn: (m: string) => void): Entry {
  const col = new Collection({ name: meta.name, spaces: spacesOf(meta), kernels, compileFilter: (filter, legacyPaths) => (legacyPaths ? compileLoggedFilter(filter) : compileFilter(filter)), dir });
  col.settings = loadSettings(meta.settings);
  setQuantized(col, (meta.quantization as unknown as ScalarConfig | undefined) ?? null);
  try {
    removeStaleFiles(col, dir);
    const { storage, degraded } = CollectionStorage.open(dir, meta, col, warn);
    const quantization = meta.quantization as unknown as ScalarConfig | undefined;
    return { col, storage, flushTimer: null, degraded, metadata: meta.metadata, ...(quantization ? { quantization } : {}) };
  } catch (e) {
    col.dispose();
    throw e;
  }
}

/**
 * Quantization of each dense space: its own `quantization_config.scalar`
 * when it has one, else the collection's (`config`, null for none).
 */
function setQuantized(col: Collection, config: ScalarConfig | null): void {
  for (const sp of col.spaces.values()) {
    if (sp.kind !== "dense") continue;
    const own = (sp.config.quantization_config as { scalar?: ScalarConfig } | undefined)?.scalar;
    const q = own ?? config;
    sp.vectors.quantized?.dispose();
    sp.vectors.quantized = q ? new QuantizedState(q) : null;
  }
}

/** Delete the vectors files of spaces kept in memory (left by a move to memory, or by a crash in one): never read, only in the way. */
function removeStaleFiles(col: Collection, dir: string): void {
  for (const sp of col.spaces.values()) {
    if (sp.kind !== "dense" || sp.vectors.onDisk) continue;
    try {
      rmSync(join(dir, vectorsFile(sp.name)), { force: true });
    } catch {
      // a file that cannot be deleted stays: it is never read (an on-disk space recreates its file when it opens)
    }
  }
}

/** A refusal for a disk or folder problem (Qdrant's 500). */
function internal(message: string, cause?: unknown): EngineError {
  return new EngineError("internal", `Service internal error: ${message}`, { cause });
}

const BAD_NAME = /[/\\:*?"<>|\0]/;

/** The engine: collections in memory, durable on disk. */
export class Engine {
  readonly path: string;
  private readonly lock: FolderLock;
  private readonly entries = new Map<string, Entry>();
  private readonly opts: StoreOptions;
  private closed = false;
  private aliases!: Aliases;

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
    const warn = opts.onWarning ?? (() => {});
    try {
      store.aliases = Aliases.load(opts.path);
      if (opts.repair) store.repaired = repairStore(opts.path);
      for (const d of readdirSync(root)) {
        const dir = join(root, d);
        if (/^\.(tmp|trash)-\d+-\d+$/.test(d)) {
          rmSync(dir, { recursive: true, force: true }); // our half-made or half-deleted collection
          continue;
        }
        const meta = readMeta(dir);
        if (typeof meta === "string") {
          warn(`skipped ${dir}: ${meta}; it is not a collection. Move it out of ${root} (margin never deletes it)`);
          continue;
        }
        const kernels = opts.kernels ?? (await Kernels.load());
        store.entries.set(meta.name, openCollection(dir, meta, kernels, warn));
      }
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** Logs `repair: true` rewrote at open (empty when none was damaged, or without `repair`). */
  repaired: RepairedLog[] = [];

  /** Collections that opened read-only because a log record could not be replayed, and why. */
  degraded(): { name: string; reason: string }[] {
    return [...this.entries].filter(([, e]) => e.degraded).map(([name, e]) => ({ name, reason: e.degraded! }));
  }

  /** Names of the collections. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** A collection, by its name or an alias. @throws EngineError (not found) when it does not exist. */
  get(name: string): Collection {
    return this.entry(name).col;
  }

  /** Does a collection of this name or alias exist? */
  has(name: string): boolean {
    return this.entries.has(this.resolve(name));
  }

  /** The collection name behind `name`: an alias's collection, else `name` itself. */
  resolve(name: string): string {
    return this.entries.has(name) ? name : this.aliases.target(name) ?? name;
  }

  /** Every alias with its collection (GET /aliases). */
  listAliases(): { alias_name: string; collection_name: string }[] {
    return this.aliases.list();
  }

  /** The aliases of a collection, by its own name (GET /collections/{name}/aliases). */
  aliasesOf(name: string): string[] {
    return this.aliases.of(name);
  }

  /**
   * Apply alias actions in one step, all or nothing, durable before this returns.
   * @throws EngineError: not found (collection or old alias), exists (an alias named as a collection), internal.
   */
  updateAliases(actions: AliasAction[]): void {
    if (this.closed) throw new StoreError(`the embedded store at ${this.path} is closed`);
    this.aliases.apply(actions, { has: (n) => this.entries.has(n) });
  }

  /** A collection's `metadata` (by name or alias), undefined when none was set. */
  metadata(name: string): Record<string, unknown> | undefined {
    return this.entry(name).metadata;
  }

  /**
   * Merge `patch` into a collection's metadata as Qdrant does: top-level keys
   * replace, a key set to null is removed. Durable before this returns.
   */
  updateMetadata(name: string, patch: Record<string, unknown>): void {
    const e = this.entry(name);
    const next: Record<string, unknown> = { ...(e.metadata ?? {}) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    e.storage.writeMeta(metaOf(e, { metadata: next })); // first: a disk that refuses leaves memory as it was
    e.metadata = next;
  }

  /**
   * Create a collection of `size`-dimensional vectors.
   * @throws EngineError: wrong input for a bad name, exists when it exists, internal when the disk refuses.
   */
  async createCollection(
    name: string, size: number, distance: Distance,
    o: {
      settings?: CollectionSettings; quantization?: ScalarConfig; metadata?: Record<string, unknown>;
      /** The vectors in a file, not in memory (Qdrant's `on_disk`). */ onDisk?: boolean;
      /** Named or sparse spaces instead of size and distance (each dense space with its own `on_disk`). */ spaces?: SpacesConfig;
    } = {},
  ): Promise<void> {
    const settings = o.settings ?? defaultSettings();
    const { quantization, metadata } = o;
    checkName(name);
    if (this.aliases.target(name) !== undefined) {
      throw wrongInput(`Can't create collection with name ${name}. Alias with the same name already exists`);
    }
    if (this.entries.has(name)) throw new EngineError("exists", `Wrong input: Collection \`${name}\` already exists!`);
    const root = join(this.path, "collections");
    const dir = join(root, encodeURIComponent(name));
    const tmp = join(root, `.tmp-${process.pid}-${Date.now()}`);
    const spaces: SpacesConfig = o.spaces ?? { named: false, dense: { "": { size, distance, ...(o.onDisk ? { on_disk: true } : {}) } }, sparse: {} };
    const meta: CollectionMeta = { ...spacesMeta(spaces), name, indexes: {}, settings: { ...settings } };
    if (quantization) meta.quantization = { ...quantization };
    if (metadata) meta.metadata = metadata;
    const kernels = this.opts.kernels ?? (await Kernels.load());
    if (this.entries.has(name)) throw new EngineError("exists", `Wrong input: Collection \`${name}\` already exists!`);
    try {
      mkdirSync(tmp);
      writeFileDurably(join(tmp, "collection.json"), JSON.stringify(meta, null, 2));
    } catch (cause) {
      rmSync(tmp, { recursive: true, force: true });
      throw internal(`cannot create collection \`${name}\` in ${root}: ${(cause as Error).message}; nothing was created. Free some space (or check the folder's permissions) and retry`, { cause });
    }
    if (existsSync(dir)) {
      rmSync(tmp, { recursive: true, force: true });
      // a folder the store skipped at start (no readable collection.json): the user's to look at, not ours to delete
      throw internal(`cannot create collection \`${name}\`: the folder ${dir} is in the way (it is not a collection the store could read); move it out of the store and retry`);
    }
    renameSync(tmp, dir);
    fsyncDir(root);
    this.entries.set(name, openCollection(dir, meta, kernels, () => {}));
  }

  /** Delete a collection and its folder; false when there was none. */
  deleteCollection(name: string): boolean {
    const e = this.entries.get(name);
    if (!e) return false;
    this.aliases.dropCollection(name); // first, durably: a crash after it leaves a collection without aliases, never an alias without its collection
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
    let e = this.entry(name);
    if (e.degraded) throw internal(`collection \`${name}\` is read-only: ${e.degraded}`);
    if (e.storage.needsCheckpoint) {
      // a flush failed earlier: rewrite the state to disk before taking anything new (500 while the disk still fails)
      await e.storage.checkpoint(e.col);
      e = this.entry(name);
    }
    const opId = e.col.lastOp + 1;
    prepareWrite(e.col, ops); // after this, apply cannot throw: nothing may fail between the append and the apply
    e.storage.append(opId, ops, e.col.dim); // on failure: cut back, a 500, nothing applied
    e.col.apply(ops, opId);
    const limit = Math.max(this.opts.compactBytes ?? 64 * 2 ** 20, e.storage.snapshotBytes);
    if (e.storage.wantsCompaction(limit)) {
      // the write itself is logged; a failed snapshot only leaves the log longer
      e.storage.compact(e.col).catch((err: Error) => {
        if (!this.closed) this.opts.onWarning?.(`could not compact collection ${name} in ${e.storage.dir}: ${err.message}; the log keeps every write`);
      });
    }
    if (wait) {
      await e.storage.sync(); // a failed flush: 500, not acknowledged
      return { operation_id: opId, status: "completed" };
    }
    if (!e.flushTimer) {
      const entry = e;
      entry.flushTimer = setTimeout(() => {
        entry.flushTimer = null;
        entry.storage.sync().catch((err: Error) => this.opts.onWarning?.(err.message));
      }, 200);
      entry.flushTimer.unref();
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
    const indexes = { ...e.col.indexes };
    if (schema === null) delete indexes[field];
    else indexes[field] = schema;
    e.storage.writeMeta(metaOf(e, { indexes })); // first: a disk that refuses leaves memory as it was
    e.col.indexes = indexes;
  }

  /** Set (or, with null, drop) a collection's scalar quantization; its codes are rebuilt by the next search that uses them. */
  setQuantization(name: string, config: ScalarConfig | null): void {
    const e = this.entry(name);
    e.storage.writeMeta(metaOf(e, { quantization: config })); // first: a disk that refuses leaves memory as it was
    setQuantized(e.col, config);
    if (config) e.quantization = config;
    else delete e.quantization;
  }

  /** Replace a collection's kept settings (PATCH /collections/{name}); durable before it answers. */
  setSettings(name: string, settings: CollectionSettings): void {
    const e = this.entry(name);
    e.storage.writeMeta(metaOf(e, { settings })); // first: a disk that refuses leaves memory as it was
    e.col.settings = settings;
  }

  /**
   * Change dense spaces' params (PATCH `vectors: {"name": {...}}`): `hnsw_config`
   * merged over the space's own (kept, not acted on), and `on_disk`, which
   * moves the vectors between wasm memory and their file. A moved space's new
   * storage is filled first, then collection.json is rewritten durably (temp
   * file, fsync, rename), and only then swapped in: a crash before the rename
   * reopens the collection as it was, after it as moved (the file is rebuilt
   * from the snapshot and log either way).
   * @throws EngineError (internal) when the disk refuses; nothing changed then.
   */
  updateSpaces(name: string, diff: Record<string, SpaceDiff>): void {
    const e = this.entry(name);
    if (e.degraded) throw internal(`collection \`${name}\` is read-only: ${e.degraded}`);
    const col = e.col;
    const spaces = structuredClone(col.spacesConfig);
    for (const [n, d] of Object.entries(diff)) {
      const c = spaces.dense[n]!;
      if (d.onDisk !== undefined) c.on_disk = d.onDisk;
      if (d.hnswConfig) c.hnsw_config = { ...(c.hnsw_config ?? {}), ...structuredClone(d.hnswConfig) };
    }
    const ready: [string, VectorStorage][] = [];
    try {
      for (const [n, d] of Object.entries(diff)) {
        if (d.onDisk !== undefined && col.denseSpace(n)!.vectors.onDisk !== d.onDisk) ready.push([n, col.prepareMove(n, d.onDisk, e.storage.dir)]);
      }
      e.storage.writeMeta(metaOf(e, { spaces })); // a disk that refuses leaves memory as it was
    } catch (err) {
      for (const [n, v] of ready) {
        v.dispose();
        if (v.onDisk) rmSync(join(e.storage.dir, vectorsFile(n)), { force: true });
      }
      if (err instanceof EngineError || err instanceof LogError) throw err;
      throw internal(`cannot move the vectors of collection \`${name}\`: ${(err as Error).message}; nothing was changed`, err);
    }
    for (const [n, v] of ready) col.commitMove(n, v);
    for (const [n, c] of Object.entries(spaces.dense)) Object.assign(col.denseSpace(n)!.config, c);
    removeStaleFiles(col, e.storage.dir);
  }

  /** Snapshot a collection now and drop its log (normally automatic); resolves when the snapshot is on disk. */
  compact(name: string): Promise<void> {
    const e = this.entry(name);
    // a snapshot of a degraded collection would replace the logs that hold the record it could not replay
    if (e.degraded) return Promise.reject(internal(`collection \`${name}\` is read-only: ${e.degraded}`));
    return e.storage.compact(e.col);
  }

  /** Flush every log, release the wasm memory and the folder lock. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const [name, e] of this.entries) {
        if (e.flushTimer) clearTimeout(e.flushTimer);
        try {
          e.storage.close();
        } catch (err) {
          // a disk that fails at shutdown must not keep the other collections' logs open or the lock held
          this.opts.onWarning?.(`could not flush the log of collection ${name} in ${e.storage.dir} at close: ${(err as Error).message}`);
        }
        e.col.dispose();
      }
      this.entries.clear();
    } finally {
      this.lock.release();
    }
  }

  private entry(name: string): Entry {
    if (this.closed) throw new StoreError(`the embedded store at ${this.path} is closed`);
    const e = this.entries.get(this.resolve(name));
    if (!e) throw noCollection(name);
    return e;
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > 255 || BAD_NAME.test(name) || name === "." || name === ".." || name.startsWith(".")) {
    throw wrongInput(`collection name "${name}" is not allowed: use 1 to 255 characters, not starting with "." and without / \\ : * ? " < > |`);
  }
}
