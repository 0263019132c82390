/**
 * Operations built and checked before anything is logged: the one vector
 * reader (size, f32 values, Cosine rows normalized), upserts from typed
 * arrays, and the points a payload operation names (the size limit is the
 * whole request's: prepare.ts). A bad point anywhere rejects the whole request.
 */

import { scaleToUnit } from "../../../kernels/unit-vector.js";
import type { Op, Payload, PointId } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { notFound, show, wrongInput } from "./errors.js";
import { parseId } from "./ids.js";
import { checkValue, f32 } from "./limits.js";
import { parsePayload } from "./paths.js";
import { convertTo, type Datatype } from "./datatype.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What a vector is checked against (its datatype: float32 when not given). */
type VectorSpace = Pick<Collection, "name" | "dim" | "distance"> & { datatype?: Datatype };

/**
 * One vector (a JSON array, `{"": [...]}`, or typed values), checked against
 * the collection (right size, finite values), normalized for Cosine,
 * converted to the space's datatype (engine/datatype.ts), written
 * into `out` at `at`. @throws EngineError (wrong input) naming `where`.
 */
export function readVector(col: VectorSpace, v: unknown, where: string, out: Float32Array, at: number): void {
  if (isObject(v) && !(v instanceof Float32Array) && Object.keys(v).length === 1 && "" in v) v = v[""];
  if (isObject(v) && !(v instanceof Float32Array)) {
    const names = Object.keys(v).map((k) => `"${k}"`).join(", ");
    throw wrongInput(`${where}: named vectors (${names}) are not supported by the embedded store; collection ${col.name} has one unnamed vector, so pass "vector": [ ... ]`);
  }
  if (!Array.isArray(v) && !(v instanceof Float32Array)) throw wrongInput(`${where} must be an array of ${col.dim} numbers, got ${show(v)}`);
  const xs = v as ArrayLike<unknown>;
  const typed = v instanceof Float32Array;
  if (xs.length !== col.dim) throw wrongInput(`Vector dimension error: expected dim: ${col.dim}, got ${xs.length} (at ${where})`);
  for (let d = 0; d < xs.length; d++) {
    const v = xs[d];
    let x: number;
    if (!typed) x = f32(v, `${where}[${d}]`); // a JSON number: it must round to a finite f32
    else if (Number.isFinite(v)) x = v as number; // already an f32
    else throw wrongInput(`${where}[${d}] must be a finite number, got ${show(v)}`);
    out[at + d] = x;
  }
  if (col.distance === "Cosine") scaleToUnit(out, at, xs.length);
  convertTo(col.datatype, out, at, xs.length, where); // float16, uint8: as Qdrant stores (and scores) them
}

/** An upsert from typed arrays (the in-process API): ids checked, every row through {@link readVector}, on a copy. */
export function rowsOp(col: Collection, rawIds: unknown[], vectors: Float32Array, rawPayloads: unknown[] | undefined, where: string): Op {
  if (!col.isPlain) throw wrongInput(`${where}: collection ${col.name} has named or sparse vectors; upsert its points with PUT /collections/${col.name}/points and "vector": {"name": ...}`);
  const dim = col.dim;
  const ids = rawIds.map((id, i) => parseId(id, `${where}.ids[${i}]`));
  if (vectors.length !== ids.length * dim) {
    throw wrongInput(`${where}: ${ids.length} ids need ${ids.length * dim} vector values (size ${dim}), got ${vectors.length}`);
  }
  if (rawPayloads && rawPayloads.length !== ids.length) throw wrongInput(`${where}: payloads must be one per id, got ${rawPayloads.length} for ${ids.length} ids`);
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < ids.length; i++) readVector(col, vectors.subarray(i * dim, (i + 1) * dim), `${where}.vectors[${i}]`, out, i * dim);
  // checked before the copy: structuredClone itself recurses
  rawPayloads?.forEach((p, i) => checkValue(p, `${where}.payloads[${i}]`, { finite: true }));
  const payloads = ids.map((_, i) => parsePayload(rawPayloads ? structuredClone(rawPayloads[i]) : null, `${where}.payloads[${i}]`));
  return { type: "upsert", ids, vectors: out, payloads };
}

/** Qdrant refuses a payload or vectors operation that names points that do not exist (upserts earlier in the same request count). */
export function checkPayloadTargets(col: Collection, ops: Op[]): void {
  const added = new Set<PointId>();
  for (const op of ops) {
    // an update_only upsert adds no point (the others insert every new one, whatever their filter)
    if (op.type === "upsert") {
      if (op.when?.mode !== "update_only") for (const id of op.ids) added.add(id);
    }
    else if (op.type === "delete" && "ids" in op.sel) for (const id of op.sel.ids) added.delete(id);
    else if (op.type === "update_vectors") {
      for (const id of op.ids) if (!col.has(id) && !added.has(id)) throw notFound(`No point with id ${id} found`);
    } else if (op.type !== "delete" && "ids" in op.sel) {
      for (const id of op.sel.ids) if (!col.has(id) && !added.has(id)) throw notFound(`No point with id ${id} found`);
    }
  }
}
