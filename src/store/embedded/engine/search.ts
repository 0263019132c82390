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
import type { MultiVector, PointId, SparseVector } from "../log/records.js";
import type { Collection, DenseSpace, Predicate } from "../state/collection.js";
import type { VectorStorage } from "../state/dense-vectors.js";
import type { SparseVectors } from "../state/sparse-vectors.js";
import { type CustomQuery, runCustomQuery } from "./feedback-queries.js";
import { scroll } from "./scroll.js";
import { distancesSafe, nearestSafe } from "./wide-scan.js";

/** A checked query, ready to run. */
export interface QueryPlan {
  kind: "nearest" | "average_vector" | "custom" | "scroll";
  /** The space scored ("" the unnamed vector; default ""). */
  using?: string;
  /** The query vector (nearest, average_vector), normalized for Cosine. */
  vector?: Float32Array;
  /** A sparse query vector (nearest in a sparse space; then `vector` is absent; a feedback query there has sparse examples). */
  sparse?: SparseVector;
  /** A multivector query (nearest in a multivector space, max_sim; then `vector` is absent). */
  multi?: MultiVector;
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
  /** Qdrant's search `params` that change the answer: `exact`, `quantization` (others are accepted and have no effect on an exact scan). */
  params?: SearchParams;
}

/** Qdrant's SearchParams as checked by the wire. */
export interface SearchParams {
  exact?: boolean;
  quantization?: { ignore?: boolean; rescore?: boolean; oversampling?: number };
}

/** One answered point: its row now, and its score (0 in id order). */
export interface Hit {
  row: number;
  score: number;
}

/** The dense space a plan scores. */
export function planSpace(col: Collection, plan: QueryPlan): DenseSpace {
  return col.denseSpace(plan.using ?? "")!;
}

/** Run a plan: the rows and scores of the answer, best first. */
export function search(col: Collection, plan: QueryPlan): Hit[] {
  const want = plan.offset + plan.limit;
  if (plan.kind === "scroll") {
    const { rows } = scroll(col, { filter: plan.filter, limit: want + plan.exclude.size });
    return rows.map((row) => ({ row, score: 0 })).filter((h) => !plan.exclude.has(col.idAt(h.row))).slice(plan.offset, want);
  }
  const pointRows = plan.rows ?? (plan.filter ? col.rowsWhere(plan.filter) : undefined);
  const name = plan.using ?? "";
  let hits: Hit[] = [];
  let lowerIsBetter = false;
  const k = want + plan.exclude.size;
  const sparse = col.sparseSpace(name);
  if (plan.multi) {
    const sp = col.multiSpace(name)!;
    const top = sp.vectors.nearest(plan.multi, k, sp.rows.toSpace(pointRows));
    for (let i = 0; i < top.indices.length; i++) hits.push({ row: sp.rows.pointRow(top.indices[i]!), score: top.values[i]! });
    lowerIsBetter = sp.vectors.distance === "Euclid" || sp.vectors.distance === "Manhattan";
  } else if (sparse) {
    // Qdrant remaps every sparse vector of the query (nearest or a feedback query's examples) by idf first
    const idf = (v: SparseVector) => (sparse.config.modifier === "idf" ? sparse.vectors.withIdf(v) : v);
    const rows = sparse.rows.toSpace(pointRows);
    if (plan.kind === "custom") {
      hits = sparseCustom(col, sparse.vectors, plan.custom!.examples.map((e) => idf(e as SparseVector)), plan.custom!, rows, k);
    } else {
      const top = sparse.vectors.nearest(idf(plan.sparse!), k, rows);
      for (let i = 0; i < top.indices.length; i++) hits.push({ row: top.indices[i]!, score: top.values[i]! });
    }
    for (const h of hits) h.row = sparse.rows.pointRow(h.row);
  } else {
    const sp = col.denseSpace(name)!;
    const v = sp.vectors;
    // a single-vector collection's rows are the point rows: no mapping on the hot path
    const rows = col.isPlain ? pointRows : sp.rows.toSpace(pointRows);
    if (plan.kind === "custom") {
      const q = plan.custom!;
      // a dense space's examples are dense rows (wire/query.ts reads them for the space)
      const examples = q.examples as Float32Array[];
      hits = runCustomQuery(col.kernels, examples.length ? distancesSafe(v, examples) : [], v.count, v.metric, q, rows, k);
    } else {
      const top = nearestRows(v, plan.vector!, k, rows, plan.params);
      const sqrt = v.distance === "Euclid";
      for (let i = 0; i < top.indices.length; i++) hits.push({ row: top.indices[i]!, score: sqrt ? Math.sqrt(top.values[i]!) : top.values[i]! });
    }
    if (!col.isPlain) for (const h of hits) h.row = sp.rows.pointRow(h.row);
    lowerIsBetter = plan.kind !== "custom" && isDistance(v.metric);
  }
  const t = plan.threshold;
  const kept = hits.filter((h) => {
    if (plan.exclude.has(col.idAt(h.row))) return false;
    if (t === undefined) return true;
    return lowerIsBetter ? h.score <= t : h.score >= t;
  });
  return kept.slice(plan.offset, want);
}

/**
 * A feedback query on a sparse space: every row (or the selected `rows`) is
 * scored, as Qdrant's SparseCustomQueryScorer scores every stored vector,
 * from its dot products with the examples (0 for an example it shares no
 * index with). Space rows in, space rows out.
 */
function sparseCustom(col: Collection, vectors: SparseVectors, examples: SparseVector[], q: CustomQuery, rows: Int32Array | undefined, k: number): Hit[] {
  const n = vectors.count;
  const d = new Float64Array(examples.length * n);
  const m = rows ? rows.length : n;
  for (let j = 0; j < m; j++) {
    const r = rows ? rows[j]! : j;
    examples.forEach((e, i) => (d[i * n + r] = vectors.score(e, r) ?? 0));
  }
  return runCustomQuery(col.kernels, d, n, "dot", q, rows, k);
}

/**
 * The nearest rows, on the quantized codes when the collection has them and
 * the query neither asks `exact` nor `quantization.ignore` (Qdrant's rules):
 * `k · oversampling` candidates by quantized score (oversampling counts only
 * above 1, Qdrant truncates the product), then, with `rescore` (off by
 * default for scalar quantization, as in Qdrant), the best `k` of them by
 * the exact kernels on the full-precision rows; without it, the best `k`
 * candidates with their quantized scores.
 */
function nearestRows(col: VectorStorage, q: Float32Array, k: number, rows: Int32Array | undefined, params: SearchParams | undefined): { indices: Int32Array; values: ArrayLike<number> } {
  const qz = col.quantized;
  if (!qz || params?.exact || params?.quantization?.ignore) return nearestSafe(col, q, k, rows);
  const over = params?.quantization?.oversampling;
  const wide = over !== undefined && over > 1 ? Math.max(k, Math.floor(k * over)) : k;
  const cand = qz.nearest(col, q, wide, rows);
  if (!params?.quantization?.rescore) return { indices: cand.indices.subarray(0, k), values: cand.values.subarray(0, k) };
  // ascending rows: the rescoring scan reads the block forward, and ties go to the lower row as in an exact scan
  return nearestSafe(col, q, k, Int32Array.from(cand.indices).sort());
}
