/**
 * Payloads: key paths (`a.b`, `a[].b`, `a[0]`), reading values at a path the
 * way filters see them, setting / deleting keys, and the `with_payload`
 * selector (bool, list of keys, `{ include }`, `{ exclude }`).
 */

import { badRequest, show } from "./errors.js";
import { checkValue, MAX_PATH_STEPS } from "./limits.js";

/** A point's payload: a JSON object. */
export type Payload = Record<string, unknown>;

/** One step of a key path: an object key, optionally followed by `[]` (every element) or `[n]`. */
interface Step {
  key: string;
  index?: number | "all";
}

const pathCache = new Map<string, Step[]>();

/** Parse `a.b[].c` / `a[2]` into steps. @throws HttpError 400 for an empty key or bad brackets. */
export function parsePath(path: unknown, where: string): Step[] {
  if (typeof path !== "string" || path.length === 0) {
    throw badRequest(`${where}: a payload key must be a non-empty string like "color" or "country.cities[].name", got ${show(path)}`);
  }
  const hit = pathCache.get(path);
  if (hit) return hit;
  const steps: Step[] = [];
  const parts = path.split(".");
  if (parts.length > MAX_PATH_STEPS) throw badRequest(`${where}: payload key ${show(path)} has ${parts.length} steps; at most ${MAX_PATH_STEPS} are allowed`);
  for (const part of parts) {
    const m = /^([^[\]]+)(?:\[(\d*)\])?$/.exec(part);
    if (!m) throw badRequest(`${where}: payload key ${show(path)} is malformed at ${show(part)}; use "a.b", "a[].b" or "a[0]"`);
    steps.push(m[2] === undefined ? { key: m[1]! } : { key: m[1]!, index: m[2] === "" ? "all" : Number(m[2]) });
  }
  if (pathCache.size > 10_000) pathCache.clear();
  pathCache.set(path, steps);
  return steps;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The values at `steps` in `payload`. Descending by key into an array of
 * objects visits each object; `[]` spreads an array into its elements. A
 * final array stays one value (conditions then test its elements).
 */
export function valuesAt(payload: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [payload];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (isObject(v)) {
        if (Object.hasOwn(v, s.key)) next.push(v[s.key]);
      } else if (Array.isArray(v)) {
        for (const e of v) if (isObject(e) && Object.hasOwn(e, s.key)) next.push(e[s.key]);
      }
    }
    if (s.index === undefined) cur = next;
    else {
      cur = [];
      for (const v of next) {
        if (!Array.isArray(v)) continue;
        if (s.index === "all") cur.push(...v);
        else if (s.index < v.length) cur.push(v[s.index]);
      }
    }
  }
  return cur;
}

/** Set `value` (merged as keys) at the object under `steps`, creating objects on the way. */
export function mergeAt(payload: Payload, steps: Step[] | null, value: Payload): void {
  let target: Record<string, unknown> = payload;
  for (const s of steps ?? []) {
    const next = Object.hasOwn(target, s.key) ? target[s.key] : undefined;
    if (!isObject(next)) define(target, s.key, {});
    target = target[s.key] as Record<string, unknown>;
  }
  for (const [k, v] of Object.entries(structuredClone(value))) define(target, k, v);
}

/** Set an own data property: a key such as "__proto__" stays a plain key, never a prototype. */
function define(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Delete the key at `steps` (in every object the path reaches). */
export function deleteAt(payload: Payload, steps: Step[]): void {
  const parents = valuesAt(payload, steps.slice(0, -1));
  const last = steps[steps.length - 1]!;
  for (const p of parents) {
    const objs = Array.isArray(p) && last.index === undefined ? p : [p];
    for (const o of objs) if (isObject(o)) delete o[last.key];
  }
}

/** A compiled `with_payload`: returns the payload to send, or null for none. */
export type PayloadSelector = (p: Payload) => Payload | null;

/** @throws HttpError 400 for a selector of unknown shape. */
export function parseWithPayload(value: unknown, dflt: boolean, where: string): PayloadSelector {
  if (value === undefined || value === null) value = dflt;
  if (value === true) return (p) => p;
  if (value === false) return () => null;
  if (Array.isArray(value)) return include(value, where);
  if (isObject(value)) {
    if (Array.isArray(value.include)) return include(value.include, `${where}.include`);
    if (Array.isArray(value.exclude)) {
      const paths = value.exclude.map((k, i) => parsePath(k, `${where}.exclude[${i}]`));
      return (p) => {
        const copy = structuredClone(p);
        for (const s of paths) deleteAt(copy, s);
        return copy;
      };
    }
  }
  throw badRequest(`${where} must be true, false, a list of keys, {"include": [...]} or {"exclude": [...]}, got ${show(value)}`);
}

function include(keys: unknown[], where: string): PayloadSelector {
  const paths = keys.map((k, i) => ({ key: k as string, steps: parsePath(k, `${where}[${i}]`) }));
  return (p) => {
    const out: Payload = {};
    for (const { steps } of paths) copyPath(p, out, steps);
    return out;
  };
}

function copyPath(src: Record<string, unknown>, dst: Record<string, unknown>, steps: Step[]): void {
  const [s, ...rest] = steps;
  if (!s || !Object.hasOwn(src, s.key)) return;
  const v = src[s.key];
  if (rest.length === 0 || s.index !== undefined) {
    define(dst, s.key, structuredClone(v));
    return;
  }
  if (isObject(v)) {
    const sub = Object.hasOwn(dst, s.key) && isObject(dst[s.key]) ? (dst[s.key] as Record<string, unknown>) : {};
    define(dst, s.key, sub);
    copyPath(v, sub, rest);
  } else if (Array.isArray(v)) define(dst, s.key, structuredClone(v));
}

/** Check that a request's payload is a JSON object (or null for none). */
export function parsePayload(value: unknown, where: string, allowNull = true): Payload | null {
  if ((value === undefined || value === null) && allowNull) return null;
  if (!isObject(value)) throw badRequest(`${where} must be a JSON object, got ${show(value)}`);
  checkValue(value, where, { finite: true });
  return value;
}
