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

/** Which points an operation touches: listed ids, or those a filter selects (raw JSON, logged as sent). */
export type Selector = { ids: PointId[] } | { filter: unknown };

/** A validated write; the unit of the log (one request is a list of them, logged as one record). */
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

/** What recovery rebuilds: a snapshot is loaded into it, then the logs are replayed onto it. */
export interface Replica {
  readonly name: string;
  readonly dim: number;
  readonly count: number;
  lastOp: number;
  indexes: Record<string, unknown>;
  /** Make room for this many rows. */
  reserve(rows: number): void;
  /** Bulk-load rows read from a snapshot, with their versions. */
  restore(ids: PointId[], vectors: Float32Array, payloads: Payload[], versions: number[]): void;
  /** Apply one logged request as operation number `opId`. */
  apply(ops: Op[], opId: number): void;
  /** A copy of the state, for a snapshot. */
  freeze(): FrozenCollection;
}
