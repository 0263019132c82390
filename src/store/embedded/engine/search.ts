/**
 * Search: a checked plan (nearest, recommend average_vector / best_score, or
 * none: id order) executed on the collection's kernels. Exact scan:
 * `Kernels.nearest` over the collection's wasm block, a filter pre-selecting
 * rows. Scores as Qdrant gives them: Cosine = dot of normalized vectors, Dot
 * = dot (both descending); Euclid = distance, Manhattan = L1 distance (both
 * ascending). Recommend best_score uses Qdrant's formula: similarity to the
 * best positive through a scaled fast sigmoid, or minus that of the best
 * negative when a negative is closer.
 */

import { isDistance } from "../../../kernels/index.js";
import type { PointId } from "../log/records.js";
import type { Collection, Predicate } from "../state/collection.js";
import { scroll } from "./scroll.js";
import { distancesSafe, nearestSafe } from "./wide-scan.js";

/** A checked query, ready to run. */
export interface QueryPlan {
  kind: "nearest" | "average_vector" | "best_score" | "scroll";
  /** The query vector (nearest, average_vector), normalized for Cosine. */
  vector?: Float32Array;
  /** best_score examples. */
  positives?: Float32Array[];
  negatives?: Float32Array[];
  /** Points that never appear in the results (the examples given by id). */
  exclude: Set<PointId>;
  filter: Predicate | null;
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
  const rows = plan.filter ? col.rowsWhere(plan.filter) : undefined;
  let hits: Hit[] = [];
  if (plan.kind === "best_score") {
    hits = bestScore(col, plan, rows, want + plan.exclude.size);
  } else {
    const k = want + plan.exclude.size;
    const top = nearestSafe(col, plan.vector!, k, rows);
    const sqrt = col.distance === "Euclid";
    for (let i = 0; i < top.indices.length; i++) hits.push({ row: top.indices[i]!, score: sqrt ? Math.sqrt(top.values[i]!) : top.values[i]! });
  }
  const lowerIsBetter = plan.kind !== "best_score" && isDistance(col.metric);
  const t = plan.threshold;
  const kept = hits.filter((h) => {
    if (plan.exclude.has(col.idAt(h.row))) return false;
    if (t === undefined) return true;
    return lowerIsBetter ? h.score <= t : h.score >= t;
  });
  return kept.slice(plan.offset, want);
}

function sigmoid(x: number): number {
  return 0.5 * (x / (1 + Math.abs(x)) + 1);
}

function bestScore(col: Collection, plan: QueryPlan, rows: Int32Array | undefined, k: number): Hit[] {
  const pos = plan.positives!;
  const neg = plan.negatives!;
  const n = col.count;
  const m = rows ? rows.length : n;
  if (m === 0) return [];
  const d = distancesSafe(col, [...pos, ...neg]);
  const sign = isDistance(col.metric) ? -1 : 1; // Qdrant's similarity: minus the distance
  const scores = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    const r = rows ? rows[j]! : j;
    let bp = -Infinity;
    let bn = -Infinity;
    for (let i = 0; i < pos.length; i++) bp = Math.max(bp, sign * d[i * n + r]!);
    for (let i = 0; i < neg.length; i++) bn = Math.max(bn, sign * d[(pos.length + i) * n + r]!);
    scores[j] = bp > bn ? sigmoid(bp) : -sigmoid(bn);
  }
  const top = col.kernels.topK({ scores, k: Math.min(k, m), largest: true });
  return Array.from(top.indices, (j, i) => ({ row: rows ? rows[j]! : j, score: top.values[i]! }));
}
