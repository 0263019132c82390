/**
 * Request bodies of the write endpoints, checked whole and turned into
 * operations (collection.ts `Op`) before anything is logged or applied:
 * a bad point anywhere in a request rejects the whole request.
 */

import type { Collection, Op, Selector } from "./collection.js";
import { badRequest, notFound, show } from "./errors.js";
import { compileFilter } from "./filter.js";
import { type PointId, parseId, parseIds } from "./ids.js";
import { checkValue, depthOf, f32, MAX_DEPTH } from "./limits.js";
import { type Payload, parsePath, parsePayload } from "./payload.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One vector, checked against the collection (finite, right size), normalized for Cosine, written into `out` at `at`. */
export function readVector(col: Collection, v: unknown, where: string, out: Float32Array, at: number): void {
  if (isObject(v) && Object.keys(v).length === 1 && "" in v) v = v[""];
  if (isObject(v)) {
    const names = Object.keys(v).map((k) => `"${k}"`).join(", ");
    throw badRequest(`${where}: named vectors (${names}) are not supported by the embedded store; collection ${col.name} has one unnamed vector, so pass "vector": [ ... ]`);
  }
  if (!Array.isArray(v)) throw badRequest(`${where} must be an array of ${col.dim} numbers, got ${show(v)}`);
  if (v.length !== col.dim) throw badRequest(`Vector dimension error: expected dim: ${col.dim}, got ${v.length} (at ${where})`);
  let norm = 0;
  for (let d = 0; d < v.length; d++) {
    const x = f32(v[d], `${where}[${d}]`);
    out[at + d] = x;
    norm += x * x;
  }
  if (col.distance === "Cosine" && norm > 0) {
    const s = 1 / Math.sqrt(norm);
    for (let d = 0; d < v.length; d++) out[at + d] = out[at + d]! * s;
  }
}

/** The body of PUT /points, or an upsert operation of /points/batch: `{ points: [...] }` or `{ batch: {...} }`. */
export function parseUpsert(col: Collection, body: Record<string, unknown>, where: string): Op {
  const dim = col.dim;
  if (Array.isArray(body.points)) {
    const pts = body.points;
    const ids: PointId[] = new Array(pts.length);
    const payloads: (Payload | null)[] = new Array(pts.length);
    const vectors = new Float32Array(pts.length * dim);
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i];
      const w = `${where}.points[${i}]`;
      if (!isObject(p)) throw badRequest(`${w} must be {"id", "vector", "payload"}, got ${show(p)}`);
      ids[i] = parseId(p.id, `${w}.id`);
      if (p.vector === undefined) throw badRequest(`${w} has no "vector"; every point needs a vector of ${dim} numbers`);
      readVector(col, p.vector, `${w}.vector`, vectors, i * dim);
      payloads[i] = parsePayload(p.payload, `${w}.payload`);
    }
    return { type: "upsert", ids, vectors, payloads };
  }
  if (isObject(body.batch)) {
    const b = body.batch;
    const ids = parseIds(b.ids, `${where}.batch.ids`);
    let vs = b.vectors;
    if (isObject(vs) && Object.keys(vs).length === 1 && "" in vs) vs = vs[""];
    if (!Array.isArray(vs) || vs.length !== ids.length) {
      throw badRequest(`${where}.batch.vectors must be a list of ${ids.length} vectors, one per id, got ${Array.isArray(vs) ? `${vs.length} vectors` : show(vs)}`);
    }
    const vectors = new Float32Array(ids.length * dim);
    for (let i = 0; i < ids.length; i++) readVector(col, vs[i], `${where}.batch.vectors[${i}]`, vectors, i * dim);
    let payloads: (Payload | null)[] = ids.map(() => null);
    if (b.payloads !== undefined && b.payloads !== null) {
      if (!Array.isArray(b.payloads) || b.payloads.length !== ids.length) {
        throw badRequest(`${where}.batch.payloads must be a list of ${ids.length} payloads, one per id`);
      }
      payloads = b.payloads.map((p, i) => parsePayload(p, `${where}.batch.payloads[${i}]`));
    }
    return { type: "upsert", ids, vectors, payloads };
  }
  throw badRequest(`${where} must hold "points": [{"id", "vector", "payload"}, ...] or "batch": {"ids", "vectors", "payloads"}`);
}

