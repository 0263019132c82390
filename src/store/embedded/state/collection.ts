/**
 * One collection in memory: per row, the point id, payload and version, and
 * its vector spaces: dense ones (state/dense-vectors.ts: one growable block
 * of wasm memory each), sparse ones (state/sparse-vectors.ts) and
 * multivector ones (state/multi-vectors.ts), each
 * holding rows only for the points that carry its vector (space-rows.ts).
 * Deleting swaps the last row into the hole, so rows stay dense and a scan
 * of a space reads exactly its `count · dim` floats. The count is the
 * number of ids. A single-vector collection (one space "") keeps its
 * vector's rows equal to the point rows: every point has that vector.
 *
 * Everything here is in-memory and infallible once a request is validated:
 * the durable log writes an operation first, then `apply` runs it.
 */

import { type CollectionSettings, defaultSettings } from "./config.js";
import { join } from "node:path";
import type { Kernels, Metric } from "../../../kernels/index.js";
import { QuantizedState } from "./quantized.js";
import { DenseVectors, METRIC_OF, type VectorStorage } from "./dense-vectors.js";
import { DiskVectors, VECTORS_FILE } from "./disk-vectors.js";
import { SparseVectors } from "./sparse-vectors.js";
import { MultiVector, MultiVectors } from "./multi-vectors.js";
import { SpaceRows } from "./space-rows.js";
import {
  DISTANCES, type DenseSpaceConfig, type Distance, type FrozenCollection, type Op, type Payload, type PointId, type PointVectors, type Replica,
  type Selector, type SparseSpaceConfig, type SparseVector, type SpacesConfig,
} from "../log/records.js";
import { removeAtPath, setAtPath } from "./json-path.js";
import { splitPath } from "./payload.js";

export { DISTANCES, METRIC_OF };
export type { Distance, FrozenCollection, Op, Selector, SpacesConfig };

/** What a filter may ask of the collection beyond the payload (has_vector). */
export interface VectorMembership {
  hasVector(id: PointId, name: string): boolean;
}

/** A compiled filter: does the point with this id and payload pass? (`vectors` answers has_vector; without it, has_vector is false.) */
export type Predicate = (payload: Payload, id: PointId, vectors?: VectorMembership) => boolean;

/** A dense space: its config as created, which points have a row, the rows. */
export interface DenseSpace {
  kind: "dense";
  name: string;
  config: DenseSpaceConfig;
  rows: SpaceRows;
  /** In wasm memory, or in a file (`on_disk: true`). */
  vectors: VectorStorage;
}

/** A sparse space: its config as created, which points have a row, the rows. */
export interface SparseSpace {
  kind: "sparse";
  name: string;
  config: SparseSpaceConfig;
  rows: SpaceRows;
  vectors: SparseVectors;
}

/** A multivector space (`multivector_config`): each point carrying it has a list of vectors. */
export interface MultiSpace {
  kind: "multi";
  name: string;
  config: DenseSpaceConfig;
  rows: SpaceRows;
  vectors: MultiVectors;
}

export type Space = DenseSpace | SparseSpace | MultiSpace;

/** The file of an on-disk dense space in the collection's folder ("" keeps the name it had before named vectors). */
export function vectorsFile(name: string): string {
  return name === "" ? VECTORS_FILE : `vectors-${encodeURIComponent(name)}.f32`;
}

/** Is this stored vector a sparse one? */
export function isSparse(v: Float32Array | SparseVector | MultiVector): v is SparseVector {
  return !(v instanceof Float32Array) && !(v instanceof MultiVector);
}

