/**
 * Formula scoring (Qdrant's `{"formula": ..., "defaults": ...}` query,
 * lib/segment/src/index/query_optimization/rescore_formula): a typed
 * expression tree, compiled once per stage into closures, evaluated for every
 * candidate of the stage's prefetches. The arithmetic is Qdrant's, in f64:
 * constants arrive as f32 (the wire rounds them), a product stops at its first
 * 0, a division with a zero numerator is 0 without looking at the divisor, and
 * `sqrt`, `pow`, `exp`, `log10`, `ln` and `div` refuse a non-finite result, as
 * does the final score once rounded to f32. A variable missing from a point
 * takes its default or refuses; `$score[i]` missing from prefetch i takes its
 * default or 0.
 */

import type { PointId } from "../log/records.js";
import { compareIds, type Collection, type Predicate } from "../state/collection.js";
import { endsInAll, valuesAlong } from "../state/json-path.js";
import { type Payload, type Step, showPath } from "../state/payload.js";
import { wrongInput } from "./errors.js";
import type { Hit, QueryPlan } from "./search.js";

/** Qdrant's decay shapes: linear, gaussian, exponential. */
export type DecayKind = "lin" | "gauss" | "exp";

/** A longitude / latitude pair in degrees. */
export interface GeoPoint {
  lon: number;
  lat: number;
}

/** One node of a checked formula (the wire builds it: wire/formula.ts). */
export type Expr =
  | { op: "const"; value: number }
  | { op: "score"; index: number }
  | { op: "var"; path: Step[] }
  | { op: "cond"; test: Predicate }
  | { op: "geo"; origin: GeoPoint; path: Step[] }
  | { op: "datetime"; seconds: number }
  | { op: "datetime_key"; path: Step[] }
  | { op: "sum" | "mult"; args: Expr[] }
  | { op: "div"; left: Expr; right: Expr; byZero?: number }
  | { op: "neg" | "abs" | "sqrt" | "exp" | "log10" | "ln"; arg: Expr }
  | { op: "pow"; base: Expr; exponent: Expr }
  | { op: "decay"; kind: DecayKind; x: Expr; target?: Expr; lambda: number };

/** A checked formula: its tree and the defaults of its variables. */
export interface Formula {
  expr: Expr;
  /** Defaults of `$score[i]`, by prefetch index. */
  scoreDefaults: Map<number, unknown>;
  /** Defaults of payload variables, by the path as Qdrant writes it (showPath), so `a.b` and `a."b"` are one key. */
  payloadDefaults: Map<string, unknown>;
}

/** What one evaluation sees: the point and its scores in each prefetch. */
interface Point {
  payload: Payload;
  id: PointId;
  scores: (number | undefined)[];
}

type Eval = (p: Point) => number;

const MEAN_EARTH_RADIUS_M = 6371008.8; // the geo crate's Haversine radius, which Qdrant uses

/**
 * Qdrant's lambda of a decay (parsed_formula.rs decay_params_to_lambda), from
 * midpoint (default 0.5) and scale (default 1.0), both f32 in Qdrant's API.
 * Returns the error text for a midpoint or scale out of range.
 */
export function decayLambda(kind: DecayKind, midpoint = 0.5, scale = 1): number | string {
  if (kind === "lin" ? !(midpoint >= 0 && midpoint <= 1) : !(midpoint > 0 && midpoint < 1)) {
    return kind === "lin"
      ? `Linear decay midpoint should be in the range [0.0, 1.0], got ${rustFloat(midpoint)}.`
      : `Decay midpoint should be in the range (0.0, 1.0), got ${rustFloat(midpoint)}.`;
  }
  if (!(scale > 0)) return `Decay scale should be non-zero positive, got ${rustFloat(scale)}.`;
  if (kind === "lin") return (1 - midpoint) / scale;
  return kind === "exp" ? Math.log(midpoint) / scale : Math.log(midpoint) / (scale * scale);
}

/** Qdrant's decays of x around target (formula_scorer.rs): each is 1 at the target and `midpoint` at a distance `scale`. */
export function decay(kind: DecayKind, x: number, target: number, lambda: number): number {
  const d = x - target;
  if (kind === "exp") return Math.exp(lambda * Math.abs(d));
  if (kind === "gauss") return Math.exp(lambda * d * d);
  return Math.max(-lambda * Math.abs(d) + 1, 0);
}

/** The haversine distance in meters between two points, as Qdrant's `geo_distance` (the geo crate's Haversine). */
export function haversine(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const t1 = a.lat * rad;
  const t2 = b.lat * rad;
  const dt = (b.lat - a.lat) * rad;
  const dl = (b.lon - a.lon) * rad;
  const h = Math.sin(dt / 2) ** 2 + Math.cos(t1) * Math.cos(t2) * Math.sin(dl / 2) ** 2;
  return MEAN_EARTH_RADIUS_M * 2 * Math.asin(Math.sqrt(h));
}

