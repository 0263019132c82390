/**
 * The JSON API of `margin serve`: search by vector, a stored image by point
 * id, collection info, the model card and its ONNX bytes. Every input from
 * the request is checked here, where it enters.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { ModelCard } from "../model/card.js";
import { pointIdFromText, type PointId } from "../data/point-id.js";
import type { QdrantStore, StoreFilter } from "../store/qdrant.js";
import type { CollectionInfo, FeedbackResponse, ModelInfo, SearchRequest, SearchResponse } from "./api-types.js";
import { getMarks, postAdapter, type AdaptContext } from "./adapter-api.js";
import { STRATEGIES, type Strategy } from "../feedback/strategies.js";
import { recordMarks } from "../adapt/marks.js";
import { search } from "../search/search.js";
import { serveConfined } from "./confined-file.js";
import { ApiError, notFound, readJson, sendFile, sendJson } from "./http.js";

/** What the handlers need, resolved once by serve(). */
export interface ApiContext {
  store: QdrantStore;
  collection: string;
  /** The model the collection is searched with (replaced when an uploaded adapter is shipped). */
  card: ModelCard;
  /** Path of its card. */
  cardPath: string;
  /** Adapter uploads (GET /api/marks, POST /api/adapter); off when undefined. */
  adapt?: AdaptContext;
  /** Absolute path of the ONNX file. */
  onnxPath: string;
  /** Absolute path of the kernels wasm. */
  wasmPath: string;
  /** The ingested image folder (payload paths are relative to it), if known. */
  imagesRoot?: string;
  maxBodyBytes: number;
}

/** The most results one search may ask for. */
export const MAX_LIMIT = 1000;
/** Results when the request names no limit. */
export const DEFAULT_LIMIT = 24;

/**
 * A point id from a URL segment: a UUID or an unsigned integer.
 * @throws ApiError 400 otherwise.
 */
export function parsePointId(raw: string): PointId {
  const id = pointIdFromText(raw);
  if (id !== undefined) return id;
  throw new ApiError(400, "E_INPUT", `point id ${JSON.stringify(raw.slice(0, 80))} is neither a UUID nor an unsigned integer`);
}

/**
 * Check a search body against the model's dimension.
 * @throws ApiError 400 naming the field, the value and what is expected.
 */
export function parseSearch(body: unknown, dim: number): Required<Omit<SearchRequest, "filter">> & { filter?: StoreFilter } {
  const bad = (what: string): never => {
    throw new ApiError(400, "E_INPUT", `POST /api/search: ${what}`);
  };
  if (!body || typeof body !== "object" || Array.isArray(body)) bad("the body must be a JSON object { vector, limit?, filter?, withVectors? }");
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!["vector", "limit", "filter", "withVectors"].includes(k)) bad(`unknown field ${JSON.stringify(k)}; expected vector, limit, filter, withVectors`);
  }
  const v = b.vector;
  if (!Array.isArray(v)) bad(`vector must be an array of ${dim} numbers, got ${typeof v}`);
  const vector = v as unknown[];
  if (vector.length !== dim) bad(`vector has ${vector.length} values but the model outputs ${dim}`);
  vector.forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) bad(`vector[${i}] must be a finite number, got ${JSON.stringify(x)}`);
  });
  const limit = b.limit ?? DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) bad(`limit must be an integer in [1, ${MAX_LIMIT}], got ${JSON.stringify(limit)}`);
  const filter = b.filter;
  if (filter !== undefined && (filter === null || typeof filter !== "object" || Array.isArray(filter))) bad(`filter must be a Qdrant filter object such as {"must":[{"key":"label","match":{"value":"Bag"}}]}, got ${JSON.stringify(filter)}`);
  const withVectors = b.withVectors ?? false;
  if (typeof withVectors !== "boolean") bad(`withVectors must be true or false, got ${JSON.stringify(withVectors)}`);
  return { vector: vector as number[], limit: limit as number, filter: filter as StoreFilter | undefined, withVectors: withVectors as boolean };
}

/**
 * Check a feedback body: a search body plus marked ids and a strategy.
 * @throws ApiError 400 naming the field, the value and what is expected.
 */
