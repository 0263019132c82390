/**
 * Qdrant's feedback queries (recommend best_score / sum_scores, discover,
 * context, relevance_feedback naive) as the embedded store answers them:
 * the request shapes checked into a {@link CustomQuery}, and the scoring
 * as pure functions of the candidate's similarity to each example.
 *
 * The similarity inside these queries is Qdrant's raw one, never
 * post-processed (lib/segment/src/spaces/simple.rs): dot product for Dot
 * and Cosine (vectors normalized), −d² for Euclid and −L1 for Manhattan.
 * The formulas follow lib/segment/src/vector_storage/query/*.rs and the
 * sigmoids of lib/common/common/src/math.rs; tests pin them on
 * hand-computed cases (test/store/feedback-queries.test.ts).
 */

import type { Kernels, Metric } from "../../kernels/index.js";
import { isDistance } from "../../kernels/index.js";
import { badRequest, show } from "./errors.js";

/** Qdrant's `fast_sigmoid`: x / (1 + |x|), in (−1, 1). */
export function fastSigmoid(x: number): number {
  return x / (1 + Math.abs(x));
}

/** Qdrant's `scaled_fast_sigmoid`: (fast_sigmoid(x) + 1) / 2, in (0, 1). */
export function scaledFastSigmoid(x: number): number {
  return 0.5 * (fastSigmoid(x) + 1);
}

/** f32::EPSILON, the margin of Qdrant's context pair loss. */
export const F32_EPSILON = 2 ** -23;

/**
 * A query scored per candidate from its similarities to `examples`:
 * `score(sim)` gets `sim[i]` = similarity(candidate, examples[i]).
 */
export interface CustomQuery {
  name: "best_score" | "sum_scores" | "discover" | "context" | "relevance_feedback";
  examples: Float32Array[];
  score(sim: Float64Array): number;
}

/** Recommend best_score: the best positive through the scaled sigmoid, or minus the best negative's when that is closer. */
export function bestScore(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  let maxPos = -Infinity;
  let maxNeg = -Infinity;
  for (let i = 0; i < pos.length; i++) if (pos[i]! > maxPos) maxPos = pos[i]!;
  for (let i = 0; i < neg.length; i++) if (neg[i]! > maxNeg) maxNeg = neg[i]!;
  return maxPos > maxNeg ? scaledFastSigmoid(maxPos) : -scaledFastSigmoid(maxNeg);
}

/** Recommend sum_scores: Σ positive similarities − Σ negative ones. */
export function sumScores(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pos.length; i++) s += pos[i]!;
  for (let i = 0; i < neg.length; i++) s -= neg[i]!;
  return s;
}

/** Discover: the number of pairs whose positive is closer minus those whose negative is, plus the scaled sigmoid of the target similarity. */
export function discoverScore(target: number, pairs: ReadonlyArray<readonly [number, number]>): number {
  let rank = 0;
  for (const [p, n] of pairs) rank += p > n ? 1 : p < n ? -1 : 0;
  return rank + scaledFastSigmoid(target);
}

/** Context: Σ over pairs of fast_sigmoid(min(sim(p) − sim(n) − ε, 0)); 0 where every pair's positive is closer. */
export function contextScore(pairs: ReadonlyArray<readonly [number, number]>): number {
  let s = 0;
  for (const [p, n] of pairs) s += fastSigmoid(Math.min(p - n - F32_EPSILON, 0));
  return s;
}

/** One ordered pair of the naive relevance feedback: (positive, negative) example indices and the weight c·(score_p − score_n)^b. */
export interface FeedbackPair {
  positive: number;
  negative: number;
  weight: number;
}

/** The naive strategy's pairs: every ordered pair of feedback items whose score difference is > 0. */
export function feedbackPairs(scores: ArrayLike<number>, b: number, c: number): FeedbackPair[] {
  const out: FeedbackPair[] = [];
  if (scores.length < 2) return out;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (i === j) continue;
      const confidence = scores[i]! - scores[j]!;
      if (confidence <= 0) continue;
      out.push({ positive: i, negative: j, weight: confidence ** b * c });
    }
  }
  return out;
}

/** Naive relevance feedback: a·sim(target) + Σ pairs weight·(sim(p) − sim(n)); `items[i]` = sim to feedback item i. */
export function naiveFeedbackScore(target: number, items: ArrayLike<number>, a: number, pairs: readonly FeedbackPair[]): number {
  let s = a * target;
  for (const p of pairs) s += p.weight * (items[p.positive]! - items[p.negative]!);
  return s;
}

