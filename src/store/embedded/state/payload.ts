/**
 * Payloads: key paths (`a.b`, `a[].b`, `a[0]`), reading values at a path the
 * way filters see them, and setting / deleting keys. Paths that reach here
 * were checked where they entered (engine/paths.ts says what is wrong).
 */

import type { Payload } from "../log/records.js";

export type { Payload };

/** One step of a key path: an object key, optionally followed by `[]` (every element) or `[n]`. */
export interface Step {
  key: string;
  index?: number | "all";
}

const pathCache = new Map<string, Step[]>();

/** Split `a.b[].c` / `a[2]` into steps; null when the path is empty or its brackets are malformed. */
export function splitPath(path: string): Step[] | null {
  const hit = pathCache.get(path);
  if (hit) return hit;
  if (path.length === 0) return null;
  const steps: Step[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]+)(?:\[(\d*)\])?$/.exec(part);
    if (!m) return null;
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

/** Set an own data property: a key such as "__proto__" stays a plain key, never a prototype. */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}
