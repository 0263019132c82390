/** The `with_payload` selector (bool, list of keys, `{ include }`, `{ exclude }`): which part of a payload an answer carries. */

import { show } from "../engine/errors.js";
import { badRequest } from "./errors.js";
import { parsePath } from "../engine/paths.js";
import { excludePaths, includePaths } from "../state/json-path.js";
import type { Payload } from "../state/payload.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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
      return (p) => excludePaths(p, paths);
    }
  }
  throw badRequest(`${where} must be true, false, a list of keys, {"include": [...]} or {"exclude": [...]}, got ${show(value)}`);
}

function include(keys: unknown[], where: string): PayloadSelector {
  const paths = keys.map((k, i) => parsePath(k, `${where}[${i}]`));
  return (p) => includePaths(p, paths);
}
