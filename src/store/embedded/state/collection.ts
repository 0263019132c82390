/**
 * One collection in memory: its vectors in ONE growable block of wasm memory
 * (row-major `[capacity, dim]` f32, owned by the collection's own Kernels
 * instance), and beside it, per row, the point id, payload and version.
 * Deleting swaps the last row into the hole, so rows stay dense and a scan
 * reads exactly `count · dim` floats.
 *
 * Everything here is in-memory and infallible once a request is validated:
 * the durable log (storage.ts) writes an operation first, then `apply` runs it.
 */

import type { KernelF32, Kernels, Metric } from "../../../kernels/index.js";
import { type PointId, compareIds } from "../engine/ids.js";
import { type Payload, deleteAt, mergeAt, parsePath } from "./payload.js";
import { compileFilter, type Predicate } from "../engine/filter.js";

/** Qdrant's distance names. */
export const DISTANCES = ["Cosine", "Euclid", "Dot", "Manhattan"] as const;
export type Distance = (typeof DISTANCES)[number];

/** The kernel metric each distance scans with (Cosine vectors are normalized at insert). */
export const METRIC_OF: Record<Distance, Metric> = { Cosine: "dot", Euclid: "sqL2", Dot: "dot", Manhattan: "l1" };

/** Which points an operation touches: listed ids, or those a filter selects (raw JSON, compiled on use). */
export type Selector = { ids: PointId[] } | { filter: unknown };

/** A validated write; the unit of the log. */
export type Op =
  | { type: "upsert"; ids: PointId[]; vectors: Float32Array; payloads: (Payload | null)[] }
  | { type: "delete"; sel: Selector }
  | { type: "set_payload"; sel: Selector; payload: Payload; key?: string }
  | { type: "overwrite_payload"; sel: Selector; payload: Payload }
  | { type: "delete_payload"; sel: Selector; keys: string[] }
  | { type: "clear_payload"; sel: Selector };

/** A collection's state at one moment, for a snapshot. */
export interface FrozenCollection {
  name: string;
  dim: number;
  distance: Distance;
  lastOp: number;
  count: number;
  indexes: Record<string, unknown>;
  ids: PointId[];
  payloads: Payload[];
  versions: number[];
  vectors: Float32Array;
}

/** The first row capacity, and the growth factor of the block (in place, usually: see reserve). */
const MIN_CAPACITY = 1024;
const GROWTH = 1.25;

export class Collection {
  readonly name: string;
  readonly dim: number;
  readonly distance: Distance;
  readonly metric: Metric;
  readonly kernels: Kernels;
  /** Payload indexes asked for (accepted, recorded, not needed by an exact scan). */
  indexes: Record<string, unknown> = {};
  /** The last operation number applied. */
  lastOp = 0;
  private block: KernelF32 | null = null;
  private capacity = 0;
  private count_ = 0;
  private ids: PointId[] = [];
  private payloads: Payload[] = [];
  private versions: number[] = [];
  private rowOf = new Map<PointId, number>();
  private sorted: PointId[] | null = null;

  constructor(o: { name: string; dim: number; distance: Distance; kernels: Kernels }) {
    this.name = o.name;
    this.dim = o.dim;
    this.distance = o.distance;
    this.metric = METRIC_OF[o.distance];
    this.kernels = o.kernels;
  }

  /** Number of points. */
  get count(): number {
    return this.count_;
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
    return this.block!.view().slice(row * this.dim, (row + 1) * this.dim);
  }

  /** The first `count` rows as a kernel input (no copy). */
  matrix(): KernelF32 {
    const block = this.block;
    const length = this.count_ * this.dim;
    return {
      get ptr() {
        return block ? block.ptr : 0;
      },
      length,
      view: () => (block ? block.view().subarray(0, length) : new Float32Array(0)),
      free() {},
    };
  }

  /** Ids in Qdrant's scroll order (cached until the next insert or delete). */
  sortedIds(): PointId[] {
    if (!this.sorted) this.sorted = this.ids.slice(0, this.count_).sort(compareIds);
    return this.sorted;
  }

