/**
 * Qdrant's JSON-path writes and selections (lib/segment/src/json_path):
 * set payload at a `key`, delete keys, and `with_payload` include / exclude.
 * These differ from how filters read a path (payload.ts `valuesAt`): a write
 * or a selection follows the path item by item, so `a.b` does not reach into
 * an array `a` (that is `a[].b`), and `a[0]` is not `a[]`.
 */

import type { Payload, Step } from "./payload.js";
import { setOwn } from "./payload.js";

/** One item after the first key: an object key, an index, or `[]` (every element). */
type Item = { key: string } | { index: number } | { all: true };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Steps (`a[0].b` = a,[0],b) as Qdrant's first key and items. */
function itemsOf(steps: Step[]): { first: string; rest: Item[] } {
  const rest: Item[] = [];
  steps.forEach((s, i) => {
    if (i > 0) rest.push({ key: s.key });
    for (const ix of s.indices ?? []) rest.push(ix === "all" ? { all: true } : { index: ix });
  });
  return { first: steps[0]!.key, rest };
}

function same(a: Item, b: Item): boolean {
  if ("key" in a) return "key" in b && a.key === b.key;
  if ("index" in a) return "index" in b && a.index === b.index;
  return "all" in b;
}

function merge(dst: Record<string, unknown>, src: Payload): void {
  for (const [k, v] of Object.entries(src)) setOwn(dst, k, structuredClone(v));
}

/**
 * Set payload `src` at `steps` (Qdrant's value_set): keys create objects on
 * the way (replacing a non-object), `[n]` descends into an existing element
 * only (a non-array becomes `[]`), `[]` descends into every element (a
 * non-array becomes `[]`); at the end `src`'s keys are merged into the object
 * there (a non-object is replaced by one). No steps: merge at the top.
 */
export function setAtPath(payload: Payload, steps: Step[] | null, src: Payload): void {
  if (!steps || steps.length === 0) return merge(payload, src);
  const { first, rest } = itemsOf(steps);
  setInMap(payload, first, rest, src);
}

function setInMap(map: Record<string, unknown>, key: string, rest: Item[], src: Payload): void {
  if (Object.hasOwn(map, key)) {
    const box = { v: map[key] };
    setValue(rest, box, src);
    setOwn(map, key, box.v);
  } else {
    const box = { v: null as unknown };
    setValue(rest, box, src);
    setOwn(map, key, box.v);
  }
}

function setValue(path: Item[], box: { v: unknown }, src: Payload): void {
  const [head, ...rest] = path;
  if (!head) {
    if (!isObject(box.v)) box.v = {};
    merge(box.v as Record<string, unknown>, src);
    return;
  }
  if ("key" in head) {
    if (!isObject(box.v)) box.v = {};
    setInMap(box.v as Record<string, unknown>, head.key, rest, src);
  } else if ("index" in head) {
    if (!Array.isArray(box.v)) box.v = [];
    const arr = box.v as unknown[];
    if (head.index < arr.length) {
      const el = { v: arr[head.index] };
      setValue(rest, el, src);
      arr[head.index] = el.v;
    }
  } else if (Array.isArray(box.v)) {
    const arr = box.v;
    for (let i = 0; i < arr.length; i++) {
      const el = { v: arr[i] };
      setValue(rest, el, src);
      arr[i] = el.v;
    }
  } else box.v = [];
}

/**
 * Delete what `steps` names (Qdrant's value_remove): a final key is removed
 * from the object there, a final `[]` empties the array, a final `[n]` does
 * nothing (deleting an index would not be idempotent).
 */
export function removeAtPath(payload: Payload, steps: Step[]): void {
  const { first, rest } = itemsOf(steps);
  if (rest.length === 0) {
    delete payload[first];
    return;
  }
  if (Object.hasOwn(payload, first)) removeIn(rest[0]!, rest.slice(1), payload[first]);
}

