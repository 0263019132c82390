/**
 * The feedback strategies: what a user's marks (right / wrong) do to the
 * next result page. Qdrant's own strategies run in the store (so they work
 * the same on a Qdrant server); margin's run on the kernels over a
 * candidate pool from Qdrant's recommend. docs/feedback.md says how each
 * scores and why the default is the default.
 */

/** Run by the store: Qdrant's Query API. */
export const QDRANT_STRATEGIES = ["average-vector", "best-score", "sum-scores", "discover", "context", "relevance-feedback"] as const;
/** Run on the kernels over the recommend pool. */
export const MARGIN_STRATEGIES = ["triplet", "contrastive", "rocchio", "kde", "kde-expand"] as const;
/** `plain` ignores the marks: the query's nearest neighbours. */
export const STRATEGIES = ["plain", ...QDRANT_STRATEGIES, ...MARGIN_STRATEGIES] as const;

/** A feedback strategy Qdrant runs in the store: one of {@link QDRANT_STRATEGIES}. */
export type QdrantStrategy = (typeof QDRANT_STRATEGIES)[number];
/** A feedback strategy margin runs in its kernels over a candidate pool: one of {@link MARGIN_STRATEGIES}. */
export type MarginStrategy = (typeof MARGIN_STRATEGIES)[number];
/** Any feedback strategy, the store's or margin's: one of {@link STRATEGIES}. */
export type Strategy = (typeof STRATEGIES)[number];

/**
 * The default when a search has marks, chosen by `margin eval --steer` on
 * tuning queries disjoint from the reported ones (docs/feedback.md).
 */
export const DEFAULT_STRATEGY: Strategy = "kde-expand";

/** Where margin's strategies take their candidates from (see {@link FeedbackParams.poolFrom}). */
export const POOL_SOURCES = ["average-vector", "moved"] as const;
/** One of {@link POOL_SOURCES}. */
export type PoolSource = (typeof POOL_SOURCES)[number];

/** Tunable parameters; every scale is relative to the pool, so one setting fits any space. */
export interface FeedbackParams {
  /** Candidates the margin strategies re-rank: the top `pool` of {@link FeedbackParams.poolFrom}. Default 200. */
  pool: number;
  /**
   * Where the pool comes from: `"average-vector"`, recommend's top `pool`;
   * `"moved"`, the nearest `pool` to the moved query q' (below), the query
   * and marks given by id left out. Default "moved".
   */
  poolFrom: PoolSource;
  /** relevance_feedback naive (a, b, c); marks score 1 (right) and 0 (wrong), so b has no effect. */
  relevanceFeedback: { a: number; b: number; c: number };
  /**
   * The moved query of rocchio and kde: q' = q + beta·(p̄ − q) + gamma·(q − n̄),
   * p̄ / n̄ the means of the right / wrong marks (the query itself not among them);
   * without wrong marks, q' is the centroid of the query and the right marks.
   */
  beta: number;
  gamma: number;
  /** kde: weight of the kernel estimate against closeness to q'. */
  weight: number;
  /** kde: bandwidth as a multiple of the pool's median d²(q, x). */
  tau: number;
  /** contrastive: margin as a multiple of the pool's median d(q, x). */
  contrastiveMargin: number;
  /**
   * kde-expand: kde's best pool points then count as right marks
   * (pseudo-relevance feedback), as many as top the real right marks up to
   * `expand` (3 right marks and expand 6: the best 3; 6 right marks: none).
   */
  expand: number;
  /** kde-expand: weight of those pseudo marks' own kernel sum relative to the real marks'. */
  expandWeight: number;
  /**
   * kde-expand: the pseudo marks also join the right marks' kernel sum
   * (lse over real and pseudo right marks alike), besides their own sum.
   * Default true.
   */
  expandJoin: boolean;
}

/** Defaults (tuned, docs/feedback.md). */
export const DEFAULT_PARAMS: Readonly<FeedbackParams> = Object.freeze({
  pool: 200,
  poolFrom: "moved",
  relevanceFeedback: Object.freeze({ a: 1, b: 1, c: 0.4 }),
  beta: 2,
  gamma: 0.6,
  weight: 1,
  tau: 0.5,
  contrastiveMargin: 1.5,
  expand: 6,
  expandWeight: 1,
  expandJoin: true,
});

/** Whether a strategy runs in the store. */
export function isQdrantStrategy(s: Strategy): s is QdrantStrategy {
  return (QDRANT_STRATEGIES as readonly string[]).includes(s);
}
