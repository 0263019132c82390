/**
 * Point ids as Qdrant has them: an unsigned integer or a UUID. Integers are
 * kept as JS numbers (so up to 2^53 − 1 here, a documented limit); UUIDs in
 * their canonical lowercase hyphenated form, whichever form they came in.
 *
 * This parser is the store's own, beside the library's src/data/point-id.ts
 * (whose type and UUID pattern it uses): a request body's id is refused in
 * Qdrant's words (an EngineError answered as "Wrong input: ...") and may come
 * in forms the library never makes (32 hex digits without hyphens).
 */

import { UUID_PATTERN } from "../../../data/point-id.js";
import type { PointId } from "../log/records.js";
import { show, wrongInput } from "./errors.js";

export type { PointId };

const SIMPLE = /^[0-9a-f]{32}$/;

/**
 * Check and normalize one point id.
 * @throws EngineError (wrong input) when `value` is neither an unsigned integer nor a UUID.
 */
export function parseId(value: unknown, where: string): PointId {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    if (Number.isInteger(value) && value > 0) {
      throw wrongInput(`${where}: point id ${value} is above 2^53 - 1, the largest integer id the embedded store keeps; use a UUID id`);
    }
  } else if (typeof value === "string") {
    const s = value.toLowerCase();
    if (UUID_PATTERN.test(s)) return s;
    if (SIMPLE.test(s)) return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
  throw wrongInput(
    `${where}: point id ${show(value)} is neither an unsigned integer nor a UUID; ` +
      `use e.g. 42 or "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"`,
  );
}

/** A list of point ids; rejects a non-array. */
export function parseIds(value: unknown, where: string): PointId[] {
  if (!Array.isArray(value)) throw wrongInput(`${where} must be an array of point ids, got ${show(value)}`);
  return value.map((v, i) => parseId(v, `${where}[${i}]`));
}