/** A float as Rust's `{}` writes it (Qdrant's messages): shortest digits, no exponent, `inf`, `NaN`, `-0`. */
export function rustFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, e] = x.toExponential().split("e") as [string, string];
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const point = Number(e) + 1; // digits before the decimal point
  const body = point <= 0 ? `0.${"0".repeat(-point)}${digits}`
    : point >= digits.length ? digits + "0".repeat(point - digits.length)
    : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? "-" : "") + body;
}

function nonFinite(expression: string): Error {
  return wrongInput(`The expression ${expression} produced a non-finite number; change the formula or the payload values so that every step stays finite`);
}

function checked(v: number, expression: () => string): number {
  if (Number.isFinite(v)) return v;
  throw nonFinite(expression());
}

/** The value a payload variable has for a point: Qdrant's retriever (one value, or an array of several), else its default. */
function payloadValue(f: Formula, path: Step[], p: Point, type: string): unknown {
  const found = valuesAlong(p.payload, path);
  // without a final [], an array value counts as its elements (as Qdrant indexes it)
  const values = endsInAll(path) ? found : found.flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (values.length === 1) return values[0];
  if (values.length > 1) return values;
  const name = showPath(path);
  if (f.payloadDefaults.has(name)) return f.payloadDefaults.get(name);
  throw typeError(name, type, "No value found in a payload nor defaults", p.id);
}

function typeError(name: string, type: string, description: string, id: PointId): Error {
  return wrongInput(
    `Expected ${type} value for ${name} in the payload and/or in the formula defaults. Error: ${description} ` +
      `(point ${JSON.stringify(id)}; give it a ${type} at ${name}, or a default: "defaults": {${JSON.stringify(name)}: ...})`,
  );
}

function toGeo(v: unknown): GeoPoint | string {
  let lon: unknown, lat: unknown;
  if (Array.isArray(v)) {
    if (v.length !== 2) return `invalid length ${v.length}, expected struct GeoPointShadow with 2 elements`;
    [lon, lat] = v;
  } else if (typeof v === "object" && v !== null) {
    ({ lon, lat } = v as Record<string, unknown>);
    if (lon === undefined) return "missing field `lon`";
    if (lat === undefined) return "missing field `lat`";
  } else return `invalid type: ${v === null ? "null" : typeof v === "string" ? `string ${JSON.stringify(v)}` : String(v)}, expected struct GeoPointShadow`;
  if (typeof lon !== "number" || typeof lat !== "number") return "invalid type: expected f64 for `lon` and `lat`";
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
    return `Wrong format of GeoPoint payload: expected \`lat\` = ${rustFloat(lat)} within [-90;90] and \`lon\` = ${rustFloat(lon)} within [-180;180]`;
  }
  return { lon, lat };
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?: ?(Z|z|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Seconds since the epoch of a date-time as Qdrant reads one
 * (DateTimePayloadType): RFC 3339, or without a zone (UTC), with `T` or a
 * space, seconds optional, or a date alone; microsecond precision.
 */
export function datetimeSeconds(s: string): number | undefined {
  const m = DATETIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", sec, frac = "", zone] = m;
  if (zone && sec === undefined) return undefined; // a zone needs the seconds (RFC 3339)
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(d) || back.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return undefined;
  let offsetMin = 0;
  if (zone && zone !== "Z" && zone !== "z") {
    const z = zone.replace(":", "");
    offsetMin = (zone[0] === "-" ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5) || 0));
  }
  const micros = (ms - offsetMin * 60_000) * 1000 + Number(frac.padEnd(6, "0").slice(0, 6)); // digits past µs are dropped
  return micros / 1e6;
}

