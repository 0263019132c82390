/**
 * Qdrant's strategies as Query API bodies: the query and the marks, by id
 * where they are stored points (Qdrant then leaves them out of the results)
 * or as vectors.
 */

import type { FeedbackQueryBody, PointId } from "../store/qdrant.js";
import type { FeedbackParams, QdrantStrategy } from "./strategies.js";

/** A query or a mark as the store sees it: a stored point's id, or a vector. */
export type Ref = PointId | number[];

const RECOMMEND = { "average-vector": "average_vector", "best-score": "best_score", "sum-scores": "sum_scores" } as const;

/**
 * The body of one strategy's query. The query counts as a right mark.
 * Context pairs are every (right, wrong) combination; where a strategy has
 * nothing to work with (no wrong marks for discover / context, no marks for
 * relevance_feedback) the body is the plain nearest query, as Qdrant's own
 * discovery endpoint does for an empty context.
 */
export function qdrantQuery(strategy: QdrantStrategy, query: Ref, positives: Ref[], negatives: Ref[], params: FeedbackParams): FeedbackQueryBody {
  const right = [query, ...positives];
  if (strategy in RECOMMEND) {
    return { recommend: { positive: right, negative: negatives, strategy: RECOMMEND[strategy as keyof typeof RECOMMEND] } };
  }
  const pairs = right.flatMap((p) => negatives.map((n) => ({ positive: p, negative: n })));
  if (strategy === "discover") {
    return pairs.length ? { discover: { target: query, context: pairs } } : { nearest: query };
  }
  if (strategy === "context") return pairs.length ? { context: pairs } : { nearest: query };
  const feedback = [...positives.map((example) => ({ example, score: 1 })), ...negatives.map((example) => ({ example, score: 0 }))];
  if (feedback.length === 0) return { nearest: query };
  const { a, b, c } = params.relevanceFeedback;
  return { relevance_feedback: { target: query, feedback, strategy: { naive: { a, b, c } } } };
}
