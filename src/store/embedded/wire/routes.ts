/**
 * The REST endpoints: Qdrant's paths, bodies and results. Each handler gets
 * the store, the path parameters, the query string and the parsed body, and
 * returns the `result` (the server wraps it as `{ result, status, time }`).
 */

import { show } from "../engine/errors.js";
import { parseId, parseIds } from "../engine/ids.js";
import { checkPayloadTargets } from "../engine/points.js";
import { scroll as scrollPage } from "../engine/scroll.js";
import type { Engine } from "../engine/store.js";
import type { Distance } from "../log/records.js";
import { DISTANCES } from "../state/collection.js";
import { collectionAliases, listAliases, updateAliases } from "./aliases.js";
import { badRequest, notFound } from "./errors.js";
import { compileFilter } from "./filter.js";
import { parseBatch, parseDeleteVectors, parsePayloadOp, parseSelector, parseUpsert } from "./ops.js";
import { parseSpaces, spacesView } from "./spaces.js";
import { parseUpdateVectors } from "./vectors.js";
import { parseVectorsDiff } from "./spaces-update.js";
import { parseQuantizationConfig, quantizationView } from "./quantization.js";
import { parseQuery, runQuery } from "./query.js";
import { queryGroups } from "./query-groups.js";
import { matrixOffsets, matrixPairs } from "./query-matrix.js";
import { parseWithVector, pointView } from "./views.js";
import { parseWithPayload } from "./with-payload.js";
import { parsePath } from "../engine/paths.js";
import { parseFieldSchema, payloadSchema } from "./payload-schema.js";
import { refuseUnserved, validateCreate, validateFilterBody, validateQuery, validateQueryBatch, validateQueryGroups, validateUpdate, validateUpdateFilter } from "./validate.js";
import { defaultSettings, mergeSettings } from "../state/config.js";

/** What a handler receives. */
export interface Ctx {
  store: Engine;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}
export type Handler = (c: Ctx) => unknown;

/** Qdrant's server version this store answers with: the client checks major.minor against its own. */
export const QDRANT_VERSION = "1.19.0";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function wait(c: Ctx): boolean {
  const w = c.query.get("wait");
  if (w === null || w === "false") return false;
  if (w === "true") return true;
  throw badRequest(`query parameter wait must be true or false, got "${w}"`);
}

function info(c: Ctx) {
  const col = c.store.get(c.params.name!);
  const st = col.settings;
  const metadata = c.store.metadata(col.name);
  return {
    status: "green", optimizer_status: "ok", indexed_vectors_count: 0, points_count: col.count, segments_count: 1,
    config: {
      params: { ...spacesView(col), ...st.params },
      hnsw_config: st.hnsw_config, optimizer_config: st.optimizer_config, wal_config: st.wal_config,
      quantization_config: quantizationView(col.quantized?.config), strict_mode_config: st.strict_mode_config,
      ...(metadata ? { metadata } : {}),
    },
    payload_schema: payloadSchema(col),
  };
}

async function create(c: Ctx) {
  validateCreate(c.params.name!, c.body);
  refuseUnserved(c.body, false);
  const spaces = parseSpaces(c.body);
  const quantization = parseQuantizationConfig(c.body.quantization_config, "quantization_config");
  const metadata = metadataOf(c.body.metadata) ?? undefined;
  const only = spaces.dense[""];
  await c.store.createCollection(c.params.name!, only?.size ?? 0, only?.distance ?? "Dot", {
    settings: mergeSettings(defaultSettings(), c.body), quantization: quantization ?? undefined, metadata, spaces,
  });
  return true;
}

/** Qdrant's collection `metadata`: a JSON object, or null / absent for none. */
function metadataOf(m: unknown): Record<string, unknown> | null {
  if (m === undefined || m === null) return null;
  if (!isObject(m)) throw badRequest(`metadata must be a JSON object like {"model": "name"}, got ${show(m)}`);
  return m;
}

