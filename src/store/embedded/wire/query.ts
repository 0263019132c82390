/**
 * Search bodies: nested prefetches with re-scoring or fusion (rrf, dbsf), the Query API's nearest, recommend (average_vector,
 * best_score, sum_scores), discover, context and relevance_feedback turned
 * into one engine plan (engine/search.ts), plus what each answered point
 * carries (payload, vector). The feedback queries' shapes are read in
 * feedback-bodies.ts.
 */

import { scaleToUnit } from "../../../kernels/unit-vector.js";
import { show } from "../engine/errors.js";
import type { PointId } from "../engine/ids.js";
import { readVector } from "../engine/points.js";
import { convertTo } from "../engine/datatype.js";
import { DEFAULT_RRF_K } from "../engine/fusion.js";
import type { Mmr } from "../engine/mmr.js";
import { type Fusion, MAX_PREFETCH_DEPTH, type Stage, runStage } from "../engine/prefetch.js";
import { type QueryPlan, search } from "../engine/search.js";
import type { Collection, Predicate } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { parseOrderBy, parseSample } from "./query-order.js";
import { parseContext, parseDiscover, parseRecoQuery, parseRelevanceFeedback } from "./feedback-bodies.js";
import { compileFilter } from "./filter.js";
import { parseFormula } from "./formula.js";
import { parseSearchParams } from "./quantization.js";
import { type PointView, type VectorSelector, parseWithVector, pointView } from "./views.js";
import { multiScoring } from "./query-multi.js";
import { sparseScoring } from "./query-sparse.js";
import { storedById } from "./query-by-id.js";
import { noVectorName } from "./vectors.js";
import { type PayloadSelector, parseWithPayload } from "./with-payload.js";