function removeIn(head: Item, rest: Item[], v: unknown): void {
  if (rest.length > 0) {
    if ("key" in head) {
      if (isObject(v) && Object.hasOwn(v, head.key)) removeIn(rest[0]!, rest.slice(1), v[head.key]);
    } else if ("index" in head) {
      if (Array.isArray(v) && head.index < v.length) removeIn(rest[0]!, rest.slice(1), v[head.index]);
    } else if (Array.isArray(v)) for (const e of v) removeIn(rest[0]!, rest.slice(1), e);
    return;
  }
  if ("key" in head) {
    if (isObject(v)) delete v[head.key];
  } else if ("all" in head && Array.isArray(v)) v.length = 0;
}

/**
 * Keep the parts of `payload` that `keep` accepts, walking it as Qdrant's
 * value_filter does: each object key and array element is offered with its
 * path (array elements as `[]`); a refused node is dropped, an accepted one
 * is walked further.
 */
function filterPayload(payload: Payload, keep: (first: string, rest: Item[]) => boolean): Payload {
  const out: Payload = {};
  for (const [k, v] of Object.entries(payload)) {
    if (keep(k, [])) setOwn(out, k, walk(k, [], v, keep));
  }
  return out;
}

function walk(first: string, rest: Item[], v: unknown, keep: (first: string, rest: Item[]) => boolean): unknown {
  if (Array.isArray(v)) {
    const path = [...rest, { all: true } as Item];
    return v.filter((e) => keep(first, path)).map((e) => walk(first, path, e, keep));
  }
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) {
      const path = [...rest, { key: k }];
      if (keep(first, path)) setOwn(o, k, walk(first, path, e, keep));
    }
    return o;
  }
  return v;
}

/** `with_payload: {include}` (Qdrant's check_include_pattern): a node stays when it and a pattern agree item by item as far as both go. */
export function includePaths(payload: Payload, patterns: Step[][]): Payload {
  const ps = patterns.map(itemsOf);
  return filterPayload(payload, (first, rest) =>
    ps.some((p) => p.first === first && rest.every((item, i) => i >= p.rest.length || same(item, p.rest[i]!))));
}

/** `with_payload: {exclude}` (Qdrant's check_exclude_pattern): a node goes when a pattern is a prefix of its path. */
export function excludePaths(payload: Payload, patterns: Step[][]): Payload {
  const ps = patterns.map(itemsOf);
  return filterPayload(payload, (first, rest) =>
    !ps.some((p) => p.first === first && p.rest.length <= rest.length && p.rest.every((item, i) => same(rest[i]!, item))));
}

/**
 * The values at `steps` as Qdrant's JsonPath::value_get reads them: item by
 * item, a key only into an object, `[n]` / `[]` only into an array (so `a.b`
 * does not reach into an array `a`; that is `a[].b`).
 */
export function valuesAlong(payload: Payload, steps: Step[]): unknown[] {
  return pathReader(steps)(payload);
}

/** valuesAlong for one path read many times (a formula's variable): the path is taken apart once. */
export function pathReader(steps: Step[]): (payload: Payload) => unknown[] {
  const { first, rest } = itemsOf(steps);
  return (payload) => {
    const out: unknown[] = [];
    if (Object.hasOwn(payload, first)) collect(rest, 0, payload[first], out);
    return out;
  };
}

function collect(path: Item[], i: number, v: unknown, out: unknown[]): void {
  const head = path[i];
  if (!head) {
    out.push(v);
    return;
  }
  if ("key" in head) {
    if (isObject(v) && Object.hasOwn(v, head.key)) collect(path, i + 1, v[head.key], out);
  } else if (!Array.isArray(v)) return;
  else if ("index" in head) {
    if (head.index < v.length) collect(path, i + 1, v[head.index], out);
  } else for (const e of v) collect(path, i + 1, e, out);
}

/** Does the path end in `[]` (Qdrant's has_wildcard_suffix)? */
export function endsInAll(steps: Step[]): boolean {
  const ix = steps[steps.length - 1]?.indices;
  return ix !== undefined && ix[ix.length - 1] === "all";
}
