/**
 * Request bodies of the write endpoints, checked whole and turned into the
 * engine's operations (`Op`) before anything is logged or applied: a bad
 * point anywhere in a request rejects the whole request.
 */

import { show } from "../engine/errors.js";
import { parseId, parseIds } from "../engine/ids.js";
import { parsePath, parsePayload } from "../engine/paths.js";
import { readVector } from "../engine/points.js";
import { type Op, type Payload, type PointId, type Selector, UPSERT_MODES, type UpsertCondition, type UpsertMode } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { compileFilter } from "./filter.js";
import { depthOf, MAX_DEPTH } from "../engine/limits.js";
import { parseDeleteNames, parseUpdateVectors, readBatchVectors, readPointVectors } from "./vectors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * An upsert body's `update_filter` and `update_mode`, as Qdrant reads them
 * (src/common/update.rs): a filter makes the upsert conditional in any mode;
 * without one, `insert_only` and `update_only` still are (every existing
 * point passes the missing filter) and `upsert` is a plain upsert.
 */
function parseCondition(body: Record<string, unknown>, where: string): UpsertCondition | undefined {
  const f = body.update_filter;
  const m = body.update_mode;
  if (m !== undefined && m !== null && !UPSERT_MODES.includes(m as UpsertMode)) {
    throw badRequest(`${where}.update_mode ${show(m)} is unknown. Should be one of: ${UPSERT_MODES.map((x) => `"${x}"`).join(", ")}`);
  }
  const mode = (m ?? "upsert") as UpsertMode;
  if (f !== undefined && f !== null) return { mode, filter: checked(f, `${where}.update_filter`) };
  return mode === "upsert" ? undefined : { mode };
}

/** The body of PUT /points, or an upsert operation of /points/batch: `{ points: [...] }` or `{ batch: {...} }`, with its condition. */
export function parseUpsert(col: Collection, body: Record<string, unknown>, where: string): Op {
  const op = parseUpsertPoints(col, body, where);
  const when = parseCondition(body, where);
  return when && op.type === "upsert" ? { ...op, when } : op;
}

function parseUpsertPoints(col: Collection, body: Record<string, unknown>, where: string): Op {
  if (!col.isPlain) return parseNamedUpsert(col, body, where);
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

/** An upsert into a collection with named or sparse vectors: each point carries the vectors it lists. */
function parseNamedUpsert(col: Collection, body: Record<string, unknown>, where: string): Op {
  if (Array.isArray(body.points)) {
    const pts = body.points;
    const ids: PointId[] = [];
    const payloads: (Payload | null)[] = [];
    const named = pts.map((p, i) => {
      const w = `${where}.points[${i}]`;
      if (!isObject(p)) throw badRequest(`${w} must be {"id", "vector", "payload"}, got ${show(p)}`);
      ids.push(parseId(p.id, `${w}.id`));
      payloads.push(parsePayload(p.payload, `${w}.payload`));
      return p.vector === undefined || p.vector === null ? {} : readPointVectors(col, p.vector, `${w}.vector`);
    });
    return { type: "upsert", ids, vectors: new Float32Array(0), payloads, named };
  }
  if (isObject(body.batch)) {
    const b = body.batch;
    const ids = parseIds(b.ids, `${where}.batch.ids`);
    const named = b.vectors === undefined || b.vectors === null ? ids.map(() => ({})) : readBatchVectors(col, b.vectors, ids.length, `${where}.batch.vectors`);
    let payloads: (Payload | null)[] = ids.map(() => null);
    if (b.payloads !== undefined && b.payloads !== null) {
      if (!Array.isArray(b.payloads) || b.payloads.length !== ids.length) throw badRequest(`${where}.batch.payloads must be a list of ${ids.length} payloads, one per id`);
      payloads = b.payloads.map((p, i) => parsePayload(p, `${where}.batch.payloads[${i}]`));
    }
    return { type: "upsert", ids, vectors: new Float32Array(0), payloads, named };
  }
  throw badRequest(`${where} must hold "points": [{"id", "vector", "payload"}, ...] or "batch": {"ids", "vectors", "payloads"}`);
}

/** `{ points: [...] }` or `{ filter: {...} }` (points may also be the legacy `{ points: { filter } }`). */
export function parseSelector(body: Record<string, unknown>, where: string): Selector {
  let pts = body.points;
  if (isObject(pts) && "filter" in pts) return { filter: checked(pts.filter, `${where}.points.filter`), paths: 2 };
  if (isObject(pts) && Array.isArray(pts.points)) pts = pts.points;
  if (pts !== undefined && pts !== null) return { ids: parseIds(pts, `${where}.points`) };
  if (body.filter !== undefined && body.filter !== null) return { filter: checked(body.filter, `${where}.filter`), paths: 2 };
  throw badRequest(`${where} must select points with "points": [ids] or "filter": {...}`);
}

function checked(filter: unknown, where: string): unknown {
  compileFilter(filter, where);
  return filter;
}

/** A payload operation's body (set / overwrite / delete keys / clear). */
export function parsePayloadOp(kind: Exclude<Op["type"], "upsert" | "delete" | "update_vectors" | "delete_vectors">, body: Record<string, unknown>, where: string): Op {
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
  delete_payload: "delete_payload", clear_payload: "clear_payload", update_vectors: "update_vectors", delete_vectors: "delete_vectors",
};

/** The body of POST /points/vectors/delete, or a batch's `delete_vectors`. */
export function parseDeleteVectors(col: Collection, body: Record<string, unknown>, where: string): Op {
  const sel = parseSelector(body, where);
  return { type: "delete_vectors", sel, names: parseDeleteNames(col, body, where) };
}

/** The body of POST /points/batch: `{ operations: [{ upsert: {...} }, { delete: {...} }, ...] }`. */
export function parseBatch(col: Collection, body: Record<string, unknown>): Op[] {
  if (!Array.isArray(body.operations)) throw badRequest(`the body must hold "operations": [{"upsert": ...}, {"delete": ...}, ...]`);
  return body.operations.map((o, i) => {
    const where = `operations[${i}]`;
    const keys = isObject(o) ? Object.keys(o) : [];
    const kind = keys.length === 1 ? BATCH_KINDS[keys[0]!] : undefined;
    if (!isObject(o) || !kind || !isObject(o[keys[0]!])) {
      throw badRequest(`${where} must be one of {"upsert"|"delete"|"set_payload"|"overwrite_payload"|"delete_payload"|"clear_payload"|"update_vectors"|"delete_vectors": {...}}, got ${show(o)}`);
    }
    const inner = o[keys[0]!] as Record<string, unknown>;
    if (kind === "upsert") return parseUpsert(col, inner, `${where}.upsert`);
    if (kind === "delete") return { type: "delete", sel: parseSelector(inner, `${where}.delete`) };
    if (kind === "update_vectors") return parseUpdateVectors(col, inner, `${where}.update_vectors`);
    if (kind === "delete_vectors") return parseDeleteVectors(col, inner, `${where}.delete_vectors`);
    return parsePayloadOp(kind, inner, `${where}.${kind}`);
  });
}
