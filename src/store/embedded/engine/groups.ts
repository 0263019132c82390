/**
 * Qdrant's grouped queries (lib/shard/src/grouping/aggregator.rs), computed
 * exactly rather than by Qdrant's repeated searches: the hits are walked best
 * first; a hit joins the group of each distinct value of the `group_by` key
 * (an array gives several), strings and integers only; a hit with a value of
 * another type (float, bool, null, object) or without the key joins none. A
 * group holds its best `groupSize` hits; groups rank by their best hit, and
 * the first `limit` are answered.
 */

import { type Step, valuesAt } from "../state/payload.js";
import type { Collection } from "../state/collection.js";
import type { Hit } from "./search.js";

/** A group's key: a string or an integer, as Qdrant's GroupId. */
export type GroupId = string | number;

/** One answered group: its key and its hits, best first. */
export interface Group {
  id: GroupId;
  hits: Hit[];
}

/** The group keys of one payload, or undefined when Qdrant would skip the point. */
export function groupKeys(payload: unknown, steps: Step[]): GroupId[] | undefined {
  const flat: unknown[] = [];
  for (const v of valuesAt(payload, steps)) {
    if (Array.isArray(v)) flat.push(...v);
    else flat.push(v);
  }
  if (flat.length === 0) return undefined;
  const keys = new Set<GroupId>();
  for (const v of flat) {
    if (typeof v === "string" || (typeof v === "number" && Number.isSafeInteger(v))) keys.add(v);
    else return undefined; // one value of another type: Qdrant drops the whole point (BadKeyType)
  }
  return [...keys];
}

/** Group hits given best first. */
export function groupHits(col: Collection, hits: Hit[], steps: Step[], groupSize: number, limit: number): Group[] {
  const groups = new Map<GroupId, Hit[]>(); // insertion order = order of each group's best hit
  for (const h of hits) {
    const keys = groupKeys(col.payloadAt(h.row), steps);
    if (!keys) continue;
    for (const k of keys) {
      let g = groups.get(k);
      if (!g) {
        if (groups.size >= limit) continue; // a new group now ranks below `limit` better ones
        g = [];
        groups.set(k, g);
      }
      if (g.length < groupSize) g.push(h);
    }
  }
  return [...groups].map(([id, g]) => ({ id, hits: g }));
}
