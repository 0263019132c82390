/**
 * Qdrant payload filters compiled into predicates. A filter is checked for
 * shape once, when the request arrives (an unknown shape is refused, naming the
 * place), then evaluated per point. Semantics follow Qdrant:
 *  - must: all; should: at least one (an empty list: none passes); must_not: none;
 *    min_should: at least `min_count` of `conditions`;
 *  - a condition on an array value holds when it holds for some element;
 *  - a missing key fails every field condition except `values_count` with 0;
 *  - is_empty: missing, null or []; is_null: some value is exactly null;
 *  - geo_bounding_box, geo_radius, geo_polygon: geo.ts.
 */

import type { Predicate } from "../state/collection.js";
import { splitPath, type Step, valuesAt } from "../state/payload.js";
import { show, wrongInput } from "./errors.js";
import { GEO_CONDITIONS, type GeoCheck, payloadGeoPoint } from "./geo.js";
import { parseIds } from "./ids.js";
import { parsePath } from "./paths.js";

export type { Predicate };

type Check = (v: unknown) => boolean;
type GeoKind = keyof typeof GEO_CONDITIONS;
const GEO_KINDS = Object.keys(GEO_CONDITIONS) as GeoKind[];

/** A geo test as a value check: a value that is no point fails. */
function geoCheck(g: GeoCheck): Check {
  return (v) => {
    const p = payloadGeoPoint(v);
    return p !== undefined && g(p);
  };
}
const CLAUSES = ["must", "should", "must_not", "min_should"] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set while a filter logged before `paths: 2` compiles (compilation is synchronous): see {@link compileLoggedFilter}. */
let legacyPaths = false;

/** A key path of a condition: Qdrant's grammar, or, for an old logged filter, the reading of that time. */
function keyPath(path: unknown, where: string): Step[] {
  if (!legacyPaths) return parsePath(path, where);
  const steps = typeof path === "string" ? splitPath(path) : null;
  if (!steps) return parsePath(path, where);
  return steps.map((s) => ({ ...s, spread: true as const }));
}

/**
 * Compile a filter the log holds from before the store read key paths as
 * Qdrant does (a Selector without `paths: 2`, log/records.ts): keys split on
 * dots when they do not follow the grammar, and a key steps into each object
 * of an array too, as the store read them when it acknowledged the write; so
 * a replay selects the same points.
 */
export function compileLoggedFilter(filter: unknown): Predicate | null {
  legacyPaths = true;
  try {
    return compileFilter(filter);
  } finally {
    legacyPaths = false;
  }
}

/**
 * Compile a filter object (or null/undefined for "everything").
 * @throws EngineError (wrong input) for a filter or condition of unknown shape.
 */
export function compileFilter(filter: unknown, where = "filter", nested = false): Predicate | null {
  if (filter === undefined || filter === null) return null;
  if (!isObject(filter)) throw wrongInput(`${where} must be an object with must / should / must_not / min_should, got ${show(filter)}`);
  for (const k of Object.keys(filter)) {
    if (!(CLAUSES as readonly string[]).includes(k)) {
      throw wrongInput(`${where} has unknown clause "${k}"; a filter takes must, should, must_not and min_should`);
    }
  }
  const list = (k: string): Predicate[] | null => {
    const v = filter[k];
    if (v === undefined || v === null) return null;
    const arr = Array.isArray(v) ? v : [v];
    return arr.map((c, i) => compileCondition(c, `${where}.${k}[${i}]`, nested));
  };
  const must = list("must");
  const should = list("should");
  const mustNot = list("must_not");
  let minShould: { conds: Predicate[]; min: number } | null = null;
  const ms = filter.min_should;
  if (ms !== undefined && ms !== null) {
    if (!isObject(ms) || !Array.isArray(ms.conditions) || !Number.isInteger(ms.min_count) || (ms.min_count as number) < 0) {
      throw wrongInput(`${where}.min_should must be {"conditions": [...], "min_count": n} with n >= 0, got ${show(ms)}`);
    }
    minShould = {
      conds: ms.conditions.map((c, i) => compileCondition(c, `${where}.min_should.conditions[${i}]`, nested)),
      min: ms.min_count as number,
    };
  }
  return (p, id, v) => {
    if (must) for (const c of must) if (!c(p, id, v)) return false;
    if (mustNot) for (const c of mustNot) if (c(p, id, v)) return false;
    if (should && !should.some((c) => c(p, id, v))) return false; // Qdrant: an empty should matches nothing
    if (minShould) {
      let n = 0;
      for (const c of minShould.conds) if (c(p, id, v) && ++n >= minShould.min) break;
      if (n < minShould.min) return false;
    }
    return true;
  };
}

