/**
 * `evaluate()`: leave-one-out evaluation of a labeled collection. Each
 * sampled point is a query against all the others, twice over:
 *  - through the store (its index and order), then re-ranked on the kernels
 *    per mode: what a user of `margin search` gets, with latencies;
 *  - by exact search on the kernels over the full ranking: what the
 *    embedding itself is worth (R-precision, MAP@R, mAP).
 * Plus triplet statistics, distance distributions, the hardest wrong-label
 * neighbours, a steering experiment and a 2-D projection for the report.
 */

import { InputError } from "../errors.js";
import { Kernels, type TripletStats } from "../kernels/index.js";
import { RERANK, type Rerank } from "../search/search.js";
import type { QdrantStore } from "../store/qdrant.js";
import { distanceHistogram, hardestNegatives, projection, type HardNegative, type Histogram } from "./analysis.js";
import { loadLabeledSet, sampleRows } from "./collection.js";
import { exactRankings } from "../metrics/exact.js";
import { rankingMetrics, type RankingMetrics } from "../metrics/ranking.js";
import { storeRetrieval, type RetrievalResult } from "./retrieval.js";
import { steering, steeringRows, type SteeringResult } from "./steering.js";
import type { FeedbackParams, Strategy } from "../feedback/index.js";
import { lossyFirstStage, type LossyResult } from "./lossy.js";

/** A progress event of {@link evaluate}: which stage runs and how far it is. */
export type EvalEvent =
  | { status: "loading"; points: number }
  | { status: "retrieval"; done: number; total: number }
  | { status: "exact"; done: number; total: number }
  | { status: "statistics" }
  | { status: "steering"; done: number; total: number }
  | { status: "lossy"; done: number; total: number }
  | { status: "projection" }
  | { status: "done"; seconds: number };

/** Inputs of {@link evaluate}: the store and collection, how many queries, the ks, and which further studies run. */
export interface EvaluateOptions {
  store: QdrantStore;
  collection: string;
  /** Queries sampled (seeded) from the labeled points, or "all". Default 1000. */
  queries?: number | "all";
  /** Cut-offs for hit@k, recall@k, nDCG@k. Default [1, 5, 10, 20]. */
  ks?: number[];
  /** Modes to compare. Default ["none", "exact"]. */
  rerank?: Rerank[];
  /** Candidates = oversample × max k when re-ranking. Default 4. */
  oversample?: number;
  /** Triplet margin for statistics and the contrastive re-rank. Default 0.5. */
  margin?: number;
  /**
   * Run the steering experiment: every feedback strategy for 1+1 marks, 3+3
   * marks and two rounds of 3+3 (src/eval/steering.ts). Default false.
   */
  steer?: boolean;
  /** Queries in the steering experiment, drawn outside the tuning split (seeded), or "all". Default 1000. */
  steerQueries?: number | "all";
  /** Strategies compared. Default every one. */
  steerStrategies?: Strategy[];
  /** Overrides of the strategies' tuned parameters. */
  steerParams?: Partial<FeedbackParams>;
  /**
   * Also measure a lossy first stage: the vectors stored again at this many
   * bits per value in a scratch collection, re-ranked exactly with 1, 2, 4
   * and 8 × k candidates. 0 (default) turns it off.
   */
  lossyBits?: number;
  /** Points in the projection and the histograms. Default 2000. */
  sample?: number;
  /** Hardest wrong-label neighbours listed. Default 50. */
  hardest?: number;
  seed?: number;
  kernels?: Kernels;
  onProgress?: (e: EvalEvent) => void;
}

/** What {@link evaluate} measured about a collection: retrieval metrics, triplet statistics, distances and the further studies. */
export interface EvalReport {
  collection: string;
  points: number;
  unlabeled: number;
  dim: number;
  labels: string[];
  queries: number;
  ks: number[];
  margin: number;
  /** Through the store, per re-rank mode. */
  retrieval: RetrievalResult;
  /** Exact search on the kernels, full ranking (depth noted). */
  embedding: RankingMetrics & { depth: number; seconds: number };
  statistics: TripletStats;
  distances: Histogram;
  hardest: HardNegative[];
  steering?: SteeringResult;
  lossy?: LossyResult;
  projection: Array<{ x: number; y: number; label: string }>;
  seconds: number;
  /** Seconds per phase, to see where an evaluation spends its time. */
  phases: Record<string, number>;
}

/**
 * Evaluate a labeled collection.
 * @example
 * const report = await evaluate({ store, collection: "fashion-mnist", queries: "all" });
 * console.log(report.embedding.mapAtR, report.retrieval.modes.exact?.precisionAt1);
 * @throws InputError for bad options or a collection without labels; StoreError when the store fails.
 */