/** A plan and the shape of its answer. */
export interface ParsedQuery extends QueryPlan {
  withPayload: PayloadSelector;
  withVector: VectorSelector;
  /** Where ids in the query take their vectors (lookup_from), when not this collection. */
  lookup?: Collection;
  /** The vector of `lookup` they take (lookup_from.vector; default the unnamed one). */
  lookupVector?: string;
  /** The stage tree: this plan and its prefetches (a plain plan has none). */
  stage?: Stage;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function int(v: unknown, dflt: number, min: number, where: string): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw badRequest(`${where} must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

/**
 * A vector given inline or by point id. An id names a point of this
 * collection, which then joins `exclude`, or with `lookup_from` a point of
 * that collection, which excludes nothing here (as Qdrant).
 */
function vectorInput(col: Collection, v: unknown, where: string, plan: ParsedQuery): Float32Array {
  const name = plan.using ?? "";
  const sp = col.denseSpace(name);
  if (!sp) throw noVectorName(col, name, `${where}: a dense query needs "using" naming a dense vector`);
  const target = { name: col.name, dim: sp.vectors.dim, distance: sp.vectors.distance, datatype: sp.config.datatype };
  if (typeof v === "number" || typeof v === "string") {
    const { id, stored, name: srcName, from, of } = storedById(col, v, where, plan);
    if (!(stored instanceof Float32Array)) throw badRequest(`${where}: point ${id}${of} has no dense vector "${srcName}"`);
    if (!from) return stored;
    // another collection's vector: checked and normalized as an inline one (dimension, Cosine)
    const out = new Float32Array(target.dim);
    readVector(target, Array.from(stored), `${where} (point ${id}${of})`, out, 0);
    return out;
  }
  const out = new Float32Array(target.dim);
  readVector(target, v, where, out, 0);
  return out;
}

function recommend(col: Collection, r: Record<string, unknown>, where: string, plan: ParsedQuery): void {
  const list = (k: string) => {
    const v = r[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw badRequest(`${where}.${k} must be a list of point ids or vectors, got ${show(v)}`);
    return v.map((x, i) => vectorInput(col, x, `${where}.${k}[${i}]`, plan));
  };
  const dim = col.denseSpace(plan.using ?? "")!.vectors.dim;
  const pos = list("positive");
  const neg = list("negative");
  const strategy = r.strategy ?? "average_vector";
  if (strategy === "average_vector") {
    if (pos.length === 0) throw badRequest(`${where}.positive: positive vectors should not be empty with the average_vector strategy`);
    const avg = (vs: Float32Array[]) => {
      const a = new Float32Array(dim);
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
    const space = col.denseSpace(plan.using ?? "")!;
    if (space.vectors.distance === "Cosine") scaleToUnit(q);
    convertTo(space.config.datatype, q, 0, q.length, where); // the query in the storage's type, as Qdrant scores it
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
/** Finds another collection by name (lookup_from); throws Qdrant's 404 for an unknown one. */
export type CollectionLookup = (name: string) => Collection;

/** `{"collection", "vector"?}`: the collection ids in the query refer to, and which of its vectors. */
function parseLookupFrom(v: unknown, where: string, resolve: CollectionLookup | undefined): { lookup: Collection; lookupVector?: string } | undefined {
  if (v === undefined || v === null) return undefined;
  if (!resolve) throw badRequest(`${where}.lookup_from is not supported here`);
  if (!isObject(v) || typeof v.collection !== "string") throw badRequest(`${where}.lookup_from must be {"collection": name, "vector"?: name}, got ${show(v)}`);
  const lookup = resolve(v.collection);
  if (v.vector === undefined || v.vector === null) return { lookup };
  if (typeof v.vector !== "string" || !lookup.spaces.has(v.vector)) throw noVectorName(lookup, String(v.vector), `${where}.lookup_from.vector`);
  return { lookup, lookupVector: v.vector };
}

/** The space a body's `using` names ("" when absent); Qdrant's error for a name the collection lacks. */
function parseUsing(col: Collection, using: unknown, where: string): string {
  if (using === undefined || using === null) return "";
  if (typeof using !== "string") throw badRequest(`${where}.using must be a vector name, got ${show(using)}`);
  if (!col.spaces.has(using)) throw noVectorName(col, using, `${where}.using`);
  return using;
}

function basePlan(col: Collection, body: Record<string, unknown>, where: string, filterKey: string, payloadDefault: boolean, resolve?: CollectionLookup): ParsedQuery {
  const using = parseUsing(col, body.using, where);
  const lookup = parseLookupFrom(body.lookup_from, where, resolve);
  const t = body.score_threshold;
  if (t !== undefined && t !== null && (typeof t !== "number" || !Number.isFinite(t))) throw badRequest(`${where}.score_threshold must be a number, got ${show(t)}`);
  return {
    kind: "scroll",
    using,
    exclude: new Set(),
    filter: compileFilter(body[filterKey], `${where}.${filterKey}`),
    limit: int(body.limit, 10, 1, `${where}.limit`),
    offset: int(body.offset, 0, 0, `${where}.offset`),
    threshold: typeof t === "number" ? t : undefined,
    params: parseSearchParams(body.params, `${where}.params`),
    withPayload: parseWithPayload(body.with_payload, payloadDefault, `${where}.with_payload`),
    withVector: parseWithVector(col, body, `${where}.with_vector`),
    ...(lookup ?? {}),
  };
}

/** Both filters (a prefetch's own and the one propagated from above), or whichever is given. */
function both(a: Predicate | null, b: Predicate | null): Predicate | null {
  if (!a) return b;
  if (!b) return a;
  return (p, id) => a(p, id) && b(p, id);
}

/** `{"fusion": "rrf" | "dbsf"}` or `{"rrf": {k, weights}}`, as Qdrant 1.19 reads them; undefined for any other query. */
function parseFusion(q: Record<string, unknown>, where: string): Fusion | undefined {
  if ("fusion" in q) {
    if (q.fusion === "rrf") return { kind: "rrf", k: DEFAULT_RRF_K };
    if (q.fusion === "dbsf") return { kind: "dbsf" };
    throw badRequest(`${where}.fusion ${show(q.fusion)} is unknown. Should be one of: "rrf", "dbsf"`);
  }
  if (!("rrf" in q)) return undefined;
  const r = q.rrf;
  if (!isObject(r)) throw badRequest(`${where}.rrf must be an object {"k"?: integer >= 1, "weights"?: [number, ...]}, got ${show(r)}`);
  const k = int(r.k, DEFAULT_RRF_K, 1, `${where}.rrf.k`);
  const w = r.weights;
  if (w === undefined || w === null) return { kind: "rrf", k };
  if (!Array.isArray(w) || !w.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw badRequest(`${where}.rrf.weights must be a list of numbers, one per prefetch, got ${show(w)}`);
  }
  return { kind: "rrf", k, weights: w as number[] };
}

/** What a stage does instead of scoring by a vector: fuse, order by a key, or sample. */
type Merge = Pick<Stage, "fusion" | "orderBy" | "sample" | "mmr" | "formula">;

/** `{"diversity"?: 0..1 (default 0.5), "candidates_limit"?: integer >= 1 (default: the limit)}`. */
function parseMmr(v: unknown, where: string, limit: number): Mmr {
  if (!isObject(v)) throw badRequest(`${where} must be {"diversity", "candidates_limit"}, got ${show(v)}`);
  const d = v.diversity ?? 0.5;
  if (typeof d !== "number" || !(d >= 0 && d <= 1)) throw badRequest(`${where}.diversity must be a number from 0 to 1, got ${show(d)}`);
  return { lambda: Math.fround(1 - d), candidatesLimit: int(v.candidates_limit, limit, 1, `${where}.candidates_limit`) };
}

/** The query of a body or prefetch: sets the plan's kind, or answers its fusion, order_by or sample. */
function parseScoring(col: Collection, q: unknown, where: string, plan: ParsedQuery): Merge | undefined {
  if (q === undefined || q === null) return undefined;
  if (col.multiSpace(plan.using ?? "") && !(isObject(q) && ("fusion" in q || "rrf" in q || "order_by" in q || "sample" in q || "formula" in q))) {
    multiScoring(col, q, where, plan);
    return undefined;
  }
  if (col.sparseSpace(plan.using ?? "")) {
    const scoring = isObject(q) && ("fusion" in q || "rrf" in q || "order_by" in q || "sample" in q || "formula" in q);
    if (!scoring) {
      sparseScoring(col, q, where, plan);
      return undefined;
    }
  }
  if (Array.isArray(q) || typeof q === "number" || typeof q === "string") {
    plan.kind = "nearest";
    plan.vector = vectorInput(col, q, `${where}.query`, plan);
  } else if (isObject(q) && "nearest" in q) {
    plan.kind = "nearest";
    plan.vector = vectorInput(col, q.nearest, `${where}.query.nearest`, plan);
    if (q.mmr !== undefined && q.mmr !== null) return { mmr: parseMmr(q.mmr, `${where}.query.mmr`, plan.limit) };
  } else if (isObject(q) && isObject(q.recommend)) {
    recommend(col, q.recommend, `${where}.query.recommend`, plan);
  } else if (isObject(q) && ("discover" in q || "context" in q || "relevance_feedback" in q)) {
    const read = (v: unknown, at: string) => vectorInput(col, v, at, plan);
    plan.kind = "custom";
    plan.custom = "discover" in q ? parseDiscover(q.discover, read, `${where}.query.discover`)
      : "context" in q ? parseContext(q.context, read, `${where}.query.context`)
      : parseRelevanceFeedback(q.relevance_feedback, read, `${where}.query.relevance_feedback`);
  } else if (isObject(q) && ("fusion" in q || "rrf" in q)) {
    return { fusion: parseFusion(q, `${where}.query`) };
  } else if (isObject(q) && "order_by" in q) {
    if (plan.threshold !== undefined) throw badRequest(`${where}: Can't use score_threshold with an order_by query.`);
    return { orderBy: parseOrderBy(col, q.order_by, `${where}.query.order_by`) };
  } else if (isObject(q) && "sample" in q) {
    return { sample: parseSample(q.sample, `${where}.query.sample`) };
  } else if (isObject(q) && "formula" in q) {
    return { formula: parseFormula(q, `${where}.query`) };
  } else {
    const kind = isObject(q) ? Object.keys(q)[0] : undefined;
    throw badRequest(
      `${where}.query ${kind ? `"${kind}" ` : ""}is not supported by the embedded store: it answers a vector, a point id, ` +
        `{"nearest"}, {"recommend"}, {"discover"}, {"context"}, {"relevance_feedback"}, {"fusion"}, {"rrf"}, {"order_by"}, {"sample"} and {"formula"}; use a Qdrant server (QDRANT_URL) for the rest`,
    );
  }
  return undefined;
}

