/**
 * Search bodies: the Query API's nearest, recommend (average_vector,
 * best_score, sum_scores), discover, context and relevance_feedback turned
 * into one engine plan (engine/search.ts), plus what each answered point
 * carries (payload, vector). The feedback queries' shapes are read in
 * feedback-bodies.ts.
 */

import { scaleToUnit } from "../../../kernels/unit-vector.js";
import { show } from "../engine/errors.js";
import { type PointId, parseId } from "../engine/ids.js";
import { readVector } from "../engine/points.js";
import { type QueryPlan, search } from "../engine/search.js";
import type { Collection } from "../state/collection.js";
import { badRequest, notFound } from "./errors.js";
import { parseContext, parseDiscover, parseRecoQuery, parseRelevanceFeedback } from "./feedback-bodies.js";
import { compileFilter } from "./filter.js";
import { type PointView, parseWithVector, pointView } from "./views.js";
import { type PayloadSelector, parseWithPayload } from "./with-payload.js";

/** A plan and the shape of its answer. */
export interface ParsedQuery extends QueryPlan {
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
  const out = new Float32Array(col.dim);
  readVector(col, v, where, out, 0);
  return out;
}

function recommend(col: Collection, r: Record<string, unknown>, where: string, plan: ParsedQuery): void {
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
    if (col.distance === "Cosine") scaleToUnit(q);
    plan.kind = "average_vector";
    plan.vector = q;
  } else if (strategy === "best_score" || strategy === "sum_scores") {
    plan.kind = "custom";
    plan.custom = parseRecoQuery(strategy, pos, neg, where);
  } else {
    throw badRequest(`${where}.strategy ${show(strategy)} is unknown. Should be one of: "average_vector", "best_score", "sum_scores"`);
  }
}

/** The shared options of every search body. */
function basePlan(col: Collection, body: Record<string, unknown>, where: string, filterKey: string, payloadDefault: boolean): ParsedQuery {
  const using = body.using;
  if (using !== undefined && using !== null && using !== "") {
    throw badRequest(`Not existing vector name error: ${String(using)} (collection ${col.name} has only the unnamed vector; leave "using" out)`);
  }
  if (body.lookup_from !== undefined && body.lookup_from !== null) throw badRequest(`${where}.lookup_from is not supported by the embedded store`);
  const t = body.score_threshold;
  if (t !== undefined && t !== null && (typeof t !== "number" || !Number.isFinite(t))) throw badRequest(`${where}.score_threshold must be a number, got ${show(t)}`);
  return {
    kind: "scroll",
    exclude: new Set(),
    filter: compileFilter(body[filterKey], `${where}.${filterKey}`),
    limit: int(body.limit, 10, 1, `${where}.limit`),
    offset: int(body.offset, 0, 0, `${where}.offset`),
    threshold: typeof t === "number" ? t : undefined,
    withPayload: parseWithPayload(body.with_payload, payloadDefault, `${where}.with_payload`),
    withVector: parseWithVector(body, `${where}.with_vector`),
  };
}

/** A body of POST /points/query (or one of /points/query/batch's `searches`). */
export function parseQuery(col: Collection, body: Record<string, unknown>, where: string): ParsedQuery {
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

/** Run a parsed query: the scored points, best first, as Qdrant's ScoredPoint. */
export function runQuery(col: Collection, q: ParsedQuery): PointView[] {
  return search(col, q).map((h) => pointView(col, h.row, q.withPayload, q.withVector, h.score));
}
