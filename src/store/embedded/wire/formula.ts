/**
 * A `{"formula": EXPR, "defaults": {...}}` query read into the engine's typed
 * tree (engine/formula.ts), as Qdrant 1.19 reads it (lib/api/src/rest/schema.rs
 * Expression, lib/shard/src/query/formula.rs). EXPR is a number (an f32), a
 * string (`"$score"`, `"$score[i]"` or a payload key), a condition (a filter
 * condition or a filter), or one of the operator objects. Refusals: a shape
 * that is no expression is a 400 naming its place; Qdrant's conversion errors
 * ("Validation failed: failed to parse variable ID ...", a decay's midpoint or
 * scale out of range, a date-time it cannot read) are its 400 "Wrong input"
 * with the same words.
 */

import { show } from "../engine/errors.js";
import { compileCondition } from "../engine/filter.js";
import type { Expr, Formula } from "../engine/formula.js";
import { datetimeSeconds, type DecayKind, decayLambda, type GeoPoint } from "../engine/formula-functions.js";
import { parseGeoPoint } from "../engine/geo.js";
import { parsePath } from "../engine/paths.js";
import { showPath, grammarPath, type Step } from "../state/payload.js";
import { answering, badRequest } from "./errors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keys that make an object a condition (Qdrant tries Condition before the operators). */
const CONDITION_KEYS = ["key", "is_empty", "is_null", "has_id", "has_vector", "nested"];
const FILTER_KEYS = ["must", "should", "must_not", "min_should"];
/** The operator objects in the order Qdrant's untagged Expression tries them. */
const OPERATORS = ["mult", "sum", "neg", "abs", "div", "sqrt", "pow", "exp", "log10", "ln", "lin_decay", "exp_decay", "gauss_decay"] as const;
const DECAYS: Record<string, DecayKind> = { lin_decay: "lin", exp_decay: "exp", gauss_decay: "gauss" };
const FORMS = `a number, "$score", "$score[i]", a payload key, a condition, {"sum": [...]}, {"mult": [...]}, {"div": {"left", "right", "by_zero_default"}}, ` +
  `{"neg"}, {"abs"}, {"sqrt"}, {"pow": {"base", "exponent"}}, {"exp"}, {"log10"}, {"ln"}, {"lin_decay" | "exp_decay" | "gauss_decay": {"x", "target", "scale", "midpoint"}}, ` +
  `{"geo_distance": {"origin", "to"}}, {"datetime": "..."}, {"datetime_key": key}`;

/** Qdrant's conversion refusal: "Validation failed: ...", a 400 "Wrong input". */
function validation(message: string): Error {
  return badRequest(`Validation failed: ${message}`);
}

/** A variable name of a formula or its defaults (Qdrant's VariableId::from_str): `$score`, `$score[i]`, or a payload key. */
type Variable = { score: number } | { path: Step[] };

/** What is wrong with a variable name, in Qdrant's words (VariableId::from_str), or "" when it is one. */
function variableProblem(name: string): string {
  if (name.startsWith("$")) {
    const steps = grammarPath(name.slice(1));
    if (!steps) return `Invalid reserved variable: ${name}`;
    if (steps[0]!.key !== "score") return `Invalid reserved word: ${name}`;
    const ix = steps[0]!.indices ?? [];
    if (steps.length > 1 || ix.length > 1 || ix[0] === "all") return `Invalid reserved variable: ${name}`;
    return "";
  }
  return grammarPath(name) ? "" : `Invalid payload variable: ${name}`;
}

function parseVariable(name: string): Variable {
  const why = variableProblem(name);
  if (why) {
    throw validation(`failed to parse variable ID ${name}: ${why} (use "$score", "$score[i]" for the i-th prefetch's score, or a payload key such as "price" or a."b.c"[0])`);
  }
  if (!name.startsWith("$")) return { path: grammarPath(name)! };
  const ix = grammarPath(name.slice(1))![0]!.indices;
  return { score: ix ? (ix[0] as number) : 0 };
}

