/**
 * One collection in memory: its vectors (state/dense-vectors.ts: one
 * growable block of wasm memory) and beside them, per row, the point id,
 * payload and version. Deleting swaps the last row into the hole, so rows
 * stay dense and a scan reads exactly `count · dim` floats. The count is the
 * number of ids.
 *
 * Everything here is in-memory and infallible once a request is validated:
 * the durable log writes an operation first, then `apply` runs it.
 */

import { type CollectionSettings, defaultSettings } from "./config.js";
import type { Kernels, Metric } from "../../../kernels/index.js";
import type { QuantizedState } from "./quantized.js";
import { DenseVectors, METRIC_OF, type VectorStorage } from "./dense-vectors.js";
import { DiskVectors } from "./disk-vectors.js";
import { DISTANCES, type Distance, type FrozenCollection, type Op, type Payload, type PointId, type Replica, type Selector } from "../log/records.js";
import { removeAtPath, setAtPath } from "./json-path.js";
import { splitPath } from "./payload.js";

export { DISTANCES, METRIC_OF };
export type { Distance, FrozenCollection, Op, Selector };

/** A compiled filter: does the point with this id and payload pass? */
export type Predicate = (payload: Payload, id: PointId) => boolean;

/** Qdrant's id order: integers ascending, then UUIDs in byte (= string) order. */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Collection implements Replica {
  readonly name: string;
  readonly kernels: Kernels;
  /** The vectors, row `r` of the point at row `r`: in wasm memory, or in a file (`on_disk`). */
  readonly dense: VectorStorage;
  /** Payload indexes asked for (accepted, recorded, not needed by an exact scan). */
  indexes: Record<string, unknown> = {};
  /** Settings kept but not acted on (HNSW, WAL, optimizers, sharding): state/config.ts. */
  settings: CollectionSettings = defaultSettings();
  /** The last operation number applied. */
  lastOp = 0;
  /** Compiles a logged filter (the engine's filter language) into a predicate. */
  private readonly compile: (filter: unknown) => Predicate | null;
  private ids: PointId[] = [];
  private payloads: Payload[] = [];
  private versions: number[] = [];
  private rowOf = new Map<PointId, number>();
  private sorted: PointId[] | null = null;

  /** `onDisk`: the path of the vectors file when the vectors stay on disk (Qdrant's `on_disk: true`); the file is rebuilt from what is applied. */
  constructor(o: { name: string; dim: number; distance: Distance; kernels: Kernels; compileFilter: (filter: unknown) => Predicate | null; onDisk?: string }) {
    this.name = o.name;
    this.kernels = o.kernels;
    this.compile = o.compileFilter;
    const space = { dim: o.dim, distance: o.distance, kernels: o.kernels };
    this.dense = o.onDisk ? new DiskVectors({ ...space, path: o.onDisk }) : new DenseVectors(space);
  }

  /** The vectors' size. */
  get dim(): number {
    return this.dense.dim;
  }

  get distance(): Distance {
    return this.dense.distance;
  }

  /** The kernel metric the vectors scan with. */
  get metric(): Metric {
    return this.dense.metric;
  }

  /** Scalar quantization of the vectors (state/quantized.ts); null: none. */
  get quantized(): QuantizedState | null {
    return this.dense.quantized;
  }

  set quantized(q: QuantizedState | null) {
    this.dense.quantized = q;
  }

  /** Number of points. */
  get count(): number {
    return this.ids.length;
  }

  /** Bytes of wasm memory held by this collection's kernels instance (all collections', when they share one). */
  get vectorBytes(): number {
    return this.kernels.memoryBytes;
  }

  /** Is there a point with this id? */
  has(id: PointId): boolean {
    return this.rowOf.has(id);
  }

  /** The row of a point (rows move when points are deleted), or undefined. */
  row(id: PointId): number | undefined {
    return this.rowOf.get(id);
  }

  /** The id, payload and version (last operation that changed it) of the point at `row`. */
  idAt(row: number): PointId {
    return this.ids[row]!;
  }

  payloadAt(row: number): Payload {
    return this.payloads[row]!;
  }

  versionAt(row: number): number {
    return this.versions[row]!;
  }

  /** A copy of the stored vector of `row` (normalized for Cosine). */
  vectorAt(row: number): Float32Array {
    return this.dense.read(row);
  }

  /** Ids in Qdrant's scroll order (cached until the next insert or delete). */
  sortedIds(): PointId[] {
    if (!this.sorted) this.sorted = this.ids.slice().sort(compareIds);
    return this.sorted;
  }

  /** A copy of the state for a snapshot, taken in one go (payload objects are shared: they are never mutated). */
  freeze(): FrozenCollection {
    return {
      name: this.name, dim: this.dim, distance: this.distance, lastOp: this.lastOp, count: this.count,
      indexes: structuredClone(this.indexes),
      ids: this.ids.slice(), payloads: this.payloads.slice(), versions: this.versions.slice(),
      vectors: this.dense.copy(),
    };
  }

  /** Rows whose point passes `pred`, ascending. */
  rowsWhere(pred: Predicate): Int32Array {
    const n = this.count;
    const out = new Int32Array(n);
    let m = 0;
    for (let r = 0; r < n; r++) if (pred(this.payloads[r]!, this.ids[r]!)) out[m++] = r;
    return out.subarray(0, m);
  }

  /** The ids a selector names that exist now (filters are evaluated now). */
  select(sel: Selector): PointId[] {
    if ("ids" in sel) return sel.ids.filter((id) => this.rowOf.has(id));
    const pred = this.compile(sel.filter);
    if (!pred) return this.ids.slice();
    return Array.from(this.rowsWhere(pred), (r) => this.ids[r]!);
  }

  /** Make room for `rows` points. */
  reserve(rows: number): void {
    this.dense.reserve(rows);
  }

  /** Apply validated operations as operation number `opId`. Never throws on validated input. */
  apply(ops: Op[], opId: number): void {
    for (const op of ops) {
      if (op.type === "upsert") this.upsert(op, opId);
      else if (op.type === "delete") for (const id of this.select(op.sel)) this.remove(id);
      else {
        for (const id of this.select(op.sel)) {
          const r = this.rowOf.get(id)!;
          this.versions[r] = opId;
          // payloads are replaced, never mutated: a snapshot being written holds the old objects
          if (op.type === "overwrite_payload") this.payloads[r] = structuredClone(op.payload);
          else if (op.type === "clear_payload") this.payloads[r] = {};
          else {
            const p = structuredClone(this.payloads[r]!);
            // keys were checked when the request came in (engine/paths.ts)
            if (op.type === "set_payload") setAtPath(p, op.key ? splitPath(op.key)! : null, op.payload);
            else for (const k of op.keys) removeAtPath(p, splitPath(k)!);
            this.payloads[r] = p;
          }
        }
      }
    }
    this.dense.flush(); // on disk: the rows of this operation go to the file now
    this.lastOp = Math.max(this.lastOp, opId);
  }

  /** Bulk-load rows read from a snapshot, keeping their versions. */
  restore(ids: PointId[], vectors: Float32Array, payloads: Payload[], versions: number[]): void {
    this.upsert({ type: "upsert", ids, vectors, payloads }, 0);
    for (let i = 0; i < ids.length; i++) this.versions[this.rowOf.get(ids[i]!)!] = versions[i]!;
    this.dense.flush();
  }

  private upsert(op: Extract<Op, { type: "upsert" }>, opId: number): void {
    const dim = this.dim;
    let fresh = 0;
    for (const id of op.ids) if (!this.rowOf.has(id)) fresh++;
    this.reserve(this.count + fresh);
    for (let i = 0; i < op.ids.length; i++) {
      const id = op.ids[i]!;
      let r = this.rowOf.get(id);
      if (r === undefined) {
        r = this.ids.length;
        this.rowOf.set(id, r);
        this.ids.push(id);
        this.sorted = null;
      }
      this.dense.set(r, op.vectors.subarray(i * dim, (i + 1) * dim));
      this.payloads[r] = op.payloads[i] ?? {};
      this.versions[r] = opId;
    }
  }

  private remove(id: PointId): void {
    const r = this.rowOf.get(id);
    if (r === undefined) return;
    const last = this.ids.length - 1;
    if (r !== last) {
      this.dense.move(last, r);
      const moved = this.ids[last]!;
      this.ids[r] = moved;
      this.payloads[r] = this.payloads[last]!;
      this.versions[r] = this.versions[last]!;
      this.rowOf.set(moved, r);
    }
    this.dense.truncate(last);
    this.ids.length = last;
    this.payloads.length = last;
    this.versions.length = last;
    this.rowOf.delete(id);
    this.sorted = null;
  }

  /** Give the wasm block back (the collection is unusable afterwards). */
  dispose(): void {
    this.dense.dispose();
  }
}