/** Reads an example (a vector or a point id); ids also join the plan's exclusions. */
export type ReadVector = (v: unknown, where: string) => Float32Array;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Recommend best_score / sum_scores over checked examples. */
export function recoQuery(strategy: "best_score" | "sum_scores", pos: Float32Array[], neg: Float32Array[], where: string): CustomQuery {
  if (pos.length + neg.length === 0) throw badRequest(`${where}: ${strategy} needs at least one positive or negative example`);
  const np = pos.length;
  const f = strategy === "best_score" ? bestScore : sumScores;
  return { name: strategy, examples: [...pos, ...neg], score: (sim) => f(sim.subarray(0, np), sim.subarray(np)) };
}

/** Context pairs in Qdrant's MaybeOneOrMany form: one pair, a list of pairs, or null (none). */
function parsePairs(v: unknown, read: ReadVector, where: string): Array<[Float32Array, Float32Array]> {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((p, i) => {
    const at = Array.isArray(v) ? `${where}[${i}]` : where;
    if (!isObject(p) || p.positive === undefined || p.negative === undefined) {
      throw badRequest(`${at} must be a pair {"positive": ..., "negative": ...} of point ids or vectors, got ${show(p)}`);
    }
    return [read(p.positive, `${at}.positive`), read(p.negative, `${at}.negative`)];
  });
}

function pairsQuery(name: "discover" | "context", target: Float32Array | undefined, pairs: Array<[Float32Array, Float32Array]>): CustomQuery {
  const examples = target ? [target] : [];
  for (const [p, n] of pairs) examples.push(p, n);
  const off = target ? 1 : 0;
  const sims: Array<[number, number]> = pairs.map(() => [0, 0]);
  return {
    name, examples,
    score(sim) {
      for (let i = 0; i < sims.length; i++) {
        sims[i]![0] = sim[off + 2 * i]!;
        sims[i]![1] = sim[off + 2 * i + 1]!;
      }
      return target ? discoverScore(sim[0]!, sims) : contextScore(sims);
    },
  };
}

/** `{"discover": {"target": ..., "context": pairs}}`. */
export function parseDiscover(v: unknown, read: ReadVector, where: string): CustomQuery {
  if (!isObject(v) || v.target === undefined || v.target === null) {
    throw badRequest(`${where} must be {"target": id or vector, "context": [{"positive": ..., "negative": ...}]}, got ${show(v)}`);
  }
  const target = read(v.target, `${where}.target`);
  return pairsQuery("discover", target, parsePairs(v.context, read, `${where}.context`));
}

/** `{"context": pairs}`. */
export function parseContext(v: unknown, read: ReadVector, where: string): CustomQuery {
  return pairsQuery("context", undefined, parsePairs(v, read, where));
}

function finite(v: unknown, where: string, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw badRequest(`${where} must be a finite number${min > -Infinity ? ` >= ${min}` : ""}, got ${show(v)}`);
  }
  return v;
}

/** `{"relevance_feedback": {"target": ..., "feedback": [{"example", "score"}], "strategy": {"naive": {a, b, c}}}}`. */
export function parseRelevanceFeedback(v: unknown, read: ReadVector, where: string): CustomQuery {
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
  const pairs = feedbackPairs(items.map((it) => it.score), b, c);
  return {
    name: "relevance_feedback",
    examples: [target, ...items.map((it) => it.vector)],
    score: (sim) => naiveFeedbackScore(sim[0]!, sim.subarray(1), a, pairs),
  };
}

/**
 * Score every row (or the filtered `rows`) of a collection and keep the best
 * `k`, highest first; `d` holds the kernel metric between each of the
 * query's examples and each of the n rows, `[examples, n]` row-major.
 */
export function runCustomQuery(
  kernels: Kernels, d: ArrayLike<number>, n: number, metric: Metric,
  query: CustomQuery, rows: Int32Array | undefined, k: number,
): { row: number; score: number }[] {
  const m = rows ? rows.length : n;
  const e = query.examples.length;
  if (m === 0 || k <= 0) return [];
  const sign = isDistance(metric) ? -1 : 1; // Qdrant's similarity is minus the distance
  // f64: a wide scan (values beyond f32) hands back f64 similarities
  const sim = new Float64Array(e);
  const scores = new Float32Array(m);
  for (let j = 0; j < m; j++) {
    const r = rows ? rows[j]! : j;
    for (let i = 0; i < e; i++) sim[i] = sign * d[i * n + r]!;
    scores[j] = query.score(sim);
  }
  const top = kernels.topK({ scores, k: Math.min(k, m), largest: true });
  return Array.from(top.indices, (j, i) => ({ row: rows ? rows[j]! : j, score: top.values[i]! }));
}