/** PATCH /collections/{name}: everything is checked before the first change is written. */
function update(c: Ctx) {
  const fc = col(c);
  validateUpdate(c.body);
  refuseUnserved(c.body, true);
  const settings = mergeSettings(fc.settings, c.body);
  const q = parseQuantizationConfig(c.body.quantization_config, "quantization_config", true);
  const m = metadataOf(c.body.metadata);
  const vectors = parseVectorsDiff(fc, c.body.vectors);
  if (q && [...fc.spaces.values()].some((sp) => sp.kind === "multi")) {
    throw badRequest(`quantization_config is not supported by the embedded store on a collection with a multivector: multivectors are scored exactly`);
  }
  c.store.setSettings(fc.name, settings);
  if (vectors) c.store.updateSpaces(fc.name, vectors);
  if (q !== undefined) c.store.setQuantization(fc.name, q);
  if (m) c.store.updateMetadata(fc.name, m);
  return true;
}

async function upsert(c: Ctx) {
  const col = c.store.get(c.params.name!);
  validateUpdateFilter(c.body);
  return c.store.write(col.name, [parseUpsert(col, c.body, "body")], wait(c));
}

function payloadOp(kind: "set_payload" | "overwrite_payload" | "delete_payload" | "clear_payload"): Handler {
  return async (c) => {
    const col = c.store.get(c.params.name!);
    const ops = [parsePayloadOp(kind, c.body, "body")];
    checkPayloadTargets(col, ops);
    return c.store.write(col.name, ops, wait(c));
  };
}

function retrieve(c: Ctx) {
  const col = c.store.get(c.params.name!);
  const ids = parseIds(c.body.ids, "ids");
  const sel = parseWithPayload(c.body.with_payload, true, "with_payload");
  const wv = parseWithVector(col, c.body, "with_vector");
  const out = [];
  for (const id of ids) {
    const r = col.row(id);
    if (r !== undefined) out.push(pointView(col, r, sel, wv));
  }
  return out;
}

function scroll(c: Ctx) {
  const col = c.store.get(c.params.name!);
  const b = c.body;
  if (b.order_by !== undefined && b.order_by !== null) throw badRequest(`order_by is not supported by the embedded store; scroll returns points in id order`);
  const limit = b.limit ?? 10;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) throw badRequest(`limit must be an integer >= 1, got ${show(limit)}`);
  validateFilterBody(b);
  const pred = compileFilter(b.filter, "filter");
  const sel = parseWithPayload(b.with_payload, true, "with_payload");
  const wv = parseWithVector(col, b, "with_vector");
  const from = b.offset !== undefined && b.offset !== null ? parseId(b.offset, "offset") : undefined;
  const { rows, next } = scrollPage(col, { filter: pred, from, limit });
  const points = rows.map((r) => pointView(col, r, sel, wv));
  return { points, next_page_offset: next };
}

function searches(c: Ctx): Record<string, unknown>[] {
  const s = c.body.searches;
  if (!Array.isArray(s) || !s.every(isObject)) throw badRequest(`the body must hold "searches": [{...}, ...], got ${show(s)}`);
  return s as Record<string, unknown>[];
}

const col = (c: Ctx) => c.store.get(c.params.name!);

