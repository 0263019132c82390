/** Payload key paths and payloads checked where they enter; the state then uses them without checks. */

import type { Payload } from "../log/records.js";
import { type Step, splitPath } from "../state/payload.js";
import { show, wrongInput } from "./errors.js";
import { checkValue, MAX_PATH_STEPS } from "./limits.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parse `a.b[].c` / `a[2]` into steps. @throws EngineError (wrong input) for an empty key or bad brackets. */
export function parsePath(path: unknown, where: string): Step[] {
  if (typeof path !== "string" || path.length === 0) {
    throw wrongInput(`${where}: a payload key must be a non-empty string like "color" or "country.cities[].name", got ${show(path)}`);
  }
  const steps = splitPath(path);
  if (!steps) {
    const part = path.split(".").find((p) => !/^([^[\]]+)(?:\[(\d*)\])?$/.test(p)) ?? path;
    throw wrongInput(`${where}: payload key ${show(path)} is malformed at ${show(part)}; use "a.b", "a[].b" or "a[0]"`);
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
