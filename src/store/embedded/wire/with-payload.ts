/** The `with_payload` selector (bool, list of keys, `{ include }`, `{ exclude }`): which part of a payload an answer carries. */

import { show } from "../engine/errors.js";
import { badRequest } from "./errors.js";
import { parsePath } from "../engine/paths.js";
import type { Payload, Step } from "../state/payload.js";
import { deleteAt, setOwn } from "../state/payload.js";

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
    setOwn(dst, s.key, structuredClone(v));
    return;
  }
  if (isObject(v)) {
    const sub = Object.hasOwn(dst, s.key) && isObject(dst[s.key]) ? (dst[s.key] as Record<string, unknown>) : {};
    setOwn(dst, s.key, sub);
    copyPath(v, sub, rest);
  } else if (Array.isArray(v)) setOwn(dst, s.key, structuredClone(v));
}