export async function evaluate(o: EvaluateOptions): Promise<EvalReport> {
  const t0 = performance.now();
  const ks = [...new Set(o.ks ?? [1, 5, 10, 20])].sort((a, b) => a - b);
  if (!ks.length || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 1000)) {
    throw new InputError(`eval: every k must be an integer in [1, 1000], got ${JSON.stringify(o.ks)}`);
  }
  const modes = o.rerank ?? ["none", "exact"];
  for (const m of modes) {
    if (!RERANK.includes(m)) throw new InputError(`eval: unsupported rerank ${JSON.stringify(m)}. Should be one of: ${RERANK.join(", ")}`);
  }
  const oversample = o.oversample ?? 4;
  if (!(oversample >= 1 && oversample <= 1000)) throw new InputError(`eval: oversample must be in [1, 1000], got ${oversample}`);
  const margin = o.margin ?? 0.5;
  if (!(margin > 0 && Number.isFinite(margin))) throw new InputError(`eval: margin must be a finite number > 0, got ${margin}`);
  const seed = o.seed ?? 1;
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const report = o.onProgress ?? (() => {});
  /** Report an event; the first event of a new phase closes the previous one's clock. */
  let current = "";
  const progress = (e: EvalEvent) => {
    if (e.status !== current) {
      const now = performance.now();
      if (current) phases[current] = (phases[current] ?? 0) + (now - mark) / 1000;
      current = e.status;
      mark = now;
    }
    report(e);
  };
  const kernels = o.kernels ?? (await Kernels.load());

  const set = await loadLabeledSet(o.store, o.collection, (points) => progress({ status: "loading", points }));
  const n = set.labels.length;
  if (o.queries !== undefined && o.queries !== "all" && !(Number.isInteger(o.queries) && o.queries >= 1)) {
    throw new InputError(`eval: queries must be a positive integer or "all", got ${o.queries}`);
  }
  const count = o.queries === "all" ? n : Math.min(o.queries ?? 1000, n);
  const queries = sampleRows(n, count, seed);

  const retrieval = await storeRetrieval({
    store: o.store, collection: o.collection, kernels, set, queries, ks, modes, oversample, margin,
    onProgress: (done, total) => progress({ status: "retrieval", done, total }),
  });

  const te = performance.now();
  // the full ranking (mAP over everything) while it stays affordable; else depth max R
  const depth = n <= 20_000 ? n - 1 : undefined;
  const rankings = exactRankings({
    kernels, vectors: set.vectors, dim: set.dim, labels: set.labels, queries, depth, minDepth: Math.max(...ks),
    onProgress: (done, total) => progress({ status: "exact", done, total }),
  });
  const embedding = {
    ...rankingMetrics(rankings, ks),
    depth: rankings[0]?.ranked.length ?? 0,
    seconds: (performance.now() - te) / 1000,
  };

  progress({ status: "statistics" });
  const statistics = kernels.tripletStats({ embeddings: set.vectors, labels: set.labels, dim: set.dim, margin });
  const distances = distanceHistogram(kernels, set, { sample: o.sample, seed });
  const hardest = hardestNegatives(set, rankings, o.hardest ?? 50);

  const sq = o.steerQueries ?? 1000;
  if (sq !== "all" && !(Number.isInteger(sq) && sq >= 1)) throw new InputError(`eval: steerQueries must be a positive integer or "all", got ${sq}`);
  const steeringResult = o.steer
    ? await steering({
      store: o.store, collection: o.collection, kernels, set, k: 10, strategies: o.steerStrategies, params: o.steerParams, seed,
      queries: steeringRows(n, sq, seed + 1),
      onProgress: (done, total) => progress({ status: "steering", done, total }),
    })
    : undefined;

  const bits = o.lossyBits ?? 0;
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 16)) throw new InputError(`eval: lossyBits must be an integer in [0, 16], got ${bits}`);
  const lossy = bits > 0
    ? await lossyFirstStage({
      store: o.store, collection: o.collection, kernels, set, queries, bits, k: 10, oversamples: [1, 2, 4, 8],
      onProgress: (done, total) => progress({ status: "lossy", done, total }),
    })
    : undefined;

  // rankings carry integer labels; the report speaks the collection's label names
  const named = (m: RankingMetrics) => {
    m.perLabel = Object.fromEntries(Object.entries(m.perLabel).map(([l, v]) => [set.labelNames[Number(l)]!, v]));
  };
  named(embedding);
  for (const m of Object.values(retrieval.modes)) named(m!);

  progress({ status: "projection" });
  const points = projection(set, { sample: o.sample, seed });
  const seconds = (performance.now() - t0) / 1000;
  progress({ status: "done", seconds });
  return {
    collection: o.collection, points: n, unlabeled: set.unlabeled, dim: set.dim, labels: set.labelNames,
    queries: queries.length, ks, margin, retrieval, embedding, statistics, distances, hardest,
    steering: steeringResult, lossy, projection: points, seconds, phases,
  };
}
