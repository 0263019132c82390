/**
 * Limits on what one request may hold, checked where it enters and before
 * anything is logged or applied, so that a value accepted once can always be
 * served, logged, snapshotted and replayed:
 *
 *  - nesting: JSON.stringify, structuredClone and the filter compiler all
 *    recurse, and a few thousand levels overflow the stack (a 500 at the
 *    request, or worse a log record that cannot be replayed at restart). A
 *    body may nest at most {@link MAX_DEPTH} arrays and objects, as Qdrant's
 *    JSON parser (serde_json, recursion limit 128) allows. V8's JSON.parse is
 *    iterative, so the parsed body is walked once, iteratively, before
 *    anything else touches it;
 *  - numbers: vectors are stored as f32, so a component must be finite once
 *    rounded to f32 (3.4028236e38 is a finite double but +Infinity as f32); a
 *    payload number must be finite (JSON cannot write Infinity back: it would
 *    read back as null after a restart);
 *  - key paths: at most {@link MAX_PATH_STEPS} steps, so a set_payload at a
 *    path cannot build a payload deeper than the nesting limit.
 */

import { isUtf8 } from "node:buffer";
import { badRequest, HttpError, show } from "./errors.js";

/** The deepest nesting of arrays and objects a request body (or an in-process payload or query) may have. */
export const MAX_DEPTH = 127;
/** The most steps (`a.b[].c` is three) a payload key path may have. */
export const MAX_PATH_STEPS = 64;
/** The largest magnitude an f32 holds. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * Check a request body before it is parsed: valid UTF-8 (JSON.parse would
 * silently turn bad bytes into U+FFFD, storing something nobody sent).
 * @throws HttpError 400 worded as Qdrant's "Format error in JSON body: ...".
 */
export function checkUtf8(raw: Buffer): void {
  if (!isUtf8(raw)) {
    throw new HttpError(400, `Format error in JSON body: the body is not valid UTF-8 (at byte ${firstBadUtf8(raw)}); send JSON text encoded as UTF-8`);
  }
}

/**
 * Check a parsed body's nesting. V8's JSON.parse does not recurse (a body
 * 100,000 levels deep parses), but everything after it may, so the parsed
 * value is walked once, iteratively, before any of it is used. (Measured on
 * 361 KiB upsert bodies of 256 points: parse and read the vectors 1.00, with
 * this walk 1.13; a JS scan of the raw bytes before the parse was slower.)
 * @throws HttpError 400 "Format error in JSON body: recursion limit exceeded ..." naming the place.
 */
export function checkBodyDepth(body: unknown): void {
  if (!violates(body, MAX_DEPTH, false)) return;
  throw new HttpError(
    400,
    `Format error in JSON body: recursion limit exceeded: the body nests arrays and objects deeper than ${MAX_DEPTH} levels ` +
      `(at ${clip(locate(body, "body", MAX_DEPTH, false).at)}); flatten the payload or filter`,
  );
}

/** The offset of the first byte that breaks UTF-8 (for the message; only called on a bad body). */
function firstBadUtf8(raw: Buffer): number {
  let lo = 0, hi = raw.length;
  // the shortest bad prefix: a prefix may fail only because it cuts a character, so widen it by 4
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isUtf8(raw.subarray(0, Math.min(raw.length, mid + 4)))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 60)}...${s.slice(-40)}` : s;
}

/** Does `value` nest deeper than `max` (or, with `finite`, hold a non-finite number)? A lean walk: no paths, no arrays of keys. */
function violates(value: unknown, max: number, finite: boolean): boolean {
  if (typeof value === "number") return finite && !Number.isFinite(value);
  if (typeof value !== "object" || value === null) return false;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop() as Record<string, unknown>;
    const d = depths.pop()!;
    if (d > max) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (typeof e === "object") {
          if (e !== null) {
            stack.push(e);
            depths.push(d + 1);
          }
        } else if (finite && typeof e === "number" && !Number.isFinite(e)) return true;
      }
    } else {
      // for-in over a parsed JSON object visits exactly its own keys ("__proto__" included)
      for (const k in v) {
        const e = v[k];
        if (typeof e === "object") {
          if (e !== null) {
            stack.push(e);
            depths.push(d + 1);
          }
        } else if (finite && typeof e === "number" && !Number.isFinite(e)) return true;
      }
    }
  }
  return false;
}

/** Where the first violation is, with its path (the slow walk, run only to word an error). */
function locate(value: unknown, where: string, max: number, finite: boolean): { at: string; value: unknown; deep: boolean } {
  const stack: { v: unknown; depth: number; at: string }[] = [{ v: value, depth: 0, at: where }];
  while (stack.length) {
    const { v, depth, at } = stack.pop()!;
    if (typeof v === "number") {
      if (finite && !Number.isFinite(v)) return { at, value: v, deep: false };
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > max) return { at, value: v, deep: true };
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, at: `${at}[${i}]` });
    else for (const k of Object.keys(v).reverse()) stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, at: `${at}.${k}` });
  }
  return { at: where, value, deep: false };
}

/**
 * Check a parsed JSON value iteratively: at most `maxDepth` levels of arrays
 * and objects, and (with `finite`) every number finite.
 * @throws HttpError 400 naming the place.
 */
export function checkValue(value: unknown, where: string, o: { maxDepth?: number; finite?: boolean } = {}): void {
  const max = o.maxDepth ?? MAX_DEPTH;
  const finite = o.finite ?? false;
  if (!violates(value, max, finite)) return;
  const bad = locate(value, where, max, finite);
  if (bad.deep) throw badRequest(`${where} is nested deeper than ${max} levels of arrays and objects (at ${clip(bad.at)}); flatten it`);
  throw badRequest(`${bad.at} is ${String(bad.value)}; payload numbers must be finite`);
}

/** Levels of arrays and objects in a parsed value (0 for a scalar), counted iteratively. */
export function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    max = Math.max(max, d + 1);
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

/**
 * One vector component as an f32: a number whose f32 rounding is finite.
 * @throws HttpError 400 naming the place and the value.
 */
export function f32(x: unknown, where: string): number {
  if (typeof x !== "number") throw badRequest(`${where} must be a finite number, got ${show(x)}`);
  const f = Math.fround(x);
  if (!Number.isFinite(f)) {
    throw badRequest(`${where} is ${x}, outside the range of a 32-bit float (±${F32_MAX}); vectors are stored as f32, scale the vector down`);
  }
  return f;
}
