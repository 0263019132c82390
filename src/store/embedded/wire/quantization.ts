/**
 * The quantization parts of request bodies: a collection's
 * `quantization_config` (create and PATCH), a vector's `on_disk` (the
 * originals in a file, the codes in memory), and a search's `params`
 * (`exact`, `quantization: {ignore, rescore, oversampling}`). Scalar int8 is
 * what the embedded store quantizes with; product and binary quantization
 * are refused by name. Schema violations answer Qdrant's 422.
 */

import { show } from "../engine/errors.js";
import type { SearchParams } from "../engine/search.js";
import type { ScalarConfig } from "../state/quantized.js";
import { HttpError, badRequest } from "./errors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(at: string, message: string): HttpError {
  return new HttpError(422, `Validation error in JSON body: [${at}: ${message}]`);
}

function flag(v: unknown, at: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw badRequest(`${at} must be true or false, got ${show(v)}`);
  return v;
}

/**
 * A `quantization_config`: the scalar settings, null for none (absent or
 * null; on PATCH also Qdrant's "Disabled"), undefined when absent on PATCH
 * (`patch`: leave the setting as it is).
 * @throws HttpError 400 for a wrong shape or another kind of quantization, 422 for a quantile outside [0.5, 1].
 */
export function parseQuantizationConfig(v: unknown, where: string, patch = false): ScalarConfig | null | undefined {
  if (v === undefined) return patch ? undefined : null;
  if (v === null) return null;
  if (patch && v === "Disabled") return null;
  if (!isObject(v)) throw badRequest(`${where} must be {"scalar": {"type": "int8", "quantile": q, "always_ram": b}}${patch ? ` or "Disabled"` : ""}, got ${show(v)}`);
  const kinds = Object.keys(v);
  if (kinds.length !== 1 || !isObject(v.scalar)) {
    const other = kinds.find((k) => k !== "scalar");
    if (other === "product" || other === "binary") {
      throw badRequest(`${where}.${other}: ${other} quantization is not supported by the embedded store; use {"scalar": {"type": "int8"}} or a Qdrant server (QDRANT_URL)`);
    }
    throw badRequest(`${where} must hold exactly {"scalar": {...}}, got ${show(v)}`);
  }
  const s = v.scalar;
  const at = `${where}.scalar`;
  for (const k of Object.keys(s)) {
    if (k !== "type" && k !== "quantile" && k !== "always_ram") throw badRequest(`${at} has an unknown field "${k}"; it takes "type", "quantile" and "always_ram"`);
  }
  if (s.type !== "int8") throw badRequest(`${at}.type must be "int8", got ${show(s.type)}`);
  const out: ScalarConfig = { type: "int8" };
  if (s.quantile !== undefined && s.quantile !== null) {
    if (typeof s.quantile !== "number" || !Number.isFinite(s.quantile)) throw badRequest(`${at}.quantile must be a number in [0.5, 1], got ${show(s.quantile)}`);
    if (s.quantile < 0.5 || s.quantile > 1) throw invalid(`${at}.quantile`, `value ${s.quantile} invalid, must be in 0.5..=1.0`);
    out.quantile = s.quantile;
  }
  const ram = flag(s.always_ram, `${at}.always_ram`);
  if (ram !== undefined) out.always_ram = ram;
  return out;
}

/**
 * A vector's `on_disk` (Qdrant's VectorParams): true keeps the f32 vectors
 * in a file and only bounded blocks of them in memory; absent, null or
 * false keeps them in memory.
 * @throws HttpError 400 for a value that is not a boolean.
 */
export function parseOnDisk(v: unknown, where: string): boolean {
  return flag(v, where) ?? false;
}

/** The `quantization_config` of GET /collections/{name}. */
export function quantizationView(config: ScalarConfig | undefined): { scalar: ScalarConfig } | null {
  return config ? { scalar: { ...config } } : null;
}

/**
 * A search body's `params` (Qdrant's SearchParams): `exact` and
 * `quantization` are read; `hnsw_ef`, `indexed_only` and `acorn` only type-checked
 * (an exact scan has no graph to tune).
 * @throws HttpError 400 for a wrong type, 422 for an oversampling below 1.
 */
export function parseSearchParams(v: unknown, where: string): SearchParams | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badRequest(`${where} must be an object like {"exact": false, "quantization": {...}}, got ${show(v)}`);
  flag(v.indexed_only, `${where}.indexed_only`);
  if (v.idf !== undefined && v.idf !== null) {
    // Qdrant 1.19's IdfParams (statistics over a filtered corpus) would change the scores: refused rather than ignored
    throw badRequest(`${where}.idf (IDF statistics over a corpus) is not supported by the embedded store; leave it out for the idf modifier's collection-wide statistics, or use a Qdrant server (QDRANT_URL)`);
  }
  const out: SearchParams = {};
  const exact = flag(v.exact, `${where}.exact`);
  if (exact !== undefined) out.exact = exact;
  const q = v.quantization;
  if (q !== undefined && q !== null) {
    const at = `${where}.quantization`;
    if (!isObject(q)) throw badRequest(`${at} must be an object {"ignore", "rescore", "oversampling"}, got ${show(q)}`);
    const o = q.oversampling;
    if (o !== undefined && o !== null && (typeof o !== "number" || !Number.isFinite(o))) throw badRequest(`${at}.oversampling must be a number >= 1, got ${show(o)}`);
    if (typeof o === "number" && o < 1) throw invalid(`${at}.oversampling`, `value ${o} invalid, must be 1.0 or larger`);
    const qp: NonNullable<SearchParams["quantization"]> = {};
    const ignore = flag(q.ignore, `${at}.ignore`);
    const rescore = flag(q.rescore, `${at}.rescore`);
    if (ignore !== undefined) qp.ignore = ignore;
    if (rescore !== undefined) qp.rescore = rescore;
    if (typeof o === "number") qp.oversampling = o;
    out.quantization = qp;
  }
  return out;
}
