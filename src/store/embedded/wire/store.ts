/**
 * The store in-process: the engine's calls, refused as the server refuses
 * them (HttpError with Qdrant's status and wording), plus `query` with a
 * Query API body. What `startEmbeddedStore` hands out as `store`.
 */

import type { Distance, Op, PointId } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import type { ScalarConfig } from "../state/quantized.js";
import { checkValue } from "../engine/limits.js";
import { Engine, type StoreOptions, type UpdateResult } from "../engine/store.js";
import type { RepairedLog } from "../log/repair.js";
import { show } from "../engine/errors.js";
import { answering, badRequest } from "./errors.js";
import { parseQuantizationConfig } from "./quantization.js";
import { parseVectorsDiff } from "./spaces-update.js";
import { parseQuery, runQuery } from "./query.js";
import type { PointView } from "./views.js";

/** The embedded store: collections in memory, durable on disk, usable without HTTP. */
export class EmbeddedStore {
  /** The engine behind it (the server's route handlers call it directly). */
  readonly engine: Engine;

  private constructor(engine: Engine) {
    this.engine = engine;
  }

  /**
   * Open (or create) a data folder: take its lock, then recover every collection.
   * @throws StoreError when another process holds the folder, or a snapshot is damaged.
   */
  static async open(opts: StoreOptions): Promise<EmbeddedStore> {
    return new EmbeddedStore(await Engine.open(opts));
  }

  /** The data folder. */
  get path(): string {
    return this.engine.path;
  }

  /** Logs `repair: true` rewrote at open (empty when none was damaged, or without `repair`). */
  get repaired(): RepairedLog[] {
    return this.engine.repaired;
  }

  /** Collections that opened read-only because a log record could not be replayed, and why. */
  degraded(): { name: string; reason: string }[] {
    return this.engine.degraded();
  }

  /** Names of the collections. */
  names(): string[] {
    return this.engine.names();
  }

  /** A collection. @throws HttpError 404 when it does not exist. */
  get(name: string): Collection {
    return answering(() => this.engine.get(name));
  }

  has(name: string): boolean {
    return this.engine.has(name);
  }

  /**
   * Create a collection of `size`-dimensional vectors, as PUT /collections/{name}
   * with `{"vectors": {size, distance, on_disk}, quantization_config, metadata}`.
   * @param o.onDisk keep the vectors in a file, not in memory (Qdrant's `on_disk`). Default false.
   * @param o.quantization scalar quantization (Qdrant's `quantization_config.scalar`). Default none.
   * @param o.metadata Qdrant's free collection metadata. Default none.
   * @throws HttpError 400 for a bad name or option, 409 when it exists.
   * @example await store.createCollection("photos", 64, "Cosine", { onDisk: true });
   */
  async createCollection(
    name: string, size: number, distance: Distance,
    o: { onDisk?: boolean; quantization?: ScalarConfig; metadata?: Record<string, unknown> } = {},
  ): Promise<void> {
    return answering(() => {
      if (o.onDisk !== undefined && typeof o.onDisk !== "boolean") throw badRequest(`createCollection: onDisk must be true or false, got ${show(o.onDisk)}`);
      const quantization = o.quantization === undefined ? undefined : parseQuantizationConfig({ scalar: o.quantization }, "createCollection: quantization") ?? undefined;
      return this.engine.createCollection(name, size, distance, { metadata: o.metadata, quantization, onDisk: o.onDisk });
    });
  }

  /**
   * Move a dense vector's originals between memory and its file, as PATCH
   * `{"vectors": {"name": {"on_disk": b}}}`; durable before it returns.
   * @param vector the vector's name; default "" (the unnamed one).
   * @throws HttpError 404 for an unknown collection, 400 for an unknown vector, 500 when the disk refuses.
   */
  setOnDisk(name: string, onDisk: boolean, vector = ""): void {
    answering(() => {
      const col = this.engine.get(name);
      const diff = parseVectorsDiff(col, { [vector]: { on_disk: onDisk } });
      this.engine.updateSpaces(col.name, diff!);
    });
  }

  /** Set (null: drop) a collection's scalar quantization, Qdrant's `quantization_config.scalar`. @throws HttpError 404 for an unknown collection. */
  setQuantization(name: string, config: ScalarConfig | null): void {
    answering(() => this.engine.setQuantization(name, config));
  }

  /** Delete a collection and its folder; false when there was none. */
  deleteCollection(name: string): boolean {
    return this.engine.deleteCollection(name);
  }

  /** Log, apply and (with `wait`) fsync validated operations as one record. */
  write(name: string, ops: Op[], wait: boolean): Promise<UpdateResult> {
    return answering(() => this.engine.write(name, ops, wait));
  }

  /**
   * Upsert points: `vectors` is row-major `[ids.length, size]`. Checked whole before anything is written.
   * @throws HttpError 404 for an unknown collection, 400 for a bad id, size or value.
   */
  upsertPoints(
    name: string, o: { ids: PointId[]; vectors: Float32Array; payloads?: (Record<string, unknown> | null)[]; wait?: boolean },
  ): Promise<UpdateResult> {
    return answering(() => this.engine.upsertPoints(name, o));
  }

  /**
   * Run a Query API request: `body` is what POST /points/query takes
   * (`{ query, filter, limit, offset, score_threshold, with_payload, with_vector }`).
   * @returns the scored points, best first.
   */
  query(name: string, body: Record<string, unknown>): PointView[] {
    return answering(() => {
      const col = this.engine.get(name);
      checkValue(body, "query"); // the filter compiler recurses: bound the nesting first
      return runQuery(col, parseQuery(col, body, "query"));
    });
  }

  /** Record a payload index (`schema` null to drop it); the exact scan does not need one. */
  setIndex(name: string, field: string, schema: unknown | null): void {
    answering(() => this.engine.setIndex(name, field, schema));
  }

  /** Snapshot a collection now and drop its log (normally automatic); resolves when the snapshot is on disk. */
  compact(name: string): Promise<void> {
    return answering(() => this.engine.compact(name));
  }

  /** Flush every log, release the wasm memory and the folder lock. Idempotent. */
  close(): void {
    this.engine.close();
  }
}