/**
 * Compile one condition (a field condition, is_empty, is_null, has_id,
 * nested, has_vector, or a filter used as a condition), as a filter's list
 * holds it; a formula's conditions come here too.
 * @throws EngineError (wrong input) for a condition of unknown shape.
 */
export function compileCondition(c: unknown, where: string, nested = false): Predicate {
  if (!isObject(c)) throw wrongInput(`${where}: a condition must be an object, got ${show(c)}`);
  if (CLAUSES.some((k) => k in c) && !("key" in c)) return compileFilter(c, where, nested) ?? (() => true);
  if ("has_id" in c) {
    if (nested) throw wrongInput(`${where}: has_id is not allowed inside a nested filter`);
    const ids = new Set(parseIds(c.has_id, `${where}.has_id`));
    return (_p, id) => ids.has(id);
  }
  if ("is_empty" in c || "is_null" in c) {
    const empty = "is_empty" in c;
    const arg = empty ? c.is_empty : c.is_null;
    const steps = keyPath(isObject(arg) ? arg.key : undefined, `${where}.${empty ? "is_empty" : "is_null"}.key`);
    return empty
      ? (p) => valuesAt(p, steps).every((v) => v === null || (Array.isArray(v) && v.length === 0))
      : (p) => valuesAt(p, steps).some((v) => v === null);
  }
  if ("nested" in c) {
    const n = c.nested;
    if (!isObject(n)) throw wrongInput(`${where}.nested must be {"key": ..., "filter": {...}}, got ${show(n)}`);
    const steps = keyPath(n.key, `${where}.nested.key`);
    const inner = compileFilter(n.filter, `${where}.nested.filter`, true) ?? (() => true);
    return (p, id) => {
      for (const v of valuesAt(p, steps)) {
        for (const o of Array.isArray(v) ? v : [v]) if (isObject(o) && inner(o, id)) return true;
      }
      return false;
    };
  }
  if ("has_vector" in c) {
    const name = c.has_vector;
    if (typeof name !== "string") throw wrongInput(`${where}.has_vector must be a vector name, got ${show(name)}`);
    // asked of the collection the filter runs on; a name it does not have matches no point
    return (_p, id, vectors) => vectors?.hasVector(id, name) ?? false;
  }
  if ("key" in c) return compileField(c, where);
  throw wrongInput(
    `${where}: condition ${show(c)} has an unknown shape; expected {"key", "match" | "range" | "values_count" | "geo_bounding_box" | "geo_radius" | "geo_polygon"}, ` +
      `{"is_empty"}, {"is_null"}, {"has_id"}, {"nested"} or a nested filter`,
  );
}

function compileField(c: Record<string, unknown>, where: string): Predicate {
  const steps = keyPath(c.key, `${where}.key`);
  const kinds = ["match", "range", "values_count", "datetime_range", ...GEO_KINDS].filter((k) => c[k] !== undefined && c[k] !== null);
  if (kinds.length !== 1) {
    throw wrongInput(`${where}: a field condition on "${String(c.key)}" needs exactly one of match, range, values_count, ${GEO_KINDS.join(", ")}; got ${kinds.length ? kinds.join(", ") : "none"}`);
  }
  const kind = kinds[0]!;
  if (kind === "values_count") {
    const r = parseBounds(c.values_count, `${where}.values_count`, "number");
    return (p) => {
      let n = 0;
      for (const v of valuesAt(p, steps)) n += v === null ? 0 : Array.isArray(v) ? v.length : 1;
      return r(n);
    };
  }
  const check: Check = kind === "match" ? compileMatch(c.match, `${where}.match`)
    : kind in GEO_CONDITIONS ? geoCheck(GEO_CONDITIONS[kind as GeoKind](c[kind], `${where}.${kind}`))
    : parseBounds(c[kind], `${where}.${kind}`, kind === "datetime_range" ? "date" : "any");
  return (p) => {
    for (const v of valuesAt(p, steps)) {
      if (Array.isArray(v)) {
        for (const e of v) if (check(e)) return true;
      } else if (check(v)) return true;
    }
    return false;
  };
}

