/**
 * Limits on what one request may hold, checked where it enters and before
 * anything is logged or applied, so that a value accepted once can always be
 * served, logged, snapshotted and replayed:
 *
 *  - nesting: JSON.stringify, structuredClone and the filter compiler all
 *    recurse, and a few thousand levels overflow the stack (a 500 at the
 *    request, or worse a log record that cannot be replayed at restart). A
 *    body may nest at most {@link MAX_DEPTH} arrays and objects, as Qdrant's
 *    JSON parser (serde_json, recursion limit 128) allows. The check scans the
 *    raw bytes before JSON.parse, iteratively, so a deep body never becomes a
 *    deep object at all;
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

const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22, BACKSLASH = 0x5c, NEWLINE = 0x0a;

/**
 * Check a raw JSON body before it is parsed: valid UTF-8, nesting within {@link MAX_DEPTH}.
 * One pass over the bytes, skipping strings; O(n) time, O(1) memory.
 * @throws HttpError 400 worded as Qdrant's "Format error in JSON body: ..." with line and column.
 */
export function checkRawJson(raw: Buffer): void {
  if (!isUtf8(raw)) {
    throw new HttpError(400, `Format error in JSON body: the body is not valid UTF-8 (at byte ${firstBadUtf8(raw)}); send JSON text encoded as UTF-8`);
  }
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_DEPTH) {
        throw new HttpError(
          400,
          `Format error in JSON body: recursion limit exceeded at line ${line} column ${i - lineStart + 1}: ` +
            `the body nests arrays and objects deeper than ${MAX_DEPTH} levels; flatten the payload or filter`,
        );
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === NEWLINE) {
      line++;
      lineStart = i + 1;
    }
  }
}

/** The offset of the first byte that breaks UTF-8 (for the message; only called on a bad body). */
function firstBadUtf8(raw: Buffer): number {
  let lo = 0, hi = raw.length;
  // the shortest bad prefix: isUtf8 of a prefix may fail only because it cuts a character, so widen by 4
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isUtf8(raw.subarray(0, Math.min(raw.length, mid + 4)))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Check a parsed JSON value iteratively: at most `maxDepth` levels of arrays
 * and objects, and (with `finite`) every number finite.
 * @throws HttpError 400 naming the place.
 */
export function checkValue(value: unknown, where: string, o: { maxDepth?: number; finite?: boolean } = {}): void {
  const max = o.maxDepth ?? MAX_DEPTH;
  const stack: { v: unknown; depth: number; at: string }[] = [{ v: value, depth: 0, at: where }];
  while (stack.length) {
    const { v, depth, at } = stack.pop()!;
    if (typeof v === "number") {
      if (o.finite && !Number.isFinite(v)) throw badRequest(`${at} is ${v}; payload numbers must be finite`);
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > max) throw badRequest(`${where} is nested deeper than ${max} levels of arrays and objects (at ${at}); flatten it`);
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, at: `${at}[${i}]` });
    else for (const k of Object.keys(v)) stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, at: `${at}.${k}` });
  }
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