/** [method, path pattern, handler]; `:x` is a path parameter. Static segments win over parameters. */
export const ROUTES: [string, string, Handler][] = [
  ["GET", "/collections", (c) => ({ collections: c.store.names().map((name) => ({ name })) })],
  ["GET", "/collections/:name", info],
  ["PUT", "/collections/:name", create],
  ["PATCH", "/collections/:name", update],
  ["POST", "/collections/aliases", (c) => updateAliases(c.store, c.body)],
  ["GET", "/aliases", (c) => listAliases(c.store)],
  ["GET", "/collections/:name/aliases", (c) => collectionAliases(c.store, c.params.name!)],
  ["DELETE", "/collections/:name", (c) => c.store.deleteCollection(c.params.name!)],
  ["GET", "/collections/:name/exists", (c) => ({ exists: c.store.has(c.params.name!) })],
  ["PUT", "/collections/:name/index", (c) => {
    const fc = col(c);
    const f = c.body.field_name;
    if (typeof f !== "string" || !f) throw badRequest(`field_name must be a payload key, got ${show(f)}`);
    parsePath(f, "field_name");
    const w = wait(c);
    c.store.setIndex(fc.name, f, parseFieldSchema(c.body.field_schema, "field_schema"));
    return { operation_id: fc.lastOp, status: w ? "completed" : "acknowledged" };
  }],
  ["DELETE", "/collections/:name/index/:field", (c) => {
    const fc = col(c);
    const w = wait(c);
    c.store.setIndex(fc.name, c.params.field!, null);
    return { operation_id: fc.lastOp, status: w ? "completed" : "acknowledged" };
  }],
  ["PUT", "/collections/:name/points", upsert],
  ["POST", "/collections/:name/points", retrieve],
  ["POST", "/collections/:name/points/delete", async (c) => {
    const fc = col(c);
    validateFilterBody(c.body);
    return c.store.write(fc.name, [{ type: "delete", sel: parseSelector(c.body, "body") }], wait(c));
  }],
  ["PUT", "/collections/:name/points/vectors", async (c) => {
    const fc = col(c);
    validateUpdateFilter(c.body);
    const ops = [parseUpdateVectors(fc, c.body, "body")];
    checkPayloadTargets(fc, ops);
    return c.store.write(fc.name, ops, wait(c));
  }],
  ["POST", "/collections/:name/points/vectors/delete", async (c) => {
    const fc = col(c);
    validateFilterBody(c.body);
    const ops = [parseDeleteVectors(fc, c.body, "body")];
    checkPayloadTargets(fc, ops);
    return c.store.write(fc.name, ops, wait(c));
  }],
  ["PUT", "/collections/:name/points/payload", payloadOp("overwrite_payload")],
  ["POST", "/collections/:name/points/payload", payloadOp("set_payload")],
  ["POST", "/collections/:name/points/payload/delete", payloadOp("delete_payload")],
  ["POST", "/collections/:name/points/payload/clear", payloadOp("clear_payload")],
  ["POST", "/collections/:name/points/batch", async (c) => {
    const fc = col(c);
    const ops = parseBatch(fc, c.body);
    checkPayloadTargets(fc, ops);
    const r = await c.store.write(fc.name, ops, wait(c));
    return ops.map(() => r);
  }],
  ["POST", "/collections/:name/points/scroll", scroll],
  ["POST", "/collections/:name/points/count", (c) => {
    const fc = col(c);
    validateFilterBody(c.body);
    const pred = compileFilter(c.body.filter, "filter");
    return { count: pred ? fc.rowsWhere(pred).length : fc.count };
  }],
  ["POST", "/collections/:name/points/query", (c) => (validateQuery(c.body), { points: runQuery(col(c), parseQuery(col(c), c.body, "body", (n) => c.store.get(n))) })],
  ["POST", "/collections/:name/points/query/batch", (c) => {
    const fc = col(c);
    validateQueryBatch(c.body);
    const plans = searches(c).map((s, i) => parseQuery(fc, s, `searches[${i}]`, (n) => c.store.get(n)));
    return plans.map((p) => ({ points: runQuery(fc, p) }));
  }],
  ["POST", "/collections/:name/points/query/groups", (c) => (validateQueryGroups(c.body), queryGroups(c.store, col(c), c.body))],
  ["POST", "/collections/:name/points/search/matrix/pairs", (c) => matrixPairs(col(c), c.body)],
  ["POST", "/collections/:name/points/search/matrix/offsets", (c) => matrixOffsets(col(c), c.body)],
  // Qdrant 1.19 removed the pre-Query-API endpoints; say so rather than answer a generic 404
  ...["search", "search/batch", "recommend", "recommend/batch", "discover", "discover/batch", "search/groups", "recommend/groups"].map(
    (old): [string, string, Handler] => ["POST", `/collections/:name/points/${old}`, () => {
      throw notFound(`POST /collections/{name}/points/${old} was removed in Qdrant 1.19, which the embedded store follows; use POST /collections/{name}/points/query${old.endsWith("batch") ? "/batch" : old.endsWith("groups") ? "/groups" : ""}`);
    }],
  ),
  ["GET", "/collections/:name/points/:id", (c) => {
    const fc = col(c);
    const raw = c.params.id!;
    const id = parseId(/^\d+$/.test(raw) ? Number(raw) : raw, "point id");
    const r = fc.row(id);
    if (r === undefined) throw notFound(`No point with id ${id} found`);
    return pointView(fc, r, parseWithPayload(true, true, ""), true);
  }],
];
