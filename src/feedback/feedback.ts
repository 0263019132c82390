/**
 * The one feedback module: a query, the user's marks and a strategy in,
 * ranked hits out. `margin search`, `margin eval --steer`, the steering
 * experiment and the page all rank through here, so a strategy means the
 * same thing everywhere.
 */

import { InputError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import type { QdrantStore, StoreFilter, StoreHit } from "../store/qdrant.js";
import { rerankPool } from "./pool-rerank.js";
import { qdrantQuery, type Ref } from "./qdrant-queries.js";
import {
  DEFAULT_PARAMS, isQdrantStrategy, STRATEGIES, type FeedbackParams, type MarginStrategy, type QdrantStrategy, type Strategy,
} from "./strategies.js";

/** The query or one mark: its full-precision vector and how the store is told about it. */
export interface Example {
  vector: Float32Array;
  /** A stored point's id (then left out of the results) or the vector itself. */
  ref: Ref;
}

/** Inputs of {@link rankWithFeedback}: the query, the marked results, the strategy and its parameters. */
export interface FeedbackOptions {
  store: QdrantStore;
  collection: string;
  kernels: Kernels;
  query: Example;
  /** Results marked right. */
  positives: Example[];
  /** Results marked wrong. */
  negatives: Example[];
  /** Strategies to rank with (each ranked independently). */
  strategies: readonly Strategy[];
  /** Hits per strategy. */
  k: number;
  filter?: StoreFilter;
  /** Overrides of {@link DEFAULT_PARAMS}. */
  params?: Partial<FeedbackParams>;
  /** Default true. */
  withPayload?: boolean;
}

/** The ranking a feedback strategy produced and the time spent in the kernels. */
export interface FeedbackRanking {
  /** Best first; `score` is the store's for Qdrant's strategies, the kernel score for margin's. */
  hits: StoreHit[];
  /** Milliseconds spent on the kernels (margin's strategies; 0 for Qdrant's). */
  rerankMs: number;
}

function checkParams(p: Partial<FeedbackParams> | undefined): FeedbackParams {
  const out: FeedbackParams = { ...DEFAULT_PARAMS, ...p, relevanceFeedback: { ...DEFAULT_PARAMS.relevanceFeedback, ...p?.relevanceFeedback } };
  const check = (name: string, v: number, ok: boolean, want: string) => {
    if (!ok) throw new InputError(`feedback: ${name} must be ${want}, got ${v}`);
  };
  check("pool", out.pool, Number.isInteger(out.pool) && out.pool >= 1 && out.pool <= 10_000, "an integer in [1, 10000]");
  for (const [name, v] of [["beta", out.beta], ["gamma", out.gamma], ["weight", out.weight], ["relevanceFeedback.b", out.relevanceFeedback.b]] as const) {
    check(name, v, Number.isFinite(v) && v >= 0, "a finite number >= 0");
  }
  for (const [name, v] of [["tau", out.tau], ["contrastiveMargin", out.contrastiveMargin]] as const) check(name, v, Number.isFinite(v) && v > 0, "a finite number > 0");
  for (const [name, v] of [["relevanceFeedback.a", out.relevanceFeedback.a], ["relevanceFeedback.c", out.relevanceFeedback.c]] as const) {
    check(name, v, Number.isFinite(v), "a finite number");
  }
  return out;
}

function stack(vs: Example[], dim: number): Float32Array {
  const out = new Float32Array(vs.length * dim);
  vs.forEach((v, i) => out.set(v.vector, i * dim));
  return out;
}

/**
 * Rank with each of `strategies`: Qdrant's in one batch request to the
 * store, margin's on the kernels over one shared pool (recommend with the
 * average vector, `params.pool` candidates with their vectors).
 * @example
 * const r = await rankWithFeedback({ store, collection, kernels, query, positives, negatives, strategies: ["kde"], k: 10 });
 * r.kde.hits.map((h) => h.id);
 * @throws InputError for an unknown strategy, bad k or parameters; StoreError when the store fails.
 */
export async function rankWithFeedback(o: FeedbackOptions): Promise<Partial<Record<Strategy, FeedbackRanking>>> {
  const k = o.k;
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new InputError(`feedback: k must be an integer in [1, 10000], got ${k}`);
  for (const s of o.strategies) {
    if (!STRATEGIES.includes(s)) throw new InputError(`feedback: unsupported strategy ${JSON.stringify(s)}. Should be one of: ${STRATEGIES.map((x) => `"${x}"`).join(", ")}`);
  }
  const params = checkParams(o.params);
  const dim = o.query.vector.length;
  for (const e of [...o.positives, ...o.negatives]) {
    if (e.vector.length !== dim) throw new InputError(`feedback: a mark has ${e.vector.length} values but the query has ${dim}`);
  }
  const withPayload = o.withPayload ?? true;
  const pos = o.positives.map((e) => e.ref);
  const neg = o.negatives.map((e) => e.ref);
  const out: Partial<Record<Strategy, FeedbackRanking>> = {};

  const unique = [...new Set(o.strategies)];
  const inStore = unique.filter((s): s is QdrantStrategy | "plain" => s === "plain" || isQdrantStrategy(s));
  const onKernels = unique.filter((s): s is MarginStrategy => s !== "plain" && !isQdrantStrategy(s));
  const bodies = inStore.map((s) => (s === "plain" ? { nearest: o.query.ref } : qdrantQuery(s, o.query.ref, pos, neg, params)));
  const shared = await o.store.feedbackQueryBatch({ collection: o.collection, filter: o.filter, limit: k, withPayload, queries: bodies });
  inStore.forEach((s, i) => (out[s] = { hits: shared[i]!, rerankMs: 0 }));
  if (onKernels.length) {
    // the pool comes with vectors, so it goes in a request of its own
    const pool = await o.store.feedbackQuery({
      collection: o.collection, filter: o.filter, limit: Math.max(params.pool, k), withPayload, withVector: true,
      query: { recommend: { positive: [o.query.ref, ...pos], negative: neg, strategy: "average_vector" } },
    });
    const candidates = new Float32Array(pool.length * dim);
    pool.forEach((h, i) => {
      if (!h.vector || h.vector.length !== dim) {
        throw new InputError(`feedback: point ${h.id} came back without its ${dim}-d vector; the collection must store a single unnamed vector`);
      }
      candidates.set(h.vector, i * dim);
    });
    const input = { candidates, dim, query: o.query.vector, positives: stack(o.positives, dim), negatives: stack(o.negatives, dim) };
    for (const s of onKernels) {
      const t0 = performance.now();
      const top = rerankPool(o.kernels, s, input, params, k);
      const rerankMs = performance.now() - t0;
      out[s] = { hits: Array.from(top.indices, (i, r) => ({ ...pool[i]!, vector: undefined, score: top.values[r]! })), rerankMs };
    }
  }
  return out;
}
