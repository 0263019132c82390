/**
 * Search: a checked plan (nearest, recommend average_vector / best_score, or
 * none: id order) executed on the collection's kernels. Exact scan:
 * `Kernels.nearest` over the collection's wasm block, a filter pre-selecting
 * rows. Scores as Qdrant gives them: Cosine = dot of normalized vectors, Dot
 * = dot (both descending); Euclid = distance, Manhattan = L1 distance (both
 * ascending). The feedback queries (recommend best_score / sum_scores,
 * discover, context, relevance_feedback) score every candidate from its
 * similarities to their examples (feedback-queries.ts).
 */

import { isDistance } from "../../../kernels/index.js";
import type { PointId } from "../log/records.js";
import type { Collection, Predicate } from "../state/collection.js";
import { type CustomQuery, runCustomQuery } from "./feedback-queries.js";
import { scroll } from "./scroll.js";
import { distancesSafe, nearestSafe } from "./wide-scan.js";

/** A checked query, ready to run. */
export interface QueryPlan {
  kind: "nearest" | "average_vector" | "custom" | "scroll";
  /** The query vector (nearest, average_vector), normalized for Cosine. */
  vector?: Float32Array;
  /** A feedback query scored per point (best_score, sum_scores, discover, context, relevance_feedback). */
  custom?: CustomQuery;
  /** Points that never appear in the results (the examples given by id). */
  exclude: Set<PointId>;
  filter: Predicate | null;
  /** Score only these rows (ascending): a multi-stage query's candidates (prefetch.ts); the filter then is null. */
  rows?: Int32Array;
  limit: number;
  offset: number;
  threshold?: number;
}

/** One answered point: its row now, and its score (0 in id order). */
export interface Hit {
  row: number;
  score: number;
}

/** Run a plan: the rows and scores of the answer, best first. */
export function search(col: Collection, plan: QueryPlan): Hit[] {
  const want = plan.offset + plan.limit;
  if (plan.kind === "scroll") {
    const { rows } = scroll(col, { filter: plan.filter, limit: want + plan.exclude.size });
    return rows.map((row) => ({ row, score: 0 })).filter((h) => !plan.exclude.has(col.idAt(h.row))).slice(plan.offset, want);
  }
  const rows = plan.rows ?? (plan.filter ? col.rowsWhere(plan.filter) : undefined);
  let hits: Hit[] = [];
  if (plan.kind === "custom") {
    const q = plan.custom!;
    hits = runCustomQuery(col.kernels, q.examples.length ? distancesSafe(col, q.examples) : [], col.count, col.metric, q, rows, want + plan.exclude.size);
  } else {
    const k = want + plan.exclude.size;
    const top = nearestSafe(col, plan.vector!, k, rows);
    const sqrt = col.distance === "Euclid";
    for (let i = 0; i < top.indices.length; i++) hits.push({ row: top.indices[i]!, score: sqrt ? Math.sqrt(top.values[i]!) : top.values[i]! });
  }
  const lowerIsBetter = plan.kind !== "custom" && isDistance(col.metric);
  const t = plan.threshold;
  const kept = hits.filter((h) => {
    if (plan.exclude.has(col.idAt(h.row))) return false;
    if (t === undefined) return true;
    return lowerIsBetter ? h.score <= t : h.score >= t;
  });
  return kept.slice(plan.offset, want);
}
