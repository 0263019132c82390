export { rankWithFeedback, rankWithFeedbackMany, type Example, type FeedbackOptions, type FeedbackRanking } from "./feedback.js";
export { qdrantQuery, type Ref } from "./qdrant-queries.js";
export { movedQuery, poolScale, rerankPool, type PoolInput } from "./pool-rerank.js";
export * from "./strategies.js";
