/**
 * Qdrant's schema validation: what its `validator` derives refuse with 422
 * "Validation error in JSON body: [field: message; ...]" before a handler runs
 * (ranges such as shard_number >= 1, hnsw_config.ef_construct >= 4, a field
 * condition with only `key`, recommend without examples). Semantic refusals
 * stay 400 "Wrong input" in the handlers; type errors (a string where a
 * number goes) stay 400, as Qdrant's deserializer answers them.
 *
 * Wording follows Qdrant's lib/collection/src/operations/validation.rs:
 * `value 0 invalid, must be 1 or larger`, `must be from 0 to 1`.
 */

import { HttpError } from "./errors.js";
import { formulaChecks } from "./formula.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One violated rule: the field's dotted path and Qdrant's message. */
export interface Violation {
  field: string;
  message: string;
}

/** A numeric range rule of Qdrant's `#[validate(range(...))]`. */
interface Range {
  min?: number;
  max?: number;
}

/** Qdrant prints floats' bounds with a decimal point when the field is a float (`must be from 0.0 to 1.0`). */
function bound(n: number, float: boolean): string {
  return float && Number.isInteger(n) ? n.toFixed(1) : String(n);
}

function checkRange(out: Violation[], obj: Record<string, unknown>, key: string, r: Range, prefix: string, float = false): void {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isFinite(v)) return; // absent, null, or a type error the handler reports
  if ((r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max)) return;
  const rule = r.min !== undefined && r.max !== undefined
    ? `must be from ${bound(r.min, float)} to ${bound(r.max, float)}`
    : r.min !== undefined ? `must be ${bound(r.min, float)} or larger` : `must be ${bound(r.max!, float)} or smaller`;
  out.push({ field: prefix + key, message: `value ${v} invalid, ${rule}` });
}

/** The 422 for a list of violations, or nothing when there are none. */
export function refuse(out: Violation[], where = "JSON body"): void {
  if (out.length === 0) return;
  throw new HttpError(422, `Validation error in ${where}: [${out.map((v) => `${v.field}: ${v.message}`).join("; ")}]`);
}

/** Qdrant's HnswConfigDiff ranges (config_diff.rs). */
function hnsw(out: Violation[], v: unknown, p: string): void {
  if (!isObject(v)) return;
  checkRange(out, v, "ef_construct", { min: 4 }, p);
  checkRange(out, v, "full_scan_threshold", { min: 10 }, p);
}

/** Qdrant's WalConfigDiff ranges. */
function wal(out: Violation[], v: unknown, p: string): void {
  if (!isObject(v)) return;
  checkRange(out, v, "wal_capacity_mb", { min: 1 }, p);
}

/** Qdrant's OptimizersConfigDiff ranges. */
function optimizers(out: Violation[], v: unknown, p: string): void {
  if (!isObject(v)) return;
  checkRange(out, v, "deleted_threshold", { min: 0, max: 1 }, p, true);
  checkRange(out, v, "vacuum_min_vector_number", { min: 100 }, p);
  checkRange(out, v, "max_segment_size", { min: 1 }, p);
}

/** The collection-level fields both create and update carry. */
function collectionFields(out: Violation[], b: Record<string, unknown>): void {
  checkRange(out, b, "replication_factor", { min: 1 }, "");
  checkRange(out, b, "write_consistency_factor", { min: 1 }, "");
  hnsw(out, b.hnsw_config, "hnsw_config.");
  wal(out, b.wal_config, "wal_config.");
  optimizers(out, b.optimizers_config ?? b.optimizer_config, "optimizers_config.");
}

/**
 * Validate `PUT /collections/{name}` as Qdrant's CreateCollection and its
 * path: a name of 1 to 255 characters, shard / replication / write-consistency
 * factors >= 1, the HNSW / WAL / optimizer ranges.
 * @throws HttpError 422 naming every violated field.
 */
export function validateCreate(name: string, b: Record<string, unknown>): void {
  const path: Violation[] = [];
  const chars = [...name].length;
  if (chars < 1 || chars > 255) path.push({ field: "collection_name", message: `value ${JSON.stringify(name)} invalid, must be from 1 to 255 characters` });
  refuse(path, "path parameters");
  const out: Violation[] = [];
  checkRange(out, b, "shard_number", { min: 1 }, "");
  collectionFields(out, b);
  refuse(out);
}

/**
 * Validate `PATCH /collections/{name}` as Qdrant's UpdateCollection: `params`
 * (replication / write-consistency factors >= 1), HNSW, optimizers.
 * @throws HttpError 422 naming every violated field.
 */
export function validateUpdate(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  if (isObject(b.params)) {
    checkRange(out, b.params, "replication_factor", { min: 1 }, "params.");
    checkRange(out, b.params, "write_consistency_factor", { min: 1 }, "params.");
  }
  hnsw(out, b.hnsw_config, "hnsw_config.");
  optimizers(out, b.optimizers_config, "optimizers_config.");
  refuse(out);
}

/** Keys of a FieldCondition besides `key`: one of them must be there (Qdrant's validate_field_condition). */
const FIELD_RULES = ["match", "range", "geo_bounding_box", "geo_radius", "geo_polygon", "values_count", "is_empty", "is_null"];

