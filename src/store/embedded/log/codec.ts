/**
 * Operations and snapshots as framed records (frames.ts). A log record is
 * one request: `{ op, ops: [...] }`, with every upsert's vectors in the
 * record's f32 section (`off` counts floats). Selectors are logged as
 * given, filters included; replay re-evaluates them on the same state.
 * A snapshot is: a header record, data records of up to 65,536 points
 * `{ ids, payloads, versions }` + vectors, and an end record `{ end, count }`;
 * without its end record a snapshot is not valid.
 */

import { encodeFrame, type DecodedRecord } from "./frames.js";
import type { FrozenCollection, Op, Payload, PointId } from "./records.js";

/** Points per snapshot record. */
export const SNAPSHOT_CHUNK = 65536;

/** One framed log record for operation number `opId`. */
export function encodeOps(opId: number, ops: Op[], dim: number): Buffer {
  let floats = 0;
  for (const op of ops) if (op.type === "upsert") floats += op.ids.length * dim;
  const vectors = new Float32Array(floats);
  let off = 0;
  const out = ops.map((op) => {
    if (op.type !== "upsert") return op;
    vectors.set(op.vectors, off);
    const rec = { type: "upsert", ids: op.ids, payloads: op.payloads, off };
    off += op.ids.length * dim;
    return rec;
  });
  return encodeFrame({ op: opId, ops: out }, vectors);
}

/** The operations of a decoded log record. */
export function decodeOps(rec: DecodedRecord, dim: number): { opId: number; ops: Op[] } {
  const h = rec.header as { op: number; ops: Array<Record<string, unknown>> };
  const ops = h.ops.map((o) => {
    if (o.type !== "upsert") return o as unknown as Op;
    const ids = o.ids as PointId[];
    const off = o.off as number;
    return {
      type: "upsert",
      ids,
      payloads: o.payloads as (Payload | null)[],
      vectors: rec.vectors.subarray(off, off + ids.length * dim),
    } as Op;
  });
  return { opId: h.op, ops };
}

/** The records of a snapshot of a frozen collection, in order. */
export function* snapshotFrames(col: FrozenCollection): Generator<Buffer> {
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