/** An optional f32 field (scale, midpoint, by_zero_default): absent or null is none. */
function f32(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw badRequest(`${where} must be a number, got ${show(v)}`);
  return Math.fround(v);
}

function key(v: unknown, where: string): Step[] {
  return answering(() => parsePath(v, where));
}

/** A geo point, checked as Qdrant's GeoPoint (engine/geo.ts, shared with the geo conditions). */
function geoPoint(v: unknown, where: string): GeoPoint {
  return answering(() => parseGeoPoint(v, where));
}

/** One expression at `where`. */
function parseExpr(e: unknown, where: string): Expr {
  // no depth limit of its own: the body's nesting is already capped (engine/limits.ts MAX_DEPTH, as serde_json's)
  if (typeof e === "number") {
    if (!Number.isFinite(e)) throw badRequest(`${where} must be a finite number, got ${show(e)}`);
    return { op: "const", value: Math.fround(e) }; // Qdrant's constants are f32
  }
  if (typeof e === "string") {
    const v = parseVariable(e);
    return "score" in v ? { op: "score", index: v.score } : { op: "var", path: v.path };
  }
  if (!isObject(e)) throw badRequest(`${where} ${show(e)} is not an expression; use ${FORMS}`);
  const keys = Object.keys(e);
  if (keys.length === 0) return { op: "cond", test: () => true }; // an empty filter: every point passes
  if (keys.some((k) => CONDITION_KEYS.includes(k)) || keys.every((k) => FILTER_KEYS.includes(k))) {
    if (typeof e.key !== "string" && "key" in e) throw badRequest(`${where}: Filter condition 'key' must be a string, got ${show(e.key)}`);
    return { op: "cond", test: answering(() => compileCondition(e, where)) };
  }
  const sub = (v: unknown, at: string) => parseExpr(v, at);
  const params = (name: string): Record<string, unknown> => {
    const p = e[name];
    if (!isObject(p)) throw badRequest(`${where}.${name} must be an object, got ${show(p)}`);
    return p;
  };
  const required = (p: Record<string, unknown>, name: string, at: string) => {
    if (p[name] === undefined) throw badRequest(`${at}: missing field \`${name}\``);
    return sub(p[name], `${at}.${name}`);
  };
  if ("geo_distance" in e) {
    const p = params("geo_distance");
    if (p.origin === undefined) throw badRequest(`${where}.geo_distance: missing field \`origin\``);
    return { op: "geo", origin: geoPoint(p.origin, `${where}.geo_distance.origin`), path: key(p.to, `${where}.geo_distance.to`) };
  }
  if ("datetime" in e) {
    const s = e.datetime;
    if (typeof s !== "string") throw badRequest(`${where}.datetime must be a date-time string, got ${show(s)}`);
    const seconds = datetimeSeconds(s);
    if (seconds === undefined) throw validation(`failed to parse date-time ${s}: input contains invalid characters (use RFC 3339, e.g. "2025-03-18T12:00:00Z", or "2025-03-18")`);
    return { op: "datetime", seconds };
  }
  if ("datetime_key" in e) return { op: "datetime_key", path: key(e.datetime_key, `${where}.datetime_key`) };
  // one object holds one operator; with several, the first in Qdrant's order of variants wins
  const op = OPERATORS.find((k) => k in e);
  if (op === "mult" || op === "sum") {
    const list = e[op];
    if (!Array.isArray(list)) throw badRequest(`${where}.${op} must be a list of expressions, got ${show(list)}`);
    return { op, args: list.map((x, i) => sub(x, `${where}.${op}[${i}]`)) };
  }
  if (op === "div") {
    const p = params("div");
    const at = `${where}.div`;
    const byZero = f32(p.by_zero_default, `${at}.by_zero_default`);
    return { op: "div", left: required(p, "left", at), right: required(p, "right", at), ...(byZero === undefined ? {} : { byZero }) };
  }
  if (op === "pow") {
    const p = params("pow");
    return { op: "pow", base: required(p, "base", `${where}.pow`), exponent: required(p, "exponent", `${where}.pow`) };
  }
  if (op === "lin_decay" || op === "exp_decay" || op === "gauss_decay") {
    const kind = DECAYS[op]!;
    const p = params(op);
    const at = `${where}.${op}`;
    const x = required(p, "x", at);
    const target = p.target === undefined || p.target === null ? undefined : sub(p.target, `${at}.target`);
    const lambda = decayLambda(kind, f32(p.midpoint, `${at}.midpoint`), f32(p.scale, `${at}.scale`));
    if (typeof lambda === "string") throw validation(`${lambda} (${at})`);
    return { op: "decay", kind, x, ...(target ? { target } : {}), lambda };
  }
  if (op !== undefined) {
    if (e[op] === undefined) throw badRequest(`${where}.${op}: missing an expression`);
    return { op, arg: sub(e[op], `${where}.${op}`) };
  }
  throw badRequest(`${where} ${show(e)} is not an expression; use ${FORMS}`);
}