/**
 * A body or one of its prefetches (nested to any depth), as a stage. Every
 * point referenced by id anywhere in the tree is left out of every stage, and
 * a filter applies to all the prefetches under it, as in Qdrant.
 */
function parseStage(
  col: Collection, body: Record<string, unknown>, where: string, exclude: Set<PointId>, above: Predicate | null, depth: number, resolve?: CollectionLookup,
): { plan: ParsedQuery; stage: Stage } {
  if (depth > MAX_PREFETCH_DEPTH) throw badRequest(`prefetches depth ${depth} exceeds max depth ${MAX_PREFETCH_DEPTH}`);
  const plan = basePlan(col, body, where, "filter", false, resolve);
  plan.exclude = exclude;
  plan.filter = both(above, plan.filter);
  if (depth > 0) plan.offset = 0; // a prefetch has no offset: its limit counts from the top
  const raw = body.prefetch;
  const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const prefetch = list.map((p, i) => {
    const at = `${where}.prefetch${Array.isArray(raw) ? `[${i}]` : ""}`;
    if (!isObject(p)) throw badRequest(`${at} must be an object {"query", "filter", "limit", "prefetch", ...}, got ${show(p)}`);
    return parseStage(col, p, at, exclude, plan.filter, depth + 1, resolve).stage;
  });
  const merge = parseScoring(col, body.query, where, plan) ?? {};
  const fusion = merge.fusion;
  if (prefetch.length > 0 && plan.kind === "scroll" && !fusion && !merge.orderBy && !merge.sample && !merge.formula) {
    throw badRequest(`${where}: A query is needed to merge the prefetches. Can't have prefetches without defining a query.`);
  }
  if (merge.formula && prefetch.length === 0) throw badRequest(`Validation failed: cannot apply Formula without prefetches (${where}.query: give it a "prefetch" list whose candidates the formula scores)`);
  if (fusion && prefetch.length === 0) throw badRequest(`${where}.query: cannot apply Fusion without prefetches; give it a "prefetch" list`);
  if (fusion?.kind === "rrf" && fusion.weights && fusion.weights.length !== prefetch.length) {
    throw badRequest(`${where}.query.rrf.weights: Number of weights in RRF should match number of pre-fetches: got ${fusion.weights.length}, expected ${prefetch.length}`);
  }
  return { plan, stage: { plan, prefetch, ...merge } };
}

/** A body of POST /points/query (or one of /points/query/batch's `searches`); `resolve` finds lookup_from collections. */
export function parseQuery(col: Collection, body: Record<string, unknown>, where: string, resolve?: CollectionLookup): ParsedQuery {
  const { plan, stage } = parseStage(col, body, where, new Set(), null, 0, resolve);
  plan.stage = stage;
  return plan;
}

/** Run a parsed query: the scored points, best first, as Qdrant's ScoredPoint. */
export function runQuery(col: Collection, q: ParsedQuery): PointView[] {
  return (q.stage ? runStage(col, q.stage) : search(col, q)).map((h) => {
    const v = pointView(col, h.row, q.withPayload, q.withVector, h.score);
    if ("orderValue" in h) v.order_value = h.orderValue as number;
    return v;
  });
}