/** Qdrant's id order: integers ascending, then UUIDs in byte (= string) order. */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Collection implements Replica, VectorMembership {
  readonly name: string;
  readonly kernels: Kernels;
  /** The spaces as created: named or single-vector mode, dense and sparse configs. */
  readonly spacesConfig: SpacesConfig;
  /** Every space by name ("" the unnamed dense one), dense first, in creation order. */
  readonly spaces = new Map<string, Space>();
  /** Payload indexes asked for (accepted, recorded, not needed by an exact scan). */
  indexes: Record<string, unknown> = {};
  /** Settings kept but not acted on (HNSW, WAL, optimizers, sharding): state/config.ts. */
  settings: CollectionSettings = defaultSettings();
  /** The last operation number applied. */
  lastOp = 0;
  /** Compiles a logged filter (the engine's filter language) into a predicate. */
  private readonly compile: (filter: unknown, legacyPaths: boolean) => Predicate | null;
  /** The "" space when the collection is in single-vector mode without sparse spaces: its rows are the point rows. */
  private readonly plain: DenseSpace | null;
  private ids: PointId[] = [];
  private payloads: Payload[] = [];
  private versions: number[] = [];
  private rowOf = new Map<PointId, number>();
  private sorted: PointId[] | null = null;

  constructor(o: {
    name: string; kernels: Kernels; compileFilter: (filter: unknown, legacyPaths: boolean) => Predicate | null;
    /** Single-vector mode: the one vector's size and distance. */
    dim?: number; distance?: Distance;
    /** Or the spaces in full. */
    spaces?: SpacesConfig;
    /** The collection's folder: dense spaces with `on_disk: true` keep their rows in a file there (rebuilt from what is applied). */
    dir?: string;
  }) {
    this.name = o.name;
    this.kernels = o.kernels;
    this.compile = o.compileFilter;
    this.spacesConfig = o.spaces ?? { named: false, dense: { "": { size: o.dim!, distance: o.distance! } }, sparse: {} };
    for (const [name, config] of Object.entries(this.spacesConfig.dense)) {
      if (config.multivector_config) {
        const vectors = new MultiVectors({ dim: config.size, distance: config.distance });
        this.spaces.set(name, { kind: "multi", name, config, vectors, rows: new SpaceRows(vectors) });
        continue;
      }
      const space = { dim: config.size, distance: config.distance, kernels: o.kernels };
      const vectors: VectorStorage = config.on_disk && o.dir ? new DiskVectors({ ...space, path: join(o.dir, vectorsFile(name)) }) : new DenseVectors(space);
      this.spaces.set(name, { kind: "dense", name, config, vectors, rows: new SpaceRows(vectors) });
    }
    for (const [name, config] of Object.entries(this.spacesConfig.sparse)) {
      const vectors = new SparseVectors();
      this.spaces.set(name, { kind: "sparse", name, config, vectors, rows: new SpaceRows(vectors) });
    }
    const only = this.spaces.get("");
    this.plain = !this.spacesConfig.named && this.spaces.size === 1 && only?.kind === "dense" ? only : null;
  }

  /** Single-vector mode without sparse spaces (the collections the store had before named vectors): snapshot and log shape 1. */
  get isPlain(): boolean {
    return this.plain !== null;
  }

  /** A dense space by name, or undefined. */
  denseSpace(name: string): DenseSpace | undefined {
    const sp = this.spaces.get(name);
    return sp?.kind === "dense" ? sp : undefined;
  }

  /** A multivector space by name, or undefined. */
  multiSpace(name: string): MultiSpace | undefined {
    const sp = this.spaces.get(name);
    return sp?.kind === "multi" ? sp : undefined;
  }

  /** A sparse space by name, or undefined. */
  sparseSpace(name: string): SparseSpace | undefined {
    const sp = this.spaces.get(name);
    return sp?.kind === "sparse" ? sp : undefined;
  }

  /** The unnamed dense space's vectors (every collection in single-vector mode has it). @throws Error in named mode without "". */
  get dense(): VectorStorage {
    const sp = this.denseSpace("");
    if (!sp) throw new Error(`collection ${this.name} has no unnamed vector`);
    return sp.vectors;
  }

  /** The unnamed vector's size (0 when there is none). */
  get dim(): number {
    return this.denseSpace("")?.vectors.dim ?? 0;
  }

  get distance(): Distance {
    return this.dense.distance;
  }

  /** The unnamed vector's datatype as created (undefined: float32, not given). */
  get datatype(): DenseSpaceConfig["datatype"] {
    return this.denseSpace("")?.config.datatype;
  }

  /** The kernel metric the unnamed vector scans with. */
  get metric(): Metric {
    return this.dense.metric;
  }

  /** Scalar quantization of the unnamed vector (state/quantized.ts); null: none. */
  get quantized(): QuantizedState | null {
    return this.denseSpace("")?.vectors.quantized ?? null;
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

  /** A copy of the unnamed vector of `row` (normalized for Cosine). */
  vectorAt(row: number): Float32Array {
    const sp = this.denseSpace("")!;
    return sp.vectors.read(sp.rows.spaceRow(row));
  }

  /** The vector of the point at `row` in space `name`, or undefined when it has none there. */
  vectorIn(row: number, name: string): Float32Array | SparseVector | MultiVector | undefined {
    const sp = this.spaces.get(name);
    if (!sp) return undefined;
    const s = sp.rows.spaceRow(row);
    return s < 0 ? undefined : sp.vectors.read(s);
  }

  /** Every vector of the point at `row`, by space name. */
  vectorsOf(row: number): PointVectors {
    const out: PointVectors = {};
    for (const [name, sp] of this.spaces) {
      const s = sp.rows.spaceRow(row);
      if (s >= 0) out[name] = sp.vectors.read(s);
    }
    return out;
  }

  /** has_vector: does this point have a vector named `name`? */
  hasVector(id: PointId, name: string): boolean {
    const r = this.rowOf.get(id);
    const sp = this.spaces.get(name);
    return r !== undefined && sp !== undefined && sp.rows.spaceRow(r) >= 0;
  }

  /** Ids in Qdrant's scroll order (cached until the next insert or delete). */
  sortedIds(): PointId[] {
    if (!this.sorted) this.sorted = this.ids.slice().sort(compareIds);
    return this.sorted;
  }

  /** A copy of the state for a snapshot, taken in one go (payload objects and sparse vectors are shared: they are never mutated). */
  freeze(): FrozenCollection {
    const f: FrozenCollection = {
      name: this.name, dim: this.dim, distance: this.plain ? this.distance : "Dot", lastOp: this.lastOp, count: this.count,
      indexes: structuredClone(this.indexes),
      ids: this.ids.slice(), payloads: this.payloads.slice(), versions: this.versions.slice(),
      vectors: this.plain ? this.plain.vectors.copy() : new Float32Array(0),
    };
    if (!this.plain) f.named = this.ids.map((_, r) => this.vectorsOf(r));
    return f;
  }

  /** Rows whose point passes `pred`, ascending. */
  rowsWhere(pred: Predicate): Int32Array {
    const n = this.count;
    const out = new Int32Array(n);
    let m = 0;
    for (let r = 0; r < n; r++) if (pred(this.payloads[r]!, this.ids[r]!, this)) out[m++] = r;
    return out.subarray(0, m);
  }

  /** The ids a selector names that exist now (filters are evaluated now). */
  select(sel: Selector): PointId[] {
    if ("ids" in sel) return sel.ids.filter((id) => this.rowOf.has(id));
    const pred = this.compile(sel.filter, sel.paths !== 2);
    if (!pred) return this.ids.slice();
    return Array.from(this.rowsWhere(pred), (r) => this.ids[r]!);
  }

  /**
   * A copy of dense space `name`'s rows in the other kind of storage: a file
   * in `dir` (`onDisk`) or wasm memory. Nothing of the collection changes
   * until {@link commitMove}; the copy is thrown away with `dispose` when the
   * move is abandoned. @throws StoreError when the file cannot be made or written.
   */
  prepareMove(name: string, onDisk: boolean, dir: string): VectorStorage {
    const sp = this.denseSpace(name)!;
    const from = sp.vectors;
    const o = { dim: from.dim, distance: from.distance, kernels: this.kernels };
    const to: VectorStorage = onDisk ? new DiskVectors({ ...o, path: join(dir, vectorsFile(name)) }) : new DenseVectors(o);
    try {
      to.reserve(from.count);
      const dim = from.dim;
      from.forEachBlock((start, n, m) => {
        const rows = m.view();
        for (let i = 0; i < n; i++) to.set(start + i, rows.subarray(i * dim, (i + 1) * dim));
      });
      to.flush();
      if (from.quantized) to.quantized = new QuantizedState(from.quantized.config); // codes are derived: rebuilt by the next search
      return to;
    } catch (e) {
      to.dispose();
      throw e;
    }
  }

  /** Swap in the storage {@link prepareMove} filled (no write came between) and give the old one back. */
  commitMove(name: string, to: VectorStorage): void {
    const sp = this.denseSpace(name)!;
    const from = sp.vectors;
    sp.vectors = to;
    sp.rows.storage = to;
    sp.config.on_disk = to.onDisk; // Qdrant answers a false it was given, too
    from.dispose();
  }

  /** Make room for `rows` points in every dense space. */
  reserve(rows: number): void {
    for (const sp of this.spaces.values()) if (sp.kind === "dense") sp.vectors.reserve(rows);
  }

  /** Make room for the dense rows `ops` may add (what can fail while applying: engine/prepare.ts). */
  reserveFor(ops: Op[]): void {
    const add = new Map<string, number>();
    const bump = (name: string) => add.set(name, (add.get(name) ?? 0) + 1);
    for (const op of ops) {
      if (op.type === "upsert" && !op.named) for (const id of op.ids) if (!this.rowOf.has(id)) bump("");
      if ((op.type === "upsert" || op.type === "update_vectors") && op.named) for (const pv of op.named) for (const name of Object.keys(pv)) bump(name);
    }
    for (const [name, n] of add) {
      const sp = this.denseSpace(name);
      if (sp) sp.vectors.reserve(sp.vectors.count + n);
    }
  }

  /** Apply validated operations as operation number `opId`. Never throws on validated input. */
  apply(ops: Op[], opId: number): void {
    for (const op of ops) {
      if (op.type === "upsert") this.upsert(op, opId);
      else if (op.type === "delete") for (const id of this.select(op.sel)) this.remove(id);
      else if (op.type === "update_vectors") {
        const keep = op.when ? this.compile(op.when.filter, false) : null;
        op.ids.forEach((id, i) => {
          const r = this.rowOf.get(id);
          if (r === undefined) return; // checked at the request; a replayed record meets the same state
          if (keep && !keep(this.payloads[r]!, id, this)) return; // update_filter: an existing point it does not keep stays as it is
          this.setVectors(r, op.named[i]!, false);
          this.versions[r] = opId;
        });
      } else if (op.type === "delete_vectors") {
        for (const id of this.select(op.sel)) {
          const r = this.rowOf.get(id)!;
          for (const name of op.names) this.spaces.get(name)?.rows.release(r);
          this.versions[r] = opId;
        }
      } else {
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
    this.flush(); // on disk: the rows of this operation go to the file now
    this.lastOp = Math.max(this.lastOp, opId);
  }

  /** Put every dense space's rows where they are kept (a file's write buffer; nothing in memory). */
  private flush(): void {
    for (const sp of this.spaces.values()) if (sp.kind === "dense") sp.vectors.flush();
  }

  /** Bulk-load rows read from a snapshot, keeping their versions. */
  restore(ids: PointId[], vectors: Float32Array, payloads: Payload[], versions: number[], named?: PointVectors[]): void {
    this.upsert({ type: "upsert", ids, vectors, payloads, ...(named ? { named } : {}) }, 0);
    for (let i = 0; i < ids.length; i++) this.versions[this.rowOf.get(ids[i]!)!] = versions[i]!;
    this.flush();
  }

  /** Write a point's vectors: those in `pv`; with `whole`, the point loses every other one. */
  private setVectors(r: number, pv: PointVectors, whole: boolean): void {
    for (const [name, sp] of this.spaces) {
      const v = pv[name];
      if (v === undefined) {
        if (whole) sp.rows.release(r);
        continue;
      }
      const s = sp.rows.claim(r);
      if (sp.kind === "dense") sp.vectors.set(s, v as Float32Array);
      else if (sp.kind === "multi") sp.vectors.set(s, v as MultiVector);
      else sp.vectors.set(s, v as SparseVector);
    }
  }

  /**
   * Which of an upsert's points it writes (all without a condition), judged
   * on the state before it, as Qdrant resolves a conditional upsert.
   */
  private written(op: Extract<Op, { type: "upsert" }>): boolean[] | null {
    const c = op.when;
    if (!c) return null;
    const pred = c.filter === undefined ? null : this.compile(c.filter, false);
    return op.ids.map((id) => {
      const r = this.rowOf.get(id);
      if (r === undefined) return c.mode !== "update_only";
      return c.mode !== "insert_only" && (!pred || pred(this.payloads[r]!, id, this));
    });
  }

  private upsert(op: Extract<Op, { type: "upsert" }>, opId: number): void {
    const write = this.written(op);
    const plain = op.named ? null : this.denseSpace("")!;
    if (plain) {
      let fresh = 0;
      for (const id of op.ids) if (!this.rowOf.has(id)) fresh++;
      plain.vectors.reserve(plain.vectors.count + fresh);
    }
    const dim = plain?.vectors.dim ?? 0;
    for (let i = 0; i < op.ids.length; i++) {
      if (write && !write[i]) continue;
      const id = op.ids[i]!;
      let r = this.rowOf.get(id);
      if (r === undefined) {
        r = this.ids.length;
        this.rowOf.set(id, r);
        this.ids.push(id);
        for (const sp of this.spaces.values()) sp.rows.added(r);
        this.sorted = null;
      }
      if (plain) {
        plain.vectors.set(plain.rows.claim(r), op.vectors.subarray(i * dim, (i + 1) * dim));
        // a point written with only the unnamed vector has no other
        if (!this.plain) for (const sp of this.spaces.values()) if (sp !== plain) sp.rows.release(r);
      } else this.setVectors(r, op.named![i]!, true);
      this.payloads[r] = op.payloads[i] ?? {};
      this.versions[r] = opId;
    }
  }

  private remove(id: PointId): void {
    const r = this.rowOf.get(id);
    if (r === undefined) return;
    const last = this.ids.length - 1;
    for (const sp of this.spaces.values()) sp.rows.release(r);
    if (r !== last) {
      const moved = this.ids[last]!;
      this.ids[r] = moved;
      this.payloads[r] = this.payloads[last]!;
      this.versions[r] = this.versions[last]!;
      this.rowOf.set(moved, r);
    }
    for (const sp of this.spaces.values()) sp.rows.movedPoint(last, r);
    this.ids.length = last;
    this.payloads.length = last;
    this.versions.length = last;
    this.rowOf.delete(id);
    this.sorted = null;
  }

  /** Give the wasm blocks back (the collection is unusable afterwards). */
  dispose(): void {
    for (const sp of this.spaces.values()) if (sp.kind === "dense") sp.vectors.dispose();
  }
}