/**
 * Read a FormulaQuery (`q` holds `formula` and optional `defaults`).
 * @throws HttpError 400 for a malformed expression, an unknown variable name, or a bad decay or date-time.
 */
export function parseFormula(q: Record<string, unknown>, where: string): Formula {
  const expr = parseExpr(q.formula, `${where}.formula`);
  const d = q.defaults ?? {};
  if (!isObject(d)) throw badRequest(`${where}.defaults must be an object {variable: value}, got ${show(d)}`);
  const scoreDefaults = new Map<number, unknown>();
  const payloadDefaults = new Map<string, unknown>();
  for (const [name, value] of Object.entries(d)) {
    const v = parseVariable(name);
    if ("score" in v) scoreDefaults.set(v.score, value);
    else payloadDefaults.set(showPath(v.path), value);
  }
  return { expr, scoreDefaults, payloadDefaults };
}

/** What Qdrant's validator checks in a FormulaQuery before its handler runs (a 422, wire/validate.ts). */
export interface FormulaChecks {
  /** The conditions its validator reaches, each with Qdrant's field label (`query.sum[0]`, `query.div.left`). */
  conditions: { at: string; cond: Record<string, unknown> }[];
  /** The defaults' violations: a name that is no variable, a `$score` default that is not a number. */
  defaults: { field: string; message: string }[];
}

/**
 * Walk a formula as Qdrant's `impl Validate for FormulaQuery` does: the
 * expression's conditions (through sum, mult, neg, abs, div, sqrt, exp, log10,
 * ln and the decays; not through pow, whose params Qdrant does not validate),
 * labelled from `label` without a `formula` segment, then the defaults.
 */
export function formulaChecks(q: Record<string, unknown>, label: string): FormulaChecks {
  const out: FormulaChecks = { conditions: [], defaults: [] };
  const walk = (e: unknown, at: string): void => {
    if (!isObject(e)) return;
    const keys = Object.keys(e);
    if (keys.some((k) => CONDITION_KEYS.includes(k)) || (keys.length > 0 && keys.every((k) => FILTER_KEYS.includes(k)))) {
      out.conditions.push({ at, cond: e });
      return;
    }
    const op = OPERATORS.find((k) => k in e);
    if (op === "mult" || op === "sum") {
      if (Array.isArray(e[op])) (e[op] as unknown[]).forEach((x, i) => walk(x, `${at}.${op}[${i}]`));
    } else if (op === "div" || op === "lin_decay" || op === "exp_decay" || op === "gauss_decay") {
      const p = e[op];
      if (isObject(p)) for (const k of op === "div" ? ["left", "right"] : ["x", "target"]) walk(p[k], `${at}.${op}.${k}`);
    } else if (op !== undefined && op !== "pow") walk(e[op], `${at}.${op}`);
  };
  walk(q.formula, label);
  const d = q.defaults;
  if (isObject(d)) {
    for (const [name, value] of Object.entries(d)) {
      try {
        const v = parseVariable(name);
        if ("score" in v && typeof value !== "number") out.defaults.push({ field: `${label}.defaults`, message: "Validation error: Score default must be a number [{}]" });
      } catch {
        out.defaults.push({ field: `${label}.defaults`, message: variableProblem(name) });
      }
    }
  }
  return out;
}