  /** A copy of the state for a snapshot, taken in one go (payload objects are shared: they are never mutated). */
  freeze(): FrozenCollection {
    return {
      name: this.name, dim: this.dim, distance: this.distance, lastOp: this.lastOp, count: this.count_,
      indexes: structuredClone(this.indexes),
      ids: this.ids.slice(0, this.count_), payloads: this.payloads.slice(0, this.count_), versions: this.versions.slice(0, this.count_),
      vectors: this.matrix().view().slice(),
    };
  }

  /** Rows whose point passes `pred`, ascending. */
  rowsWhere(pred: Predicate): Int32Array {
    const out = new Int32Array(this.count_);
    let m = 0;
    for (let r = 0; r < this.count_; r++) if (pred(this.payloads[r]!, this.ids[r]!)) out[m++] = r;
    return out.subarray(0, m);
  }

  /** The ids a selector names that exist now (filters are evaluated now). */
  select(sel: Selector): PointId[] {
    if ("ids" in sel) return sel.ids.filter((id) => this.rowOf.has(id));
    const pred = compileFilter(sel.filter);
    if (!pred) return this.ids.slice(0, this.count_);
    return Array.from(this.rowsWhere(pred), (r) => this.ids[r]!);
  }

  /**
   * Make room for `rows` rows. The old block is freed before the new one is
   * taken: the arena keeps its bookkeeping outside wasm memory and a fresh
   * block is not written to, so the rows are still in place, and when the
   * block ends the arena (the usual case: one block per kernels instance)
   * the new block starts at the same address and nothing moves. Otherwise
   * the rows are moved with one memmove (copyWithin handles overlap).
   */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, MIN_CAPACITY, Math.floor(this.capacity * GROWTH));
    const old = this.block;
    const oldPtr = old ? old.ptr : 0;
    old?.free();
    const next = this.kernels.allocF32(cap * this.dim);
    if (old && next.ptr !== oldPtr && this.count_ > 0) {
      const memory = new Float32Array(next.view().buffer);
      memory.copyWithin(next.ptr >> 2, oldPtr >> 2, (oldPtr >> 2) + this.count_ * this.dim);
    }
    this.block = next;
    this.capacity = cap;
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
            if (op.type === "set_payload") mergeAt(p, op.key ? parsePath(op.key, "key") : null, op.payload);
            else for (const k of op.keys) deleteAt(p, parsePath(k, "keys"));
            this.payloads[r] = p;
          }
        }
      }
    }
    this.lastOp = Math.max(this.lastOp, opId);
  }

  /** Bulk-load rows read from a snapshot, keeping their versions. */
  restore(ids: PointId[], vectors: Float32Array, payloads: Payload[], versions: number[]): void {
    this.upsert({ type: "upsert", ids, vectors, payloads }, 0);
    for (let i = 0; i < ids.length; i++) this.versions[this.rowOf.get(ids[i]!)!] = versions[i]!;
  }

  private upsert(op: Extract<Op, { type: "upsert" }>, opId: number): void {
    const dim = this.dim;
    let fresh = 0;
    for (const id of op.ids) if (!this.rowOf.has(id)) fresh++;
    this.reserve(this.count_ + fresh);
    const f = this.block!.view();
    for (let i = 0; i < op.ids.length; i++) {
      const id = op.ids[i]!;
      let r = this.rowOf.get(id);
      if (r === undefined) {
        r = this.count_++;
        this.rowOf.set(id, r);
        this.ids[r] = id;
        this.sorted = null;
      }
      f.set(op.vectors.subarray(i * dim, (i + 1) * dim), r * dim);
      this.payloads[r] = op.payloads[i] ?? {};
      this.versions[r] = opId;
    }
  }

  private remove(id: PointId): void {
    const r = this.rowOf.get(id);
    if (r === undefined) return;
    const last = --this.count_;
    if (r !== last) {
      const dim = this.dim;
      this.block!.view().copyWithin(r * dim, last * dim, (last + 1) * dim);
      const moved = this.ids[last]!;
      this.ids[r] = moved;
      this.payloads[r] = this.payloads[last]!;
      this.versions[r] = this.versions[last]!;
      this.rowOf.set(moved, r);
    }
    this.ids.length = last;
    this.payloads.length = last;
    this.versions.length = last;
    this.rowOf.delete(id);
    this.sorted = null;
  }

  /** Give the wasm block back (the collection is unusable afterwards). */
  dispose(): void {
    this.block?.free();
    this.block = null;
    this.capacity = 0;
  }
}
