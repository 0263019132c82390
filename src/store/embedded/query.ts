/**
 * Search: the Query API's nearest / recommend (and the legacy search and
 * recommend endpoints) as one plan, executed on the collection's kernels.
 * Exact scan: `Kernels.nearest` over the collection's wasm block, a filter
 * pre-selecting rows. Scores as Qdrant gives them: Cosine = dot of
 * normalized vectors, Dot = dot (both descending); Euclid = distance,
 * Manhattan = L1 distance (both ascending). The feedback queries
 * (best_score, sum_scores, discover, context, relevance_feedback) are
 * checked and scored in feedback-queries.ts.
 */

import { isDistance } from "../../kernels/index.js";
import type { Collection } from "./collection.js";
import { badRequest, notFound, show } from "./errors.js";
import { compileFilter, type Predicate } from "./filter.js";
import { type PointId, parseId } from "./ids.js";
import { type PayloadSelector, parseWithPayload } from "./payload.js";
import { type PointView, pointView } from "./views.js";
import { type CustomQuery, parseContext, parseDiscover, parseRelevanceFeedback, recoQuery, runCustomQuery } from "./feedback-queries.js";
import { f32 } from "./limits.js";
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
  limit: number;
  offset: number;
  threshold?: number;
  withPayload: PayloadSelector;
  withVector: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function int(v: unknown, dflt: number, min: number, where: string): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw badRequest(`${where} must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

/** A vector given inline or by point id; ids join `exclude`. */
function vectorInput(col: Collection, v: unknown, where: string, exclude: Set<PointId>): Float32Array {
  if (typeof v === "number" || typeof v === "string") {
    const id = parseId(v, where);
    const r = col.row(id);
    if (r === undefined) throw notFound(`No point with id ${id} found (${where})`);
    exclude.add(id);
    return col.vectorAt(r);
  }
  if (isObject(v) && "" in v && Object.keys(v).length === 1) v = v[""];
  if (!Array.isArray(v)) throw badRequest(`${where} must be a vector of ${col.dim} numbers or a point id, got ${show(v)}`);
  if (v.length !== col.dim) throw badRequest(`Vector dimension error: expected dim: ${col.dim}, got ${v.length} (at ${where})`);
  const out = new Float32Array(col.dim);
  let norm = 0;
  v.forEach((x, d) => {
    out[d] = f32(x, `${where}[${d}]`);
    norm += out[d]! * out[d]!;
  });
  if (col.distance === "Cosine" && norm > 0) for (let d = 0; d < out.length; d++) out[d] = out[d]! / Math.sqrt(norm);
  return out;
}

function recommend(col: Collection, r: Record<string, unknown>, where: string, plan: QueryPlan): void {
  const list = (k: string) => {
    const v = r[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw badRequest(`${where}.${k} must be a list of point ids or vectors, got ${show(v)}`);
    return v.map((x, i) => vectorInput(col, x, `${where}.${k}[${i}]`, plan.exclude));
  };
  const pos = list("positive");
  const neg = list("negative");
  const strategy = r.strategy ?? "average_vector";
  if (strategy === "average_vector") {
    if (pos.length === 0) throw badRequest(`${where}.positive: positive vectors should not be empty with the average_vector strategy`);
    const avg = (vs: Float32Array[]) => {
      const a = new Float32Array(col.dim);
      for (const v of vs) for (let d = 0; d < a.length; d++) a[d] = a[d]! + v[d]! / vs.length;
      return a;
    };
    const q = avg(pos);
    if (neg.length) {
      const n = avg(neg);
      for (let d = 0; d < q.length; d++) q[d] = 2 * q[d]! - n[d]!;
    }
    // 2·avg(pos) − avg(neg) of finite f32 vectors can still leave the f32 range
    q.forEach((x, d) => {
      if (!Number.isFinite(x)) throw badRequest(`${where}: the recommend vector 2·mean(positive) − mean(negative) leaves the f32 range at [${d}]; scale the examples down`);
    });
    let norm = 0;
    for (const x of q) norm += x * x;
    if (col.distance === "Cosine" && norm > 0) for (let d = 0; d < q.length; d++) q[d] = q[d]! / Math.sqrt(norm);
    plan.kind = "average_vector";
    plan.vector = q;
  } else if (strategy === "best_score" || strategy === "sum_scores") {
    plan.kind = "custom";
    plan.custom = recoQuery(strategy, pos, neg, where);
  } else {
    throw badRequest(`${where}.strategy ${show(strategy)} is unknown. Should be one of: "average_vector", "best_score", "sum_scores"`);
  }
}

/** The shared options of every search body. */
function basePlan(col: Collection, body: Record<string, unknown>, where: string, filterKey: string, payloadDefault: boolean): QueryPlan {
  const using = body.using;
  if (using !== undefined && using !== null && using !== "") {
    throw badRequest(`Not existing vector name error: ${String(using)} (collection ${col.name} has only the unnamed vector; leave "using" out)`);
  }
  if (body.lookup_from !== undefined && body.lookup_from !== null) throw badRequest(`${where}.lookup_from is not supported by the embedded store`);
  const t = body.score_threshold;
  if (t !== undefined && t !== null && (typeof t !== "number" || !Number.isFinite(t))) throw badRequest(`${where}.score_threshold must be a number, got ${show(t)}`);
  const wv = body.with_vector ?? body.with_vectors ?? false;
  if (typeof wv !== "boolean" && !(Array.isArray(wv) && wv.every((x) => x === ""))) {
    throw badRequest(`${where}.with_vector must be true or false (this collection has only the unnamed vector), got ${show(wv)}`);
  }
  return {
    kind: "scroll",
    exclude: new Set(),
    filter: compileFilter(body[filterKey], `${where}.${filterKey}`),
    limit: int(body.limit, 10, 1, `${where}.limit`),
    offset: int(body.offset, 0, 0, `${where}.offset`),
    threshold: typeof t === "number" ? t : undefined,
    withPayload: parseWithPayload(body.with_payload, payloadDefault, `${where}.with_payload`),
    withVector: Array.isArray(wv) ? wv.length > 0 : wv,
  };
}

/** A body of POST /points/query (or one of /points/query/batch's `searches`). */
export function parseQuery(col: Collection, body: Record<string, unknown>, where: string): QueryPlan {
  if (Array.isArray(body.prefetch) ? body.prefetch.length > 0 : body.prefetch != null) {
    throw badRequest(`${where}.prefetch (hybrid, multi-stage queries) is not supported by the embedded store; use a Qdrant server (QDRANT_URL)`);
  }
  const plan = basePlan(col, body, where, "filter", false);
  const q = body.query;
  if (q === undefined || q === null) return plan;
  if (Array.isArray(q) || typeof q === "number" || typeof q === "string") {
    plan.kind = "nearest";
    plan.vector = vectorInput(col, q, `${where}.query`, plan.exclude);
  } else if (isObject(q) && "nearest" in q) {
    plan.kind = "nearest";
    plan.vector = vectorInput(col, q.nearest, `${where}.query.nearest`, plan.exclude);
  } else if (isObject(q) && isObject(q.recommend)) {
    recommend(col, q.recommend, `${where}.query.recommend`, plan);
  } else if (isObject(q) && ("discover" in q || "context" in q || "relevance_feedback" in q)) {
    const read = (v: unknown, at: string) => vectorInput(col, v, at, plan.exclude);
    plan.kind = "custom";
    plan.custom = "discover" in q ? parseDiscover(q.discover, read, `${where}.query.discover`)
      : "context" in q ? parseContext(q.context, read, `${where}.query.context`)
      : parseRelevanceFeedback(q.relevance_feedback, read, `${where}.query.relevance_feedback`);
  } else {
    const kind = isObject(q) ? Object.keys(q)[0] : undefined;
    throw badRequest(
      `${where}.query ${kind ? `"${kind}" ` : ""}is not supported by the embedded store: it answers a vector, a point id, ` +
        `{"nearest"}, {"recommend"}, {"discover"}, {"context"} and {"relevance_feedback"}; use a Qdrant server (QDRANT_URL) for the rest`,
    );
  }
  return plan;
}

/** Run a plan: the scored points, best first. */
export function runQuery(col: Collection, plan: QueryPlan): PointView[] {
  const rows = plan.filter ? col.rowsWhere(plan.filter) : undefined;
  const want = plan.offset + plan.limit;
  let hits: { row: number; score: number }[] = [];
  if (plan.kind === "scroll") {
    const ok = rows ? new Set(Array.from(rows, (r) => col.idAt(r))) : null;
    for (const id of col.sortedIds()) {
      if (hits.length >= want) break;
      if (!ok || ok.has(id)) hits.push({ row: col.row(id)!, score: 0 });
    }
  } else if (plan.kind === "custom") {
    hits = runCustomQuery(col.kernels, plan.custom!.examples.length ? distancesSafe(col, plan.custom!.examples) : [], col.count, col.metric, plan.custom!, rows, want + plan.exclude.size);
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
    if (t === undefined || plan.kind === "scroll") return true;
    return lowerIsBetter ? h.score <= t : h.score >= t;
  });
  return kept.slice(plan.offset, want).map((h) => pointView(col, h.row, plan.withPayload, plan.withVector, h.score));
}
