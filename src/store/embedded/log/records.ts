/**
 * What the log keeps: the shapes of its records, defined here at the bottom
 * so the log needs nothing above it. The state and the engine use these same
 * types (an operation is validated once, then logged and applied as is).
 */

// The library's one point-id type (a non-negative safe integer or a UUID string); the log keeps UUIDs canonical.
import type { PointId } from "../../../data/point-id.js";
import { DISTANCES, type Distance } from "../../../model/card.js";

export type { PointId };

/** A point's payload: a JSON object. */
export type Payload = Record<string, unknown>;

// Qdrant's distance names (as collection.json and snapshots store them): the library's one table.
export { DISTANCES, type Distance };

/**
 * Which points an operation touches: listed ids, or those a filter selects
 * (raw JSON, logged as sent, evaluated again on replay). `paths: 2` marks a
 * filter whose key paths read as Qdrant's JSON paths (the grammar with quoted
 * keys; a key steps into objects only); a filter logged without it, before
 * the store read paths so, replays with the reading of that time (keys split
 * on dots, stepping into arrays of objects too), so it selects on replay
 * exactly the points it selected when it was acknowledged.
 */
export type Selector = { ids: PointId[] } | { filter: unknown; paths?: 2 };

/** A sparse vector as stored: indices ascending and unique, one value each. */
export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

/** A multivector (Qdrant's multivector_config): `count` vectors of `dim` values, row-major in `data` (each normalized for Cosine). */
export class MultiVector {
  constructor(readonly dim: number, readonly data: Float32Array) {}

  /** How many vectors it holds. */
  get count(): number {
    return this.data.length / this.dim;
  }
}

/** A point's vectors by space name ("" is the unnamed one): dense rows (normalized for Cosine), sparse vectors or multivectors. */
export type PointVectors = Record<string, Float32Array | SparseVector | MultiVector>;

/** One dense space of a collection, as created (Qdrant's VectorParams; float16 and uint8 vectors are kept in f32 rows, converted: engine/datatype.ts). */
export interface DenseSpaceConfig {
  size: number;
  distance: Distance;
  on_disk?: boolean;
  hnsw_config?: Record<string, unknown>;
  quantization_config?: Record<string, unknown>;
  datatype?: "float32" | "float16" | "uint8";
  /** Points carry a list of vectors here, scored by `max_sim` (state/multi-vectors.ts). */
  multivector_config?: { comparator: "max_sim" };
}

/** One sparse space of a collection, as created (Qdrant's SparseVectorParams). */
export interface SparseSpaceConfig {
  index?: Record<string, unknown>;
  /** Qdrant's Modifier: "idf" weights a query's values by each index's inverse document frequency (state/sparse-vectors.ts). */
  modifier?: "none" | "idf";
}

/**
 * The vector spaces of a collection: `named` false is Qdrant's single-vector
 * mode (one dense space "", answered as a plain list), true its named mode.
 */
export interface SpacesConfig {
  named: boolean;
  dense: Record<string, DenseSpaceConfig>;
  sparse: Record<string, SparseSpaceConfig>;
}

/** Qdrant's upsert modes (update_mode): both kinds of points, only new ones, only existing ones. */
export const UPSERT_MODES = ["upsert", "insert_only", "update_only"] as const;
export type UpsertMode = (typeof UPSERT_MODES)[number];

/**
 * Qdrant's conditional upsert (Qdrant ≥ 1.16 `update_filter`, `update_mode`):
 * which of an upsert's points are written, judged on the state the operation
 * meets (engine filter language, Qdrant's path grammar). `upsert`: new points,
 * and existing ones the filter keeps; `insert_only`: new points only;
 * `update_only`: existing points the filter keeps. No filter keeps every
 * existing point. Logged as given: replay meets the same state, so it writes
 * the same points.
 */
export interface UpsertCondition {
  mode: UpsertMode;
  filter?: unknown;
}

/** A validated write; the unit of the log (one request is a list of them, logged as one record). */
export type Op =
  /**
   * Points replaced whole. Without `named`: each point has exactly the ""
   * vector, row i of `vectors`. With `named` (one per point): each point has
   * exactly the vectors listed, `vectors` is empty.
   */
  | { type: "upsert"; ids: PointId[]; vectors: Float32Array; payloads: (Payload | null)[]; named?: PointVectors[]; when?: UpsertCondition }
  /** Existing points get these vectors; their others stay. With `when`, an existing point its filter does not keep is left as it is. */
  | { type: "update_vectors"; ids: PointId[]; named: PointVectors[]; when?: { filter: unknown } }
  /** The selected points lose these vectors. */
  | { type: "delete_vectors"; sel: Selector; names: string[] }
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
  /** The "" rows, one per point (single-vector collections without sparse spaces: snapshot shape 1). */
  vectors: Float32Array;
  /** Otherwise each point's vectors (snapshot shape 2), and `vectors` is empty. */
  named?: PointVectors[];
}

/** What recovery rebuilds: a snapshot is loaded into it, then the logs are replayed onto it. */
export interface Replica {
  readonly name: string;
  readonly dim: number;
  readonly count: number;
  lastOp: number;
  indexes: Record<string, unknown>;
  /** Make room for this many rows. */
  reserve(rows: number): void;
  /** Bulk-load rows read from a snapshot, with their versions (`named`: each point's vectors, shape 2). */
  restore(ids: PointId[], vectors: Float32Array, payloads: Payload[], versions: number[], named?: PointVectors[]): void;
  /** Apply one logged request as operation number `opId`. */
  apply(ops: Op[], opId: number): void;
  /** A copy of the state, for a snapshot. */
  freeze(): FrozenCollection;
}