function compile(f: Formula, e: Expr): Eval {
  switch (e.op) {
    case "const": {
      const v = e.value;
      return () => v;
    }
    case "score": {
      const i = e.index;
      const d = f.scoreDefaults.get(i);
      const dflt = typeof d === "number" ? d : 0; // a default that is not a number counts as none, as in Qdrant
      return (p) => p.scores[i] ?? dflt;
    }
    case "var": {
      const name = showPath(e.path);
      return (p) => {
        const v = payloadValue(f, e.path, p, "number");
        if (typeof v !== "number") throw typeError(name, "number", "Value is not a number", p.id);
        return v;
      };
    }
    case "cond": {
      const t = e.test;
      return (p) => (t(p.payload, p.id) ? 1 : 0);
    }
    case "geo": {
      const name = showPath(e.path);
      return (p) => {
        const g = toGeo(payloadValue(f, e.path, p, "geo point"));
        if (typeof g === "string") throw typeError(name, "geo point", g, p.id);
        return haversine(e.origin, g);
      };
    }
    case "datetime": {
      const s = e.seconds;
      return () => s;
    }
    case "datetime_key": {
      const name = showPath(e.path);
      return (p) => {
        const v = payloadValue(f, e.path, p, "datetime");
        if (typeof v !== "string") throw typeError(name, "datetime", "Value is not a string", p.id);
        const s = datetimeSeconds(v);
        if (s === undefined) throw typeError(name, "datetime", "input contains invalid characters", p.id);
        return s;
      };
    }
    case "sum": {
      const args = e.args.map((a) => compile(f, a));
      return (p) => {
        let s = 0;
        for (const a of args) s += a(p);
        return s;
      };
    }
    case "mult": {
      const args = e.args.map((a) => compile(f, a));
      return (p) => {
        let prod = 1;
        for (const a of args) {
          const v = a(p);
          if (v === 0) return 0; // Qdrant stops at a zero factor: the rest is not evaluated
          prod *= v;
        }
        return prod;
      };
    }
    case "div": {
      const left = compile(f, e.left);
      const right = compile(f, e.right);
      const byZero = e.byZero;
      return (p) => {
        const l = left(p);
        if (l === 0) return 0; // the divisor is not evaluated, as in Qdrant
        const r = right(p);
        if (r === 0 && byZero !== undefined) return byZero;
        const q = l / r;
        return checked(q, () => `${rustFloat(l)}/${rustFloat(r)} = ${rustFloat(q)}`);
      };
    }
    case "neg": {
      const a = compile(f, e.arg);
      return (p) => -a(p);
    }
    case "abs": {
      const a = compile(f, e.arg);
      return (p) => Math.abs(a(p));
    }
    case "sqrt":
    case "exp":
    case "log10":
    case "ln": {
      const a = compile(f, e.arg);
      const fn = { sqrt: Math.sqrt, exp: Math.exp, log10: Math.log10, ln: Math.log }[e.op];
      const show = e.op === "sqrt" ? (v: number, r: number) => `√${rustFloat(v)} = ${rustFloat(r)}` : (v: number, r: number) => `${e.op}(${rustFloat(v)}) = ${rustFloat(r)}`;
      return (p) => {
        const v = a(p);
        const r = fn(v);
        return checked(r, () => show(v, r));
      };
    }
    case "pow": {
      const base = compile(f, e.base);
      const exponent = compile(f, e.exponent);
      return (p) => {
        const b = base(p);
        const x = exponent(p);
        const r = rustPow(b, x);
        return checked(r, () => `${rustFloat(b)}^${rustFloat(x)} = ${rustFloat(r)}`);
      };
    }
    case "decay": {
      const x = compile(f, e.x);
      const target = e.target ? compile(f, e.target) : () => 0;
      const { kind, lambda } = e;
      return (p) => decay(kind, x(p), target(p), lambda);
    }
  }
}

/** Rust's f64::powf: as Math.pow, except that 1^x and x^0 are 1 even for NaN / infinite x (IEEE pow; JS answers NaN for 1^∞). */
function rustPow(b: number, x: number): number {
  if (b === 1 || x === 0) return 1;
  if (b === -1 && !Number.isFinite(x) && !Number.isNaN(x)) return 1;
  return Math.pow(b, x);
}

/**
 * Score a stage's candidates by a formula (Qdrant's rescore_with_formula):
 * every point of any prefetch list, with `$score[i]` its score in list i,
 * kept when its score reaches the threshold, best first (ties by id), cut at
 * plan.offset and plan.offset + plan.limit.
 * @throws EngineError (wrong input) when a point's formula has no value or a non-finite one.
 */
export function formulaHits(col: Collection, lists: Hit[][], formula: Formula, plan: QueryPlan): Hit[] {
  const run = compile(formula, formula.expr);
  // prefetch scores are f32 in Qdrant (ScoredPoint.score)
  const maps = lists.map((l) => new Map(l.map((h) => [h.row, Math.fround(h.score)])));
  const rows = new Set<number>();
  for (const l of lists) for (const h of l) rows.add(h.row);
  const t = plan.threshold;
  const out: Hit[] = [];
  for (const row of rows) {
    const v = run({ payload: col.payloadAt(row), id: col.idAt(row), scores: maps.map((m) => m.get(row)) });
    const score = Math.fround(v);
    if (!Number.isFinite(score)) throw nonFinite(`${rustFloat(v)} as f32 = ${rustFloat(score)}`);
    if (t === undefined || score >= t) out.push({ row, score });
  }
  out.sort((a, b) => b.score - a.score || compareIds(col.idAt(a.row), col.idAt(b.row)));
  return out.slice(plan.offset, plan.offset + plan.limit);
}
