/**
 * Steering, measured as a user would do it: search, mark up to N right
 * results of the first page as positive and up to N wrong ones as negative,
 * and search again. Precision@k on the query's label, with the marked
 * examples left out of every list so no mode gets credit for them.
 */

import type { Kernels } from "../kernels/index.js";
import type { PointId, QdrantStore } from "../store/qdrant.js";
import { gatherRows, type LabeledSet } from "./collection.js";

export const STEER_MODES = ["plain", "recommend", "triplet", "contrastive"] as const;
export type SteerMode = (typeof STEER_MODES)[number];

export interface SteeringResult {
  /** Examples marked of each kind (at most). */
  examples: number;
  k: number;
  /** Queries whose first page had at least one wrong result to mark. */
  queries: number;
  /** Queries whose first page was already all right (not steered). */
  alreadyRight: number;
  precisionAtK: Record<SteerMode, number>;
}

export async function steering(o: {
  store: QdrantStore; collection: string; kernels: Kernels; set: LabeledSet; queries: Int32Array;
  examples: number; k: number; oversample: number; margin: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<SteeringResult> {
  const { set, kernels, k } = o;
  const dim = set.dim;
  const row = new Map<string, number>(set.ids.map((id, i) => [String(id), i]));
  const rowsOf = (hits: { id: PointId }[]) => hits.map((h) => row.get(String(h.id))).filter((r): r is number => r !== undefined);
  const sum: Record<SteerMode, number> = { plain: 0, recommend: 0, triplet: 0, contrastive: 0 };
  let queries = 0;
  let alreadyRight = 0;
  const limit = Math.ceil(k * o.oversample) + 2 * o.examples;
  for (let qi = 0; qi < o.queries.length; qi++) {
    const q = o.queries[qi]!;
    const label = set.labels[q]!;
    const pool = rowsOf(await o.store.nearest({ collection: o.collection, id: set.ids[q]!, limit, withPayload: false }));
    const page = pool.slice(0, k);
    const pos = page.filter((r) => set.labels[r] === label).slice(0, o.examples);
    const neg = page.filter((r) => set.labels[r] !== label).slice(0, o.examples);
    if (neg.length === 0) {
      alreadyRight++;
      continue;
    }
    queries++;
    const marked = new Set([q, ...pos, ...neg]);
    const precision = (rows: number[]) => rows.filter((r) => !marked.has(r)).slice(0, k).filter((r) => set.labels[r] === label).length / k;
    sum.plain += precision(pool);
    const rec = await o.store.recommend({
      collection: o.collection, limit, withPayload: false,
      positive: [set.ids[q]!, ...pos.map((r) => set.ids[r]!)], negative: neg.map((r) => set.ids[r]!),
    });
    sum.recommend += precision(rowsOf(rec));
    const rows = pool.filter((r) => !marked.has(r));
    const vec = (rs: number[]) => gatherRows(set.vectors, dim, rs);
    const cand = vec(rows);
    for (const mode of ["triplet", "contrastive"] as const) {
      const top = kernels.rerankTop({
        mode, query: set.vectors.subarray(q * dim, (q + 1) * dim), candidates: cand, dim,
        positives: vec(pos), negatives: vec(neg), margin: o.margin, k,
      });
      sum[mode] += precision(Array.from(top.indices, (i) => rows[i]!));
    }
    o.onProgress?.(qi + 1, o.queries.length);
  }
  const mean = (v: number) => (queries ? v / queries : 0);
  return {
    examples: o.examples, k, queries, alreadyRight,
    precisionAtK: { plain: mean(sum.plain), recommend: mean(sum.recommend), triplet: mean(sum.triplet), contrastive: mean(sum.contrastive) },
  };
}