/** Walk a filter; a condition that is `{key}` alone, or `{key}` with only null rules, is a violation. */
function filter(out: Violation[], f: unknown, p: string): void {
  if (!isObject(f)) return;
  for (const clause of ["must", "should", "must_not"]) {
    const c = f[clause];
    if (Array.isArray(c)) c.forEach((x, i) => condition(out, x, `${p}.${clause}[${i}]`));
    else if (isObject(c)) condition(out, c, `${p}.${clause}`);
  }
  if (isObject(f.min_should)) {
    const ms = f.min_should;
    if (Array.isArray(ms.conditions)) ms.conditions.forEach((x, i) => condition(out, x, `${p}.min_should.conditions[${i}]`));
    checkRange(out, ms, "min_count", { min: 1 }, `${p}.min_should.`);
  }
}

function condition(out: Violation[], c: unknown, p: string): void {
  if (!isObject(c)) return;
  if (typeof c.key === "string" && Object.keys(c).every((k) => k === "key" || (FIELD_RULES.includes(k) && c[k] === null))) {
    out.push({ field: p, message: "Validation error: At least one field condition must be specified [{}]" });
    return;
  }
  if (isObject(c.nested)) filter(out, c.nested.filter, `${p}.nested.filter`);
  if ("must" in c || "should" in c || "must_not" in c || "min_should" in c) filter(out, c, p);
}

/** The `params` of a search: `hnsw_ef` >= 1 (SearchParams). */
function searchParams(out: Violation[], v: unknown, p: string): void {
  if (isObject(v)) checkRange(out, v, "hnsw_ef", { min: 1 }, p);
}

/**
 * Validate a Query API request as Qdrant's QueryRequest: its filter, its
 * `params`, `limit` >= 1, a recommend with at least one example, and the same
 * for each prefetch.
 */
function queryRequest(out: Violation[], b: Record<string, unknown>, p: string): void {
  filter(out, b.filter, `${p}filter`);
  searchParams(out, b.params, `${p}params.`);
  checkRange(out, b, "limit", { min: 1 }, p);
  const q = b.query;
  if (isObject(q) && isObject(q.recommend)) {
    const r = q.recommend;
    const none = (x: unknown) => x === undefined || x === null || (Array.isArray(x) && x.length === 0);
    if (none(r.positive) && none(r.negative)) {
      out.push({ field: `${p}query.recommend.positives, negatives`, message: "Validation error: At least one positive or negative vector/id must be provided [{}]" });
    }
  }
  if (isObject(q) && "formula" in q) {
    // Qdrant validates the formula's conditions, and only when they pass, its defaults
    const f = formulaChecks(q, `${p}query`);
    const before = out.length;
    for (const c of f.conditions) condition(out, c.cond, c.at);
    if (out.length === before) out.push(...f.defaults);
  }
  const pre = b.prefetch;
  if (Array.isArray(pre)) pre.forEach((x, i) => isObject(x) && queryRequest(out, x, `${p}prefetch[${i}].`));
  else if (isObject(pre)) queryRequest(out, pre, `${p}prefetch.`);
}

/** @throws HttpError 422 for a `POST /points/query` body that breaks Qdrant's schema rules. */
export function validateQuery(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  queryRequest(out, b, "");
  refuse(out);
}

/**
 * @throws HttpError 422 for a `POST /points/query/groups` body: the query's
 * rules (filter, params, limit, recommend examples, formula conditions and
 * defaults, each prefetch) and `group_size` >= 1, as Qdrant's
 * QueryGroupsRequest nests QueryRequest's rules.
 */
export function validateQueryGroups(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  queryRequest(out, b, "");
  checkRange(out, b, "group_size", { min: 1 }, "");
  refuse(out);
}

/** @throws HttpError 422 for a `POST /points/query/batch` body (each search's rules, at `searches[i]`). */
export function validateQueryBatch(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  if (Array.isArray(b.searches)) b.searches.forEach((s, i) => isObject(s) && queryRequest(out, s, `searches[${i}].`));
  refuse(out);
}

/** @throws HttpError 422 for a body whose `filter` holds a condition with only `key` (scroll, count, delete, payload ops). */
export function validateFilterBody(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  filter(out, b.filter, "filter");
  refuse(out);
}

/** @throws HttpError 422 for an upsert or update_vectors body whose `update_filter` holds a condition with only `key`. */
export function validateUpdateFilter(b: Record<string, unknown>): void {
  const out: Violation[] = [];
  filter(out, b.update_filter, "update_filter");
  refuse(out);
}

/**
 * Collection config the store cannot serve (it would answer as if applied):
 * a clear 400 naming the field rather than a silent ignore.
 * @throws HttpError 400 "Wrong input: ... not supported by the embedded store".
 */
export function refuseUnserved(b: Record<string, unknown>, update: boolean): void {
  const given = (k: string) => b[k] !== undefined && b[k] !== null && !(isObject(b[k]) && Object.keys(b[k] as object).length === 0);
  const fields = (update ? ["sparse_vectors"] : []).filter(given); // PATCH vectors: wire/spaces-update.ts
  if (fields.length === 0) return;
  throw new HttpError(400, `Wrong input: ${fields.join(", ")} ${fields.length > 1 ? "are" : "is"} not supported by the embedded store${update ? " on update" : ""}; leave ${fields.length > 1 ? "them" : "it"} out, or use a Qdrant server (QDRANT_URL)`);
}
