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
import { endsInAll, pathReader } from "../state/json-path.js";
import { type Payload, type Step, showPath } from "../state/payload.js";
import { wrongInput } from "./errors.js";
import { datetimeSeconds, type DecayKind, decay, type GeoPoint, haversine, rustFloat, rustPow, toGeo } from "./formula-functions.js";

export type { DecayKind, GeoPoint };
import type { Hit, QueryPlan } from "./search.js";

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

function nonFinite(expression: string): Error {
  return wrongInput(`The expression ${expression} produced a non-finite number; change the formula or the payload values so that every step stays finite`);
}

function checked(v: number, expression: () => string): number {
  if (Number.isFinite(v)) return v;
  throw nonFinite(expression());
}

/**
 * The value a payload variable has for a point, as Qdrant's retriever finds it
 * (one value, or an array of several), else its default; the path is taken
 * apart once per formula.
 */
function payloadValue(f: Formula, path: Step[], type: string): (p: Point) => unknown {
  const read = pathReader(path);
  // without a final [], an array value counts as its elements (as Qdrant indexes it)
  const spread = !endsInAll(path);
  const name = showPath(path);
  const missing = (p: Point) => {
    if (f.payloadDefaults.has(name)) return f.payloadDefaults.get(name);
    throw typeError(name, type, "No value found in a payload nor defaults", p.id);
  };
  if (path.every((s) => !s.indices)) {
    // keys only (the usual case): walk them without collecting a list
    const keys = path.map((s) => s.key);
    return (p) => {
      let v: unknown = p.payload;
      for (const k of keys) {
        if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, k)) return missing(p);
        v = (v as Record<string, unknown>)[k];
      }
      if (!Array.isArray(v)) return v;
      return v.length === 1 ? v[0] : v.length === 0 ? missing(p) : v;
    };
  }
  return (p) => {
    const found = read(p.payload);
    if (found.length === 1 && !(spread && Array.isArray(found[0]))) return found[0];
    const values = spread ? found.flatMap((v) => (Array.isArray(v) ? v : [v])) : found;
    if (values.length === 1) return values[0];
    return values.length > 1 ? values : missing(p);
  };
}

function typeError(name: string, type: string, description: string, id: PointId): Error {
  return wrongInput(
    `Expected ${type} value for ${name} in the payload and/or in the formula defaults. Error: ${description} ` +
      `(point ${JSON.stringify(id)}; give it a ${type} at ${name}, or a default: "defaults": {${JSON.stringify(name)}: ...})`,
  );
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
      const get = payloadValue(f, e.path, "number");
      return (p) => {
        const v = get(p);
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
      const get = payloadValue(f, e.path, "geo point");
      return (p) => {
        const g = toGeo(get(p));
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
      const get = payloadValue(f, e.path, "datetime");
      return (p) => {
        const v = get(p);
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

/**
 * Score a stage's candidates by a formula (Qdrant's rescore_with_formula):
 * every point of any prefetch list, with `$score[i]` its score in list i,
 * kept when its score reaches the threshold, best first (ties by id), cut at
 * plan.offset and plan.offset + plan.limit.
 * @throws EngineError (wrong input) when a point's formula has no value or a non-finite one.
 */
export function formulaHits(col: Collection, lists: Hit[][], formula: Formula, plan: QueryPlan): Hit[] {
  const run = compile(formula, formula.expr);
  // the candidates in first-seen order, and each one's score in each list (f32, as Qdrant's ScoredPoint.score)
  const at = new Map<number, number>();
  const rows: number[] = [];
  const scores: (number | undefined)[][] = lists.map(() => []);
  lists.forEach((l, i) => {
    for (const h of l) {
      let k = at.get(h.row);
      if (k === undefined) {
        k = rows.length;
        at.set(h.row, k);
        rows.push(h.row);
      }
      scores[i]![k] = Math.fround(h.score);
    }
  });
  const t = plan.threshold;
  const want = plan.offset + plan.limit;
  const better = (a: Hit, b: Hit) => a.score > b.score || (a.score === b.score && compareIds(col.idAt(a.row), col.idAt(b.row)) < 0);
  const top: Hit[] = []; // the best `want` so far, best first
  const point: Point = { payload: {}, id: 0, scores: new Array<number | undefined>(lists.length) }; // one, refilled per candidate
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    point.payload = col.payloadAt(row);
    point.id = col.idAt(row);
    for (let i = 0; i < scores.length; i++) point.scores[i] = scores[i]![k];
    const v = run(point);
    const score = Math.fround(v);
    if (!Number.isFinite(score)) throw nonFinite(`${rustFloat(v)} as f32 = ${rustFloat(score)}`);
    if (t !== undefined && score < t) continue;
    const h = { row, score };
    if (top.length === want && !better(h, top[want - 1]!)) continue;
    // insert in place: want is the answer's offset + limit, small next to the candidates
    let j = top.length === want ? want - 1 : top.length;
    top[j] = h;
    while (j > 0 && better(h, top[j - 1]!)) {
      top[j] = top[j - 1]!;
      top[--j] = h;
    }
  }
  return top.slice(plan.offset);
}
