/** Payload key paths and payloads checked where they enter; the state then uses them without checks. */

import type { Payload } from "../log/records.js";
import { readPath, type Step, grammarPath } from "../state/payload.js";
import { show, wrongInput } from "./errors.js";
import { checkValue, MAX_PATH_STEPS } from "./limits.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parse a key path in Qdrant's grammar (`a.b[].c`, `a[2]`, `a."b.c"`) into steps.
 * @throws EngineError (wrong input) for an empty key or one that does not follow the grammar, naming where it stops.
 */
export function parsePath(path: unknown, where: string): Step[] {
  if (typeof path !== "string" || path.length === 0) {
    throw wrongInput(`${where}: a payload key must be a non-empty string like "color" or "country.cities[].name", got ${show(path)}`);
  }
  const steps = grammarPath(path);
  if (!steps) {
    const at = readPath(path) as number;
    throw wrongInput(
      `${where}: Invalid json path: '${path}' (it stops following the path grammar at character ${at + 1}, ${show(path.slice(at, at + 20))}); ` +
        `write keys of letters, digits, "_" and "-" joined by ".", indices as [n] or [], and put a key holding other characters in double quotes: a."b.c"[0]`,
    );
  }
  if (steps.length > MAX_PATH_STEPS) throw wrongInput(`${where}: payload key ${show(path)} has ${steps.length} steps; at most ${MAX_PATH_STEPS} are allowed`);
  return steps;
}

/** Check that a payload is a JSON object (or null for none). */
export function parsePayload(value: unknown, where: string, allowNull = true): Payload | null {
  if ((value === undefined || value === null) && allowNull) return null;
  if (!isObject(value)) throw wrongInput(`${where} must be a JSON object, got ${show(value)}`);
  checkValue(value, where, { finite: true });
  return value;
}
