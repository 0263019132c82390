/**
 * Qdrant's `order_by` and `sample` queries (lib/segment/src/data_types/order_by.rs,
 * segment/read_view/order_by.rs, collection/query.rs): points listed by the
 * values of a payload key that has a range index (integer with range, float,
 * datetime), ascending by default. A point is listed once for each of its
 * values (as Qdrant: an array [1, 5] puts it at 1 and at 5), only values on the
 * far side of `start_from` (asc: ≥, desc: ≤) count, and equal values fall to
 * the lower id first (asc) or the higher id first (desc), as Qdrant's
 * ScoredPointTies merge orders them. Scores are 0; the value is the answer's
 * `order_value` (datetimes as microseconds since the epoch, as Qdrant).
 * `sample: random` answers up to `limit` distinct points in random order.
 */

import { type Collection, compareIds } from "../state/collection.js";
import { type Step, valuesAt } from "../state/payload.js";
import type { Hit, QueryPlan } from "./search.js";

/** The kinds of payload index Qdrant can order by. */
export type RangeIndexKind = "integer" | "float" | "datetime";

/** A checked order_by. */
export interface OrderBy {
  key: string;
  steps: Step[];
  kind: RangeIndexKind;
  desc: boolean;
  /** In the index's units: numbers, or microseconds for datetime. */
  startFrom?: number;
}

/** A hit with the value it was ordered by. */
export interface OrderedHit extends Hit {
  orderValue: number;
}

/** The range index a recorded payload schema gives `order_by`, or undefined (keyword, integer with range: false, ...). */
export function rangeIndexKind(schema: unknown): RangeIndexKind | undefined {
  const o = typeof schema === "object" && schema !== null ? (schema as Record<string, unknown>) : undefined;
  const type = typeof schema === "string" ? schema : o?.type;
  if (type === "float" || type === "datetime") return type;
  if (type === "integer" && o?.range !== false) return "integer";
  return undefined;
}

/** One payload value as the index holds it, or undefined when that index skips it. */
export function indexValue(kind: RangeIndexKind, v: unknown): number | undefined {
  if (kind === "datetime") {
    if (typeof v !== "string") return undefined;
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms * 1000;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  return kind === "integer" && !Number.isInteger(v) ? undefined : v;
}

/** The rows a plan may answer: its candidates or filter, less the excluded points. */
function eligible(col: Collection, plan: QueryPlan): number[] {
  const rows = plan.rows ?? (plan.filter ? col.rowsWhere(plan.filter) : undefined);
  const out: number[] = [];
  const n = rows ? rows.length : col.count;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i]! : i;
    if (!plan.exclude.has(col.idAt(r))) out.push(r);
  }
  return out;
}

/** Run an order_by plan: (row, value) pairs in order, plan.offset cut, up to plan.limit. */
export function orderedHits(col: Collection, plan: QueryPlan, ob: OrderBy): OrderedHit[] {
  const all: OrderedHit[] = [];
  for (const row of eligible(col, plan)) {
    for (const v of valuesAt(col.payloadAt(row), ob.steps)) {
      for (const e of Array.isArray(v) ? v : [v]) {
        const x = indexValue(ob.kind, e);
        if (x === undefined) continue;
        if (ob.startFrom !== undefined && (ob.desc ? x > ob.startFrom : x < ob.startFrom)) continue;
        all.push({ row, score: 0, orderValue: x });
      }
    }
  }
  const sign = ob.desc ? -1 : 1;
  all.sort((a, b) => sign * (a.orderValue - b.orderValue) || sign * compareIds(col.idAt(a.row), col.idAt(b.row)));
  return all.slice(plan.offset, plan.offset + plan.limit);
}

/** Run a sample plan: up to plan.limit distinct points, chosen and ordered at random (partial Fisher–Yates). */
export function sampleHits(col: Collection, plan: QueryPlan, random: () => number = Math.random): Hit[] {
  const rows = eligible(col, plan);
  const k = Math.min(plan.limit, rows.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (rows.length - i));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.slice(0, k).map((row) => ({ row, score: 0 }));
}
