/**
 * Qdrant's feedback queries (recommend best_score / sum_scores, discover,
 * context, relevance_feedback naive) in the engine: a {@link CustomQuery}
 * built from checked examples (wire/feedback-bodies.ts reads the request
 * shapes), and the scoring as pure functions of the candidate's similarity
 * to each example.
 *
 * The similarity inside these queries is Qdrant's raw one, never
 * post-processed (lib/segment/src/spaces/simple.rs): dot product for Dot
 * and Cosine (vectors normalized), −d² for Euclid and −L1 for Manhattan;
 * on sparse vectors the dot product over shared indices, 0 when they share
 * none (query_scorer/sparse_custom_query_scorer.rs). The examples are dense
 * rows or sparse vectors (`E`): the scoring never looks inside them.
 * The formulas follow lib/segment/src/vector_storage/query/*.rs and the
 * sigmoids of lib/common/common/src/math.rs; tests pin them on
 * hand-computed cases (test/store/feedback-queries.test.ts).
 */

import type { Kernels, Metric } from "../../../kernels/index.js";
import { isDistance } from "../../../kernels/index.js";
import type { SparseVector } from "../log/records.js";
import { F32_MAX } from "./limits.js";

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

/** An example of a feedback query: a dense row (checked and normalized as the space wants) or a sparse vector. */
export type Example = Float32Array | SparseVector;

/**
 * A query scored per candidate from its similarities to `examples`:
 * `score(sim)` gets `sim[i]` = similarity(candidate, examples[i]).
 */
export interface CustomQuery<E = Example> {
  name: "best_score" | "sum_scores" | "discover" | "context" | "relevance_feedback";
  examples: E[];
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

/** Recommend best_score / sum_scores over checked examples (at least one). */
export function recoQuery<E extends Example>(strategy: "best_score" | "sum_scores", pos: E[], neg: E[]): CustomQuery<E> {
  const np = pos.length;
  const f = strategy === "best_score" ? bestScore : sumScores;
  return { name: strategy, examples: [...pos, ...neg], score: (sim) => f(sim.subarray(0, np), sim.subarray(np)) };
}

/** Discover (with a target) or context (without) over checked (positive, negative) example pairs. */
export function pairsQuery<E extends Example>(name: "discover" | "context", target: E | undefined, pairs: Array<[E, E]>): CustomQuery<E> {
  const examples: E[] = target ? [target] : [];
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

/** Naive relevance feedback over a checked target and scored examples, with the strategy's a, b (>= 0), c. */
export function relevanceFeedbackQuery<E extends Example>(target: E, items: { vector: E; score: number }[], a: number, b: number, c: number): CustomQuery<E> {
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
  query: CustomQuery<unknown>, rows: Int32Array | undefined, k: number,
): { row: number; score: number }[] {
  const m = rows ? rows.length : n;
  const e = query.examples.length;
  if (m === 0 || k <= 0) return [];
  const sign = isDistance(metric) ? -1 : 1; // Qdrant's similarity is minus the distance
  // f64: a wide scan (values beyond f32) hands back f64 similarities
  const sim = new Float64Array(e);
  const scores = new Float64Array(m);
  let inF32 = true;
  for (let j = 0; j < m; j++) {
    const r = rows ? rows[j]! : j;
    for (let i = 0; i < e; i++) sim[i] = sign * d[i * n + r]!;
    const s = query.score(sim);
    scores[j] = s;
    if (!(Math.abs(Math.fround(s)) <= F32_MAX)) inF32 = false;
  }
  const keep = Math.min(k, m);
  const at = (j: number) => (rows ? rows[j]! : j);
  if (inF32) {
    const top = kernels.topK({ scores: Float32Array.from(scores), k: keep, largest: true });
    return Array.from(top.indices, (j, i) => ({ row: at(j), score: top.values[i]! }));
  }
  // a score beyond f32 (sum_scores over extreme vectors): rank the doubles here, highest first, ties to the lower row
  const order = Array.from({ length: m }, (_, j) => j).sort((x, y) => scores[y]! - scores[x]! || x - y);
  return order.slice(0, keep).map((j) => ({ row: at(j), score: scores[j]! }));
}
