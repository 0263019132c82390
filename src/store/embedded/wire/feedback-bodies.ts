/**
 * The request shapes of Qdrant's feedback queries (recommend best_score /
 * sum_scores, discover, context, relevance_feedback naive), checked and turned
 * into the engine's {@link CustomQuery} (engine/feedback-queries.ts scores them).
 * The examples are read by the caller's `read`: dense rows or sparse vectors.
 */

import { show } from "../engine/errors.js";
import { type CustomQuery, type Example, pairsQuery, recoQuery, relevanceFeedbackQuery } from "../engine/feedback-queries.js";
import { badRequest } from "./errors.js";

/** Recommend best_score / sum_scores over checked examples. */
export function parseRecoQuery<E extends Example>(strategy: "best_score" | "sum_scores", pos: E[], neg: E[], where: string): CustomQuery<E> {
  if (pos.length + neg.length === 0) throw badRequest(`${where}: ${strategy} needs at least one positive or negative example`);
  return recoQuery(strategy, pos, neg);
}

/** Reads an example (a vector or a point id); ids also join the plan's exclusions. */
export type ReadVector<E extends Example> = (v: unknown, where: string) => E;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Context pairs in Qdrant's MaybeOneOrMany form: one pair, a list of pairs, or null (none). */
function parsePairs<E extends Example>(v: unknown, read: ReadVector<E>, where: string): Array<[E, E]> {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((p, i) => {
    const at = Array.isArray(v) ? `${where}[${i}]` : where;
    if (!isObject(p) || p.positive === undefined || p.negative === undefined) {
      throw badRequest(`${at} must be a pair {"positive": ..., "negative": ...} of point ids or vectors, got ${show(p)}`);
    }
    return [read(p.positive, `${at}.positive`), read(p.negative, `${at}.negative`)] as [E, E];
  });
}

/** `{"discover": {"target": ..., "context": pairs}}`. */
export function parseDiscover<E extends Example>(v: unknown, read: ReadVector<E>, where: string): CustomQuery<E> {
  if (!isObject(v) || v.target === undefined || v.target === null) {
    throw badRequest(`${where} must be {"target": id or vector, "context": [{"positive": ..., "negative": ...}]}, got ${show(v)}`);
  }
  const target = read(v.target, `${where}.target`);
  return pairsQuery("discover", target, parsePairs(v.context, read, `${where}.context`));
}

/** `{"context": pairs}`. */
export function parseContext<E extends Example>(v: unknown, read: ReadVector<E>, where: string): CustomQuery<E> {
  return pairsQuery("context", undefined, parsePairs(v, read, where));
}

function finite(v: unknown, where: string, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw badRequest(`${where} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}, got ${show(v)}`);
  }
  return v;
}

/** `{"relevance_feedback": {"target": ..., "feedback": [{"example", "score"}], "strategy": {"naive": {a, b, c}}}}`. */
export function parseRelevanceFeedback<E extends Example>(v: unknown, read: ReadVector<E>, where: string): CustomQuery<E> {
  if (!isObject(v) || v.target === undefined || v.target === null) {
    throw badRequest(`${where} must be {"target": ..., "feedback": [{"example": ..., "score": ...}], "strategy": {"naive": {"a", "b", "c"}}}, got ${show(v)}`);
  }
  if (!Array.isArray(v.feedback) || v.feedback.length === 0) {
    throw badRequest(`${where}.feedback: feedback elements must be non-empty (a list of {"example": id or vector, "score": number})`);
  }
  const naive = isObject(v.strategy) && isObject(v.strategy.naive) ? v.strategy.naive : undefined;
  if (!naive) {
    throw badRequest(`${where}.strategy must be {"naive": {"a": number, "b": number >= 0, "c": number}}, got ${show(v.strategy)}; it is the only strategy Qdrant defines`);
  }
  const a = finite(naive.a, `${where}.strategy.naive.a`);
  const b = finite(naive.b, `${where}.strategy.naive.b`, 0);
  const c = finite(naive.c, `${where}.strategy.naive.c`);
  const target = read(v.target, `${where}.target`);
  const items = v.feedback.map((it, i) => {
    if (!isObject(it)) throw badRequest(`${where}.feedback[${i}] must be {"example": id or vector, "score": number}, got ${show(it)}`);
    return { vector: read(it.example, `${where}.feedback[${i}].example`), score: finite(it.score, `${where}.feedback[${i}].score`) };
  });
  return relevanceFeedbackQuery(target, items, a, b, c);
}

