/**
 * The query of a stage whose `using` names a sparse vector: nearest, and the
 * feedback queries with sparse examples (read by query.ts's parseScoring,
 * which sends fusion, order_by, sample and formula its usual way).
 */

import { show } from "../engine/errors.js";
import type { SparseVector } from "../log/records.js";
import { type Collection, isSparse } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { storedById } from "./query-by-id.js";
import { parseContext, parseDiscover, parseRecoQuery, parseRelevanceFeedback } from "./feedback-bodies.js";
import type { ParsedQuery } from "./query.js";
import { readSparse } from "./vectors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A sparse query vector: inline `{indices, values}`, or a point's vector of the space by id. */
function sparseInput(col: Collection, v: unknown, where: string, plan: ParsedQuery): SparseVector {
  if (typeof v !== "number" && typeof v !== "string") return readSparse(v, where);
  const { id, stored, name } = storedById(col, v, where, plan);
  if (!stored || !isSparse(stored)) throw badRequest(`${where}: point ${id} has no sparse vector "${name}"`);
  return stored;
}

/**
 * The query of a stage on a sparse vector: nearest (`{"indices", "values"}`,
 * a point id, `{"nearest": ...}`), recommend (average_vector: the examples'
 * mean, 2·mean(positive) − mean(negative) with negatives, as Qdrant's
 * avg_vector_for_recommendation merges sparse vectors; best_score,
 * sum_scores), discover, context and relevance_feedback with sparse
 * examples, as Qdrant scores them on a sparse storage.
 */
export function sparseScoring(col: Collection, q: unknown, where: string, plan: ParsedQuery): void {
  const read = (v: unknown, at: string) => sparseInput(col, v, at, plan);
  if (isObject(q) && isObject(q.recommend)) {
    const r = q.recommend;
    const at = `${where}.query.recommend`;
    const list = (k: string) => {
      const v = r[k];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) throw badRequest(`${at}.${k} must be a list of point ids or sparse vectors, got ${show(v)}`);
      return v.map((x, i) => read(x, `${at}.${k}[${i}]`));
    };
    const pos = list("positive");
    const neg = list("negative");
    const strategy = r.strategy ?? "average_vector";
    if (strategy === "average_vector") {
      if (pos.length === 0) throw badRequest(`${at}.positive: Positive vectors should not be empty with \`average\` strategy`);
      plan.kind = "nearest";
      plan.sparse = neg.length ? sparseCombine(sparseMean(pos), sparseMean(neg), (p, n) => p + p - n) : sparseMean(pos);
    } else if (strategy === "best_score" || strategy === "sum_scores") {
      plan.kind = "custom";
      plan.custom = parseRecoQuery(strategy, pos, neg, at);
    } else {
      throw badRequest(`${at}.strategy ${show(strategy)} is unknown. Should be one of: "average_vector", "best_score", "sum_scores"`);
    }
    return;
  }
  if (isObject(q) && ("discover" in q || "context" in q || "relevance_feedback" in q)) {
    plan.kind = "custom";
    plan.custom = "discover" in q ? parseDiscover(q.discover, read, `${where}.query.discover`)
      : "context" in q ? parseContext(q.context, read, `${where}.query.context`)
      : parseRelevanceFeedback(q.relevance_feedback, read, `${where}.query.relevance_feedback`);
    return;
  }
  const inner = isObject(q) && "nearest" in q ? q.nearest : q;
  if (isObject(q) && "nearest" in q && q.mmr !== undefined && q.mmr !== null) throw badRequest(`${where}.query.mmr is not supported on sparse vector "${plan.using}"`);
  if (isObject(inner) && !("indices" in inner)) {
    throw badRequest(
      `${where}.query: on sparse vector "${plan.using}" the embedded store answers {"indices", "values"}, a point id, {"nearest"}, {"recommend"}, {"discover"}, ` +
        `{"context"}, {"relevance_feedback"}, {"fusion"}, {"rrf"}, {"order_by"}, {"sample"} and {"formula"}; use a Qdrant server (QDRANT_URL) for the rest`,
    );
  }
  plan.kind = "nearest";
  plan.sparse = read(inner, `${where}.query${inner === q ? "" : ".nearest"}`);
}

/** Two sparse vectors merged over the union of their indices (a missing value is 0), ascending, as Qdrant's combine_aggregate. */
function sparseCombine(a: SparseVector, b: SparseVector, f: (x: number, y: number) => number): SparseVector {
  const out = new Map<number, [number, number]>();
  a.indices.forEach((ix, i) => out.set(ix, [a.values[i]!, 0]));
  b.indices.forEach((ix, i) => out.set(ix, [out.get(ix)?.[0] ?? 0, b.values[i]!]));
  const indices = Uint32Array.from(out.keys()).sort();
  return { indices, values: Float32Array.from(indices, (ix) => f(...out.get(ix)!)) };
}

/** The mean of sparse vectors (f32 sums, divided by their count). */
function sparseMean(vs: SparseVector[]): SparseVector {
  let sum: SparseVector = { indices: new Uint32Array(0), values: new Float32Array(0) };
  for (const v of vs) sum = sparseCombine(v, sum, (x, y) => x + y);
  return { indices: sum.indices, values: sum.values.map((x) => x / vs.length) };
}
