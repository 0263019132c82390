/**
 * Payloads: key paths (`a.b`, `a[].b`, `a[0]`, `a."b.c"`), reading values at a path the
 * way filters see them, and setting / deleting keys. Paths that reach here
 * were checked where they entered (engine/paths.ts says what is wrong).
 */

import type { Payload } from "../log/records.js";

export type { Payload };

/**
 * One step of a key path: an object key, then the indices that follow it
 * (`[n]`, or `[]` for every element), as in `a[0][]`. Qdrant's JsonPath is
 * a first key and items; a step groups a key with the indices after it.
 */
export interface Step {
  key: string;
  indices?: (number | "all")[];
  /**
   * Set on the steps of a filter logged before the store read paths as
   * Qdrant does: this key also steps into each object of an array, as the
   * store did then, so old logs replay onto the same points (records.ts, Selector).
   */
  spread?: true;
}

const pathCache = new Map<string, Step[]>();

/** Qdrant's unquoted key characters (json_path/parse.rs raw_str): Unicode letters and digits, `_`, `-`. */
const RAW = /^[\p{Alphabetic}\p{N}_-]+/u;

/**
 * Read Qdrant's JSON path grammar (lib/segment/src/json_path/parse.rs):
 * a first key, then `.key`, `[n]` or `[]` items. A key is unquoted (letters,
 * digits, `_`, `-`) or in double quotes (`a."b.c"[0]`, `"x y"`); a quoted key
 * holds any character but `"` and `\` (there are no escapes, as in Qdrant).
 * Returns the steps, or the offset where the path stops following the grammar.
 */
export function readPath(path: string): Step[] | number {
  const steps: Step[] = [];
  let i = 0;
  const key = (): string | undefined => {
    if (path[i] === '"') {
      const close = path.indexOf('"', i + 1);
      if (close < 0) return undefined;
      const k = path.slice(i + 1, close);
      if (k.includes("\\")) return undefined;
      i = close + 1;
      return k;
    }
    const m = RAW.exec(path.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const first = key();
  if (first === undefined) return 0;
  steps.push({ key: first });
  while (i < path.length) {
    const at = i;
    if (path[i] === ".") {
      i++;
      const k = key();
      if (k === undefined) return at;
      steps.push({ key: k });
    } else if (path[i] === "[") {
      const m = /^\[(\d*)\]/.exec(path.slice(i));
      if (!m || (m[1] !== "" && !Number.isSafeInteger(Number(m[1])))) return at;
      i += m[0].length;
      (steps[steps.length - 1]!.indices ??= []).push(m[1] === "" ? "all" : Number(m[1]));
    } else return at;
  }
  return steps;
}

/** Split `a.b[].c` / `a[2]` / `a."b.c"` into steps; null when the path does not follow Qdrant's grammar (readPath). Every path a request brings is checked by this. */
export function grammarPath(path: string): Step[] | null {
  const hit = pathCache.get(path);
  if (hit) return hit;
  const steps = readPath(path);
  if (typeof steps === "number") return null;
  if (pathCache.size > 10_000) pathCache.clear();
  pathCache.set(path, steps);
  return steps;
}

/**
 * The steps of a key the store once accepted (the log replays these): Qdrant's
 * grammar, or, for a key logged before the store read that grammar (say
 * `my key.x`), the plain split on dots it used then, so old logs replay as
 * they were written. Null when neither reads it.
 */
export function splitPath(path: string): Step[] | null {
  const steps = grammarPath(path);
  if (steps || path.length === 0) return steps;
  const old: Step[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]+)(?:\[(\d*)\])?$/.exec(part);
    if (!m) return null;
    old.push(m[2] === undefined ? { key: m[1]! } : { key: m[1]!, indices: [m[2] === "" ? "all" : Number(m[2])] });
  }
  return old;
}

/** Does a key need double quotes in a path (Qdrant's key_needs_quoting)? */
export function needsQuotes(key: string): boolean {
  const m = RAW.exec(key);
  return !m || m[0].length !== key.length;
}

/** A path written back as Qdrant displays a JsonPath: keys quoted where needed, indices as `[n]` / `[]`. */
export function showPath(steps: Step[]): string {
  return steps.map((s, i) => {
    const k = needsQuotes(s.key) ? `"${s.key}"` : s.key;
    const ix = (s.indices ?? []).map((x) => (x === "all" ? "[]" : `[${x}]`)).join("");
    return (i > 0 ? "." : "") + k + ix;
  }).join("");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The values at `steps` in `payload`, as Qdrant's JSON path reads them
 * (lib/segment/src/json_path: value_get): a key steps into an object only,
 * `[]` spreads an array into its elements, `[n]` takes one. A final array
 * stays one value (conditions then test its elements).
 */
export function valuesAt(payload: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [payload];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      // a key reads an object only: `a.b` does not reach into an array `a` (write `a[].b`), as Qdrant's value_get
      if (isObject(v) && Object.hasOwn(v, s.key)) next.push(v[s.key]);
      else if (s.spread && Array.isArray(v)) for (const e of v) if (isObject(e) && Object.hasOwn(e, s.key)) next.push(e[s.key]);
    }
    cur = next;
    for (const ix of s.indices ?? []) {
      const after: unknown[] = [];
      for (const v of cur) {
        if (!Array.isArray(v)) continue;
        if (ix === "all") after.push(...v);
        else if (ix < v.length) after.push(v[ix]);
      }
      cur = after;
    }
  }
  return cur;
}

/** Set an own data property: a key such as "__proto__" stays a plain key, never a prototype. */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
