/**
 * Operations and snapshots as framed records (frames.ts). A log record is
 * one request: `{ op, ops: [...] }`, with every upsert's vectors in the
 * record's f32 section (`off` counts floats). Selectors are logged as
 * given, filters included, and so is an upsert's or update_vectors'
 * condition (`when`: update_filter, update_mode); replay re-evaluates them
 * on the same state.
 * A snapshot is: a header record, data records of up to 65,536 points
 * `{ ids, payloads, versions }` + vectors, and an end record `{ end, count }`;
 * without its end record a snapshot is not valid.
 *
 * Shape 2 (collections with named or sparse vectors): an upsert or
 * update_vectors record lists each point's vectors as `vs: [[name, off,
 * length] | [name, off, indices], ...]` (a dense row, or a sparse vector's
 * indices with its values at `off`); a snapshot header says `snapshot: 2`
 * and its data records carry `vs` the same way. Records and snapshots of
 * shape 1 are still read (and still written for single-vector collections
 * without sparse vectors, so their folders stay readable by older code).
 */

import { encodeFrame, type DecodedRecord } from "./frames.js";
import { type FrozenCollection, MultiVector, type Op, type Payload, type PointId, type PointVectors, type SparseVector } from "./records.js";

/**
 * One vector of a point in a shape-2 record: a dense row at `off`, a sparse
 * vector's indices with its values at `off`, or a multivector's `length`
 * values at `off` with its `dim` as a fourth element (records before
 * multivectors never have one, so they read as they did).
 */
type VectorEntry = [name: string, off: number, lengthOrIndices: number | number[], dim?: number];

/** Floats the vectors of these points take in the f32 section. */
function floatsOf(pvs: PointVectors[]): number {
  let n = 0;
  for (const pv of pvs) for (const v of Object.values(pv)) n += v instanceof Float32Array ? v.length : v instanceof MultiVector ? v.data.length : v.values.length;
  return n;
}

/** Write the points' vectors into `f32` from `off`; their entries, and the offset after them. */
function encodeVectors(pvs: PointVectors[], f32: Float32Array, off: number): { vs: VectorEntry[][]; off: number } {
  const vs = pvs.map((pv) =>
    Object.entries(pv).map(([name, v]): VectorEntry => {
      const at = off;
      if (v instanceof Float32Array) {
        f32.set(v, off);
        off += v.length;
        return [name, at, v.length];
      }
      if (v instanceof MultiVector) {
        f32.set(v.data, off);
        off += v.data.length;
        return [name, at, v.data.length, v.dim];
      }
      f32.set(v.values, off);
      off += v.values.length;
      return [name, at, Array.from(v.indices)];
    }),
  );
  return { vs, off };
}

/** The points' vectors back from their entries (copies: the record's buffer is not kept). */
function decodeVectors(vs: VectorEntry[][], f32: Float32Array): PointVectors[] {
  return vs.map((entries) => {
    const pv: PointVectors = {};
    for (const [name, off, li, dim] of entries) {
      if (typeof li === "number" && dim !== undefined) pv[name] = new MultiVector(dim, f32.slice(off, off + li));
      else if (typeof li === "number") pv[name] = f32.slice(off, off + li);
      else pv[name] = { indices: Uint32Array.from(li), values: f32.slice(off, off + li.length) } satisfies SparseVector;
    }
    return pv;
  });
}

/** An upsert's or update_vectors' condition, as the record's `when` (absent when there is none). */
function when(op: { when?: unknown }): { when?: unknown } {
  return op.when === undefined ? {} : { when: op.when };
}

/** Points per snapshot record. */
export const SNAPSHOT_CHUNK = 65536;