/** An upsert from typed arrays (the in-process API): ids checked, values finite, Cosine rows normalized, on a copy. */
export function vectorsOp(col: Collection, rawIds: unknown[], vectors: Float32Array, rawPayloads: unknown[] | undefined, where: string): Op {
  const dim = col.dim;
  const ids = rawIds.map((id, i) => parseId(id, `${where}.ids[${i}]`));
  if (vectors.length !== ids.length * dim) {
    throw badRequest(`${where}: ${ids.length} ids need ${ids.length * dim} vector values (size ${dim}), got ${vectors.length}`);
  }
  if (rawPayloads && rawPayloads.length !== ids.length) throw badRequest(`${where}: payloads must be one per id, got ${rawPayloads.length} for ${ids.length} ids`);
  const out = Float32Array.from(vectors);
  for (let i = 0; i < ids.length; i++) {
    let norm = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) {
      const x = out[d]!;
      if (!Number.isFinite(x)) throw badRequest(`${where}.vectors[${i}][${d - i * dim}] must be a finite number, got ${x}`);
      norm += x * x;
    }
    if (col.distance === "Cosine" && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let d = i * dim; d < (i + 1) * dim; d++) out[d] = out[d]! * s;
    }
  }
  // checked before the copy: structuredClone itself recurses
  rawPayloads?.forEach((p, i) => checkValue(p, `${where}.payloads[${i}]`, { finite: true }));
  const payloads = ids.map((_, i) => parsePayload(rawPayloads ? structuredClone(rawPayloads[i]) : null, `${where}.payloads[${i}]`));
  return { type: "upsert", ids, vectors: out, payloads };
}

/** `{ points: [...] }` or `{ filter: {...} }` (points may also be the legacy `{ points: { filter } }`). */
export function parseSelector(body: Record<string, unknown>, where: string): Selector {
  let pts = body.points;
  if (isObject(pts) && "filter" in pts) return { filter: checked(pts.filter, `${where}.points.filter`) };
  if (isObject(pts) && Array.isArray(pts.points)) pts = pts.points;
  if (pts !== undefined && pts !== null) return { ids: parseIds(pts, `${where}.points`) };
  if (body.filter !== undefined && body.filter !== null) return { filter: checked(body.filter, `${where}.filter`) };
  throw badRequest(`${where} must select points with "points": [ids] or "filter": {...}`);
}

function checked(filter: unknown, where: string): unknown {
  compileFilter(filter, where);
  return filter;
}

/** A payload operation's body (set / overwrite / delete keys / clear). */
export function parsePayloadOp(kind: Exclude<Op["type"], "upsert" | "delete">, body: Record<string, unknown>, where: string): Op {
  const sel = parseSelector(body, where);
  if (kind === "clear_payload") return { type: kind, sel };
  if (kind === "delete_payload") {
    if (!Array.isArray(body.keys)) throw badRequest(`${where}.keys must be a list of payload keys to delete, got ${show(body.keys)}`);
    body.keys.forEach((k, i) => parsePath(k, `${where}.keys[${i}]`));
    return { type: kind, sel, keys: body.keys as string[] };
  }
  const payload = parsePayload(body.payload, `${where}.payload`, false)!;
  if (kind === "overwrite_payload") return { type: kind, sel, payload };
  if (body.key !== undefined && body.key !== null) {
    const steps = parsePath(body.key, `${where}.key`).length;
    // the payload set at a path ends up that many levels deeper in the point's payload
    if (steps + depthOf(payload) > MAX_DEPTH) {
      throw badRequest(`${where}: a payload ${depthOf(payload)} levels deep set at key ${show(body.key)} (${steps} steps) would nest deeper than ${MAX_DEPTH} levels; flatten it`);
    }
    return { type: kind, sel, payload, key: body.key as string };
  }
  return { type: kind, sel, payload };
}

const BATCH_KINDS: Record<string, Op["type"]> = {
  upsert: "upsert", delete: "delete", set_payload: "set_payload", overwrite_payload: "overwrite_payload",
  delete_payload: "delete_payload", clear_payload: "clear_payload",
};

/** The body of POST /points/batch: `{ operations: [{ upsert: {...} }, { delete: {...} }, ...] }`. */
export function parseBatch(col: Collection, body: Record<string, unknown>): Op[] {
  if (!Array.isArray(body.operations)) throw badRequest(`the body must hold "operations": [{"upsert": ...}, {"delete": ...}, ...]`);
  return body.operations.map((o, i) => {
    const where = `operations[${i}]`;
    const keys = isObject(o) ? Object.keys(o) : [];
    const kind = keys.length === 1 ? BATCH_KINDS[keys[0]!] : undefined;
    if (!isObject(o) || !kind || !isObject(o[keys[0]!])) {
      throw badRequest(`${where} must be one of {"upsert"|"delete"|"set_payload"|"overwrite_payload"|"delete_payload"|"clear_payload": {...}}, got ${show(o)}`);
    }
    const inner = o[keys[0]!] as Record<string, unknown>;
    if (kind === "upsert") return parseUpsert(col, inner, `${where}.upsert`);
    if (kind === "delete") return { type: "delete", sel: parseSelector(inner, `${where}.delete`) };
    return parsePayloadOp(kind, inner, `${where}.${kind}`);
  });
}

/** Qdrant answers 404 when a payload operation names points that do not exist (upserts earlier in the same request count). */
export function checkPayloadTargets(col: Collection, ops: Op[]): void {
  const added = new Set<PointId>();
  for (const op of ops) {
    if (op.type === "upsert") for (const id of op.ids) added.add(id);
    else if (op.type === "delete" && "ids" in op.sel) for (const id of op.sel.ids) added.delete(id);
    else if (op.type !== "delete" && "ids" in op.sel) {
      for (const id of op.sel.ids) if (!col.has(id) && !added.has(id)) throw notFound(`No point with id ${id} found`);
    }
  }
}
