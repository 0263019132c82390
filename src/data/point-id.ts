/**
 * Point ids, the one definition every part uses: Qdrant keys a point by an
 * unsigned integer or a UUID, and so do margin's stores, the page's API, the
 * CLI and the marks. The embedded store's wire keeps its own parser beside
 * this one (src/store/embedded/engine/ids.ts) because it must refuse in
 * Qdrant's words and accept the forms Qdrant accepts.
 */

/** A point id: an unsigned integer or a UUID string. */
export type PointId = string | number;

/** A UUID in its canonical hyphenated form, in either case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Decimal digits only: "1e3", "0x10", " 7" or "+7" are not ids, whatever Number() makes of them.
const DECIMAL = /^\d+$/;

/**
 * The point id a piece of text names (a URL segment, a command-line word): a
 * UUID, lower-cased, or an unsigned integer in decimal that a JS number holds
 * exactly; undefined for anything else, so the caller can say what it expected.
 */
export function pointIdFromText(text: string): PointId | undefined {
  if (UUID_PATTERN.test(text)) return text.toLowerCase();
  if (DECIMAL.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  return undefined;
}

/** Whether `value` is a point id: a non-negative safe integer or a UUID string. */
export function isPointId(value: unknown): value is PointId {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0;
  return typeof value === "string" && UUID_PATTERN.test(value);
}