function compileMatch(m: unknown, where: string): Check {
  if (!isObject(m)) throw wrongInput(`${where} must be an object like {"value": "red"}, got ${show(m)}`);
  if ("value" in m) {
    const want = m.value;
    if (!["string", "number", "boolean"].includes(typeof want) || (typeof want === "number" && !Number.isInteger(want))) {
      throw wrongInput(`${where}.value must be a string, an integer or a boolean, got ${show(want)}`);
    }
    return (v) => v === want;
  }
  if ("any" in m || "except" in m) {
    const except = !("any" in m);
    const list = except ? m.except : m.any;
    if (!Array.isArray(list) || !(list.every((x) => typeof x === "string") || list.every((x) => Number.isInteger(x)))) {
      throw wrongInput(`${where}.${except ? "except" : "any"} must be a list of strings or a list of integers, got ${show(list)}`);
    }
    const set = new Set<unknown>(list);
    if (!except) return (v) => set.has(v);
    const strings = list.length > 0 && typeof list[0] === "string";
    return (v) => {
      if (v === null) return false;
      if (typeof v === "string") return strings ? !set.has(v) : true;
      if (typeof v === "number") return strings || !Number.isInteger(v) ? true : !set.has(v);
      return true;
    };
  }
  for (const k of ["text", "phrase", "text_any"]) {
    if (!(k in m)) continue;
    const t = m[k];
    if (typeof t !== "string") throw wrongInput(`${where}.${k} must be a string, got ${show(t)}`);
    if (k === "text_any") {
      const words = t.split(/\s+/).filter(Boolean);
      return (v) => typeof v === "string" && words.some((w) => v.includes(w));
    }
    return (v) => typeof v === "string" && v.includes(t);
  }
  throw wrongInput(`${where} has an unknown shape ${show(m)}; expected {"value"}, {"any"}, {"except"} or {"text"}`);
}

/** A range: gt / gte / lt / lte on numbers, or on RFC 3339 date-times. */
function parseBounds(r: unknown, where: string, kind: "number" | "date" | "any"): Check {
  if (!isObject(r)) throw wrongInput(`${where} must be an object with gt / gte / lt / lte, got ${show(r)}`);
  const keys = ["gt", "gte", "lt", "lte"] as const;
  const bad = Object.keys(r).filter((k) => !(keys as readonly string[]).includes(k));
  if (bad.length) throw wrongInput(`${where} has unknown bound "${bad[0]}"; use gt, gte, lt, lte`);
  const dates = kind === "date" || (kind === "any" && keys.some((k) => typeof r[k] === "string"));
  const b: Partial<Record<(typeof keys)[number], number>> = {};
  for (const k of keys) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    const n = dates && typeof v === "string" ? Date.parse(v) : typeof v === "number" ? v : NaN;
    if (!Number.isFinite(n)) throw wrongInput(`${where}.${k} must be ${dates ? "an RFC 3339 date-time" : "a finite number"}, got ${show(v)}`);
    b[k] = n;
  }
  const { gt, gte, lt, lte } = b;
  return (v) => {
    const x = dates ? (typeof v === "string" ? Date.parse(v) : NaN) : typeof v === "number" ? v : NaN;
    if (Number.isNaN(x)) return false;
    return (gt === undefined || x > gt) && (gte === undefined || x >= gte) && (lt === undefined || x < lt) && (lte === undefined || x <= lte);
  };
}