export function parseFeedback(body: unknown, dim: number) {
  const bad = (what: string): never => {
    throw new ApiError(400, "E_INPUT", `POST /api/feedback: ${what}`);
  };
  if (!body || typeof body !== "object" || Array.isArray(body)) bad("the body must be a JSON object { vector, positives, negatives, strategy, limit?, filter? }");
  const { positives, negatives, strategy, ...rest } = body as Record<string, unknown>;
  const ids = (v: unknown, name: string) => {
    if (!Array.isArray(v) || v.length > 100) bad(`${name} must be a list of at most 100 point ids, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return (v as unknown[]).map((x, i) => {
      if (typeof x === "number" && Number.isInteger(x) && x >= 0) return x;
      if (typeof x === "string") return parsePointId(x);
      return bad(`${name}[${i}] must be a point id (an unsigned integer or a UUID), got ${JSON.stringify(x)}`);
    });
  };
  const pos = ids(positives, "positives");
  const neg = ids(negatives, "negatives");
  if (pos.length + neg.length === 0) bad("mark at least one result (positives or negatives); a search without marks is POST /api/search");
  if (typeof strategy !== "string" || !STRATEGIES.includes(strategy as Strategy)) {
    bad(`strategy must be one of ${STRATEGIES.map((x) => `"${x}"`).join(", ")}, got ${JSON.stringify(strategy)}`);
  }
  let q;
  try {
    q = parseSearch(rest, dim);
  } catch (e) {
    throw e instanceof ApiError ? new ApiError(400, "E_INPUT", e.message.replace("POST /api/search", "POST /api/feedback")) : e;
  }
  return { ...q, positives: pos, negatives: neg, strategy: strategy as Strategy };
}

/**
 * Route one /api request.
 * @returns false when no API route matched.
 */
export async function handleApi(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const method = req.method ?? "GET";
  const get = method === "GET" || method === "HEAD";
  if (path === "/api/search") {
    if (method !== "POST") throw methodNotAllowed(method, path, "POST");
    const q = parseSearch(await readJson(req, ctx.maxBodyBytes), ctx.card.output.dim);
    const t0 = performance.now();
    const hits = await ctx.store.nearest({
      collection: ctx.collection, vector: q.vector, limit: q.limit, filter: q.filter, withPayload: true, withVector: q.withVectors,
    });
    const body: SearchResponse = {
      results: hits.map((h) => ({ id: h.id, score: h.score, payload: h.payload, ...(q.withVectors && h.vector ? { vector: h.vector } : {}) })),
      ms: performance.now() - t0,
    };
    sendJson(res, 200, body);
    return true;
  }
  if (path === "/api/feedback") {
    if (method !== "POST") throw methodNotAllowed(method, path, "POST");
    const q = parseFeedback(await readJson(req, ctx.maxBodyBytes), ctx.card.output.dim);
    const t0 = performance.now();
    // the same library call as `margin search --vector ... --positive ID --negative ID --strategy S --json`
    const r = await search({
      store: ctx.store, collection: ctx.collection, query: { vector: q.vector }, k: q.limit, filter: q.filter, strategy: q.strategy,
      positives: q.positives.map((id) => ({ id })), negatives: q.negatives.map((id) => ({ id })),
      // every mark in the page is kept with the collection (margin feedback / margin adapt)
      onMarks: (m) => recordMarks(ctx.store, { collection: ctx.collection, query: m.query, right: m.right, wrong: m.wrong, model: ctx.card.name }).then(() => {}),
    });
    const body: FeedbackResponse = { results: r.hits.map((h) => ({ id: h.id, score: h.score, payload: h.payload })), strategy: q.strategy, ms: performance.now() - t0 };
    sendJson(res, 200, body);
    return true;
  }
  if (path === "/api/marks") {
    if (!get) throw methodNotAllowed(method, path, "GET");
    await getMarks(ctx, res);
    return true;
  }
  if (path === "/api/adapter") {
    if (method !== "POST") throw methodNotAllowed(method, path, "POST");
    await postAdapter(ctx, req, res);
    return true;
  }
  if (path.startsWith("/api/thumb/")) {
    if (!get) throw methodNotAllowed(method, path, "GET");
    // `path` is decoded once already (decodeURI); ids need no more decoding
    const id = parsePointId(path.slice("/api/thumb/".length));
    if (!ctx.imagesRoot) {
      throw new ApiError(404, "E_INPUT", "thumbnails are off: start `margin serve` with --images DIR, the folder that was ingested");
    }
    const [hit] = await ctx.store.retrieve(ctx.collection, [id]);
    if (!hit) throw notFound(`no point ${id} in collection "${ctx.collection}"`);
    const rel = hit.payload?.path;
    if (typeof rel !== "string" || !rel) throw notFound(`point ${id} has no payload "path"; re-ingest the folder with margin ingest`);
    await serveConfined(req, res, ctx.imagesRoot, rel, "private, max-age=3600");
    return true;
  }
  if (path === "/api/collection") {
    if (!get) throw methodNotAllowed(method, path, "GET");
    const points = await ctx.store.count(ctx.collection);
    const body: CollectionInfo = {
      name: ctx.collection, points, model: ctx.card.name, dim: ctx.card.output.dim, distance: ctx.card.distance, thumbnails: !!ctx.imagesRoot,
    };
    sendJson(res, 200, body);
    return true;
  }
  if (path === "/api/model") {
    if (!get) throw methodNotAllowed(method, path, "GET");
    const body: ModelInfo = { card: ctx.card as unknown as Record<string, unknown>, onnx: "/api/model.onnx", kernels: "/build/margin.wasm" };
    sendJson(res, 200, body);
    return true;
  }
  if (path === "/api/model.onnx") {
    if (!get) throw methodNotAllowed(method, path, "GET");
    await sendFile(req, res, ctx.onnxPath).catch((e) => {
      throw new ApiError(500, "E_MODEL", `the ONNX file ${ctx.onnxPath} cannot be read (${(e as NodeJS.ErrnoException).code}); check --model`, { cause: e });
    });
    return true;
  }
  if (path === "/build/margin.wasm") {
    if (!get) throw methodNotAllowed(method, path, "GET");
    await sendFile(req, res, ctx.wasmPath).catch((e) => {
      throw new ApiError(500, "E_KERNEL", `the kernels wasm ${ctx.wasmPath} cannot be read (${(e as NodeJS.ErrnoException).code}); run npm run build:wasm`, { cause: e });
    });
    return true;
  }
  if (path.startsWith("/api/")) throw notFound(`no API route ${method} ${path}; see docs/browser.md`);
  return false;
}

function methodNotAllowed(method: string, path: string, allowed: string): ApiError {
  return new ApiError(405, "E_INPUT", `${method} ${path} is not allowed; use ${allowed}`);
}

/** The ONNX file beside a card. */
export function onnxPathOf(cardPath: string, card: ModelCard): string {
  return join(cardPath, "..", card.onnx ?? `${card.name}.onnx`);
}