/** One framed log record for operation number `opId`. */
export function encodeOps(opId: number, ops: Op[], dim: number): Buffer {
  let floats = 0;
  for (const op of ops) {
    if (op.type === "upsert" && !op.named) floats += op.ids.length * dim;
    else if (op.type === "upsert" || op.type === "update_vectors") floats += floatsOf(op.named!);
  }
  const vectors = new Float32Array(floats);
  let off = 0;
  const out = ops.map((op) => {
    if (op.type === "upsert" && op.named) {
      const e = encodeVectors(op.named, vectors, off);
      off = e.off;
      return { type: "upsert", ids: op.ids, payloads: op.payloads, vs: e.vs, ...when(op) };
    }
    if (op.type === "update_vectors") {
      const e = encodeVectors(op.named, vectors, off);
      off = e.off;
      return { type: "update_vectors", ids: op.ids, vs: e.vs, ...when(op) };
    }
    if (op.type !== "upsert") return op;
    vectors.set(op.vectors, off);
    const rec = { type: "upsert", ids: op.ids, payloads: op.payloads, off, ...when(op) };
    off += op.ids.length * dim;
    return rec;
  });
  return encodeFrame({ op: opId, ops: out }, vectors);
}

/** The vectors of a shape-2 snapshot data record (undefined for shape 1). */
export function snapshotVectors(rec: DecodedRecord): PointVectors[] | undefined {
  const vs = rec.header.vs;
  return Array.isArray(vs) ? decodeVectors(vs as VectorEntry[][], rec.vectors) : undefined;
}

/** The operations of a decoded log record. */
export function decodeOps(rec: DecodedRecord, dim: number): { opId: number; ops: Op[] } {
  const h = rec.header as { op: number; ops: Array<Record<string, unknown>> };
  const ops = h.ops.map((o) => {
    if (o.type === "update_vectors") return { type: "update_vectors", ids: o.ids as PointId[], named: decodeVectors(o.vs as VectorEntry[][], rec.vectors), ...when(o) } as Op;
    if (o.type === "upsert" && Array.isArray(o.vs)) {
      return { type: "upsert", ids: o.ids as PointId[], payloads: o.payloads as (Payload | null)[], vectors: new Float32Array(0), named: decodeVectors(o.vs as VectorEntry[][], rec.vectors), ...when(o) } as Op;
    }
    if (o.type !== "upsert") return o as unknown as Op;
    const ids = o.ids as PointId[];
    const off = o.off as number;
    return {
      type: "upsert",
      ids,
      payloads: o.payloads as (Payload | null)[],
      vectors: rec.vectors.subarray(off, off + ids.length * dim),
      ...when(o),
    } as Op;
  });
  return { opId: h.op, ops };
}

/** The records of a snapshot of a frozen collection, in order. */
export function* snapshotFrames(col: FrozenCollection): Generator<Buffer> {
  if (col.named) {
    yield encodeFrame({ snapshot: 2, name: col.name, lastOp: col.lastOp, count: col.count, indexes: col.indexes });
    for (let start = 0; start < col.count; start += SNAPSHOT_CHUNK) {
      const end = Math.min(col.count, start + SNAPSHOT_CHUNK);
      const pvs = col.named.slice(start, end);
      const f32 = new Float32Array(floatsOf(pvs));
      const { vs } = encodeVectors(pvs, f32, 0);
      yield encodeFrame({ ids: col.ids.slice(start, end), payloads: col.payloads.slice(start, end), versions: col.versions.slice(start, end), vs }, f32);
    }
    yield encodeFrame({ end: true, count: col.count });
    return;
  }
  yield encodeFrame({
    snapshot: 1, name: col.name, dim: col.dim, distance: col.distance,
    lastOp: col.lastOp, count: col.count, indexes: col.indexes,
  });
  const dim = col.dim;
  for (let start = 0; start < col.count; start += SNAPSHOT_CHUNK) {
    const end = Math.min(col.count, start + SNAPSHOT_CHUNK);
    yield encodeFrame(
      { ids: col.ids.slice(start, end), payloads: col.payloads.slice(start, end), versions: col.versions.slice(start, end) },
      col.vectors.subarray(start * dim, end * dim),
    );
  }
  yield encodeFrame({ end: true, count: col.count });
}
