/**
 * Multi-stage queries (Qdrant's `prefetch`, lib/shard/src/query/planned_query.rs):
 * a stage without prefetches is a plain search (or id-order scroll) with its
 * own limit and threshold; a stage with prefetches runs them first and then
 * either re-scores the union of their candidates with its own query (only
 * those points are scored) or fuses their lists (rrf / dbsf), keeping the
 * points scoring at least its threshold, up to its limit. Filters were already
 * merged down the tree when the body was read (a parent's filter applies to
 * every prefetch under it), so each stage carries the whole filter it needs.
 */

import type { Collection } from "../state/collection.js";
import { type Formula, formulaHits } from "./formula.js";
import { dbsf, rrf } from "./fusion.js";
import { type Mmr, mmrHits } from "./mmr.js";
import { type OrderBy, orderedHits, sampleHits } from "./order-by.js";
import { type Hit, type QueryPlan, search } from "./search.js";

/** Qdrant's limit on nesting prefetches. */
export const MAX_PREFETCH_DEPTH = 64;

/** How a stage merges its prefetches' lists instead of re-scoring them. */
export type Fusion = { kind: "rrf"; k: number; weights?: number[] } | { kind: "dbsf" };

/** One stage of a multi-stage query: its plan (offset 0 except at the root) and what it draws from. */
export interface Stage {
  plan: QueryPlan;
  prefetch: Stage[];
  fusion?: Fusion;
  /** Order by a payload key instead of scoring (order-by.ts). */
  orderBy?: OrderBy;
  /** Re-rank the nearest candidates for diversity (mmr.ts). */
  mmr?: Mmr;
  /** Pick points at random instead of scoring. */
  sample?: boolean;
  /** Score the prefetches' candidates by a formula (formula.ts). */
  formula?: Formula;
}

/** Run a stage: its hits, best first, up to plan.offset + plan.limit, then the offset cut. */
export function runStage(col: Collection, stage: Stage): Hit[] {
  const { plan } = stage;
  if (stage.prefetch.length === 0) return leaf(col, stage, plan);
  const lists = stage.prefetch.map((s) => runStage(col, s));
  const want = plan.offset + plan.limit;
  if (stage.fusion) {
    const f = stage.fusion;
    const fused = f.kind === "rrf" ? rrf(lists, f.k, f.weights) : dbsf(lists);
    const t = plan.threshold;
    return (t === undefined ? fused : fused.filter((h) => h.score >= t)).slice(plan.offset, want);
  }
  if (stage.formula) return formulaHits(col, lists, stage.formula, plan);
  const rows = new Set<number>();
  for (const l of lists) for (const h of l) rows.add(h.row);
  if (rows.size === 0) return [];
  const candidates = Int32Array.from([...rows].sort((a, b) => a - b));
  return leaf(col, stage, { ...plan, filter: null, rows: candidates });
}

function leaf(col: Collection, stage: Stage, plan: QueryPlan): Hit[] {
  if (stage.orderBy) return orderedHits(col, plan, stage.orderBy);
  if (stage.sample) return sampleHits(col, plan);
  if (stage.mmr) return mmrHits(col, plan, stage.mmr);
  return search(col, plan);
}
