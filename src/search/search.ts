/**
 * Similarity search: a first stage in Qdrant, then an optional re-rank of
 * an oversampled candidate pool on the kernels with full-precision vectors.
 * With marks (positive / negative examples) the feedback module ranks
 * instead, with one of its strategies (src/feedback/).
 */

import { InputError } from "../errors.js";
import { Kernels, RERANK_MODES, type TopKResult } from "../kernels/index.js";
import type { Encoder } from "../model/encoder.js";
import { checkModelMatches, identityFromMetadata, modelIdentity } from "../model/identity.js";
import type { PointId, QdrantStore, StoreFilter, StoreHit } from "../store/qdrant.js";
import { resolveQueries, type QuerySpec } from "./query.js";
import { DEFAULT_STRATEGY, rankWithFeedback, STRATEGIES, type FeedbackParams, type Strategy } from "../feedback/index.js";

/** `none` keeps Qdrant's order; the others re-rank on the kernels (docs/architecture.md). */
export const RERANK = ["none", ...RERANK_MODES] as const;
/** How {@link search} re-ranks the store's candidates: one of {@link RERANK}. */
export type Rerank = (typeof RERANK)[number];

/** Inputs of {@link search}: the store and collection, the query and its marks, k, re-ranking and the strategy. */
export interface SearchOptions {
  store: QdrantStore;
  collection: string;
  /** The query: an image file, a stored point id, or a vector. */
  query: QuerySpec;
  /** More examples of what is wanted (images or ids). */
  positives?: QuerySpec[];
  /** Examples of what is not wanted. */
  negatives?: QuerySpec[];
  /** Results to return. Default 10. */
  k?: number;
  /** Re-rank of a search without marks. Default "none". With marks, `triplet` / `contrastive` pick that strategy. */
  rerank?: Rerank;
  /** How marks rank the results (src/feedback/). Default {@link DEFAULT_STRATEGY}. */
  strategy?: Strategy;
  /** Overrides of the strategies' tuned parameters. */
  feedbackParams?: Partial<FeedbackParams>;
  /** Candidates fetched = oversample × k when re-ranking. Default 4 (1 without re-rank). */
  oversample?: number;
  /** A Qdrant filter applied in the first stage. */
  filter?: StoreFilter;
  /** Needed when a query or example is an image. */
  encoder?: Encoder;
  /** Default: a release instance loaded on first use. */
  kernels?: Kernels;
  /**
   * Called once the marked search has ranked, with the resolved query and the
   * marks given as stored ids (image examples are not points, so they are left
   * out), so the caller can record the session (e.g. `recordMarks`). Not called
   * without id marks. A rejection fails the search.
   */
  onMarks?: (session: MarkedSession) => Promise<void>;
}

/** A search's marks as ids of the collection, with its query (the stored id, or the vector as searched). */
export interface MarkedSession {
  query: { id: PointId } | { vector: Float32Array };
  right: PointId[];
  wrong: PointId[];
}

/** One search result: the point's id, score and payload. */
export interface SearchHit {
  rank: number;
  id: PointId;
  /** The re-rank score when re-ranked (higher is better), else Qdrant's score. */
  score: number;
  /** Qdrant's score for the same point. */
  storeScore: number;
  label?: string;
  path?: string;
  payload?: Record<string, unknown>;
}

/** What {@link search} returns: the hits, best first, how many candidates were scored, and where the time went. */
export interface SearchResult {
  hits: SearchHit[];
  /** Candidates the first stage returned (with marks: the hits, or the pool margin's strategies re-rank). */
  candidates: number;
  /** The feedback strategy that ranked, when there were marks. */
  strategy?: Strategy;
  timings: { embedMs: number; searchMs: number; rerankMs: number };
}

let shared: Promise<Kernels> | undefined;

/**
 * Search a collection.
 * @example
 * const r = await search({ store, collection: "fashion", encoder, query: { image: "shoe.png" }, rerank: "exact" });
 * for (const h of r.hits) console.log(h.rank, h.score, h.label, h.path);
 * @throws InputError for bad options, an unknown id or a vector of the wrong size; StoreError when Qdrant fails.
 */
export async function search(o: SearchOptions): Promise<SearchResult> {
  const k = o.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new InputError(`search: k must be an integer in [1, 10000], got ${o.k}`);
  const rerank = o.rerank ?? "none";
  if (!RERANK.includes(rerank)) {
    throw new InputError(`search: unsupported rerank ${JSON.stringify(rerank)}. Should be one of: ${RERANK.map((r) => `"${r}"`).join(", ")}`);
  }
  const oversample = o.oversample ?? (rerank === "none" ? 1 : 4);
  if (!(Number.isFinite(oversample) && oversample >= 1 && oversample <= 1000)) {
    throw new InputError(`search: oversample must be a number in [1, 1000], got ${o.oversample}`);
  }
  const info = await o.store.collectionInfo(o.collection);
  if (!info) throw new InputError(`search: collection "${o.collection}" does not exist; ingest images into it first (margin ingest DIR --collection ${o.collection})`);
  const cosine = info.distance === "Cosine";
  // an encoder other than the collection's own would return neighbours of a vector from another space
  if (o.encoder) checkModelMatches(o.collection, identityFromMetadata(info.metadata), await modelIdentity(o.encoder.cardPath, o.encoder.card));

  const t0 = performance.now();
  const resolved = await resolveQueries({
    store: o.store, collection: o.collection, dim: info.size, encoder: o.encoder, normalize: cosine,
    query: o.query, positives: o.positives ?? [], negatives: o.negatives ?? [],
  });
  const t1 = performance.now();

  const steer = resolved.positives.length + resolved.negatives.length > 0;
  if (steer) {
    const strategy = o.strategy ?? (rerank === "triplet" || rerank === "contrastive" ? rerank : DEFAULT_STRATEGY);
    if (!STRATEGIES.includes(strategy)) {
      throw new InputError(`search: unsupported strategy ${JSON.stringify(strategy)}. Should be one of: ${STRATEGIES.map((x) => `"${x}"`).join(", ")}`);
    }
    const kernels = o.kernels ?? (await (shared ??= Kernels.load()));
    const ranked = (await rankWithFeedback({
      store: o.store, collection: o.collection, kernels, k, filter: o.filter, strategies: [strategy], params: o.feedbackParams,
      query: resolved.query, positives: resolved.positives, negatives: resolved.negatives,
    }))[strategy]!;
    const t2 = performance.now();
    const ids = (specs: QuerySpec[] | undefined) => (specs ?? []).flatMap((q) => ("id" in q && q.id !== undefined ? [q.id] : []));
    const right = ids(o.positives), wrong = ids(o.negatives);
    if (o.onMarks && right.length + wrong.length > 0) {
      await o.onMarks({ query: resolved.query.id !== undefined ? { id: resolved.query.id } : { vector: resolved.query.vector }, right, wrong });
    }
    return {
      hits: ranked.hits.map((h, r) => hitOf(h, h.score, r)), candidates: ranked.hits.length, strategy,
      timings: { embedMs: t1 - t0, searchMs: t2 - t1 - ranked.rerankMs, rerankMs: ranked.rerankMs },
    };
  }
  const limit = Math.ceil(k * (rerank === "none" ? 1 : oversample));
  const first: StoreHit[] = await o.store.nearest({
    collection: o.collection, limit, filter: o.filter, withVector: rerank !== "none",
    ...(resolved.query.id !== undefined ? { id: resolved.query.id } : { vector: resolved.query.vector }),
  });
  const t2 = performance.now();

  let order = first.map((h, i) => ({ hit: h, score: h.score, i }));
  if (rerank !== "none" && first.length > 0) {
    const kernels = o.kernels ?? (await (shared ??= Kernels.load()));
    const dim = info.size;
    // candidates go straight from the response into wasm memory: one copy, not two
    const cand = kernels.allocF32(first.length * dim);
    let top: TopKResult;
    try {
      const view = cand.view();
      first.forEach((h, i) => {
        if (!h.vector || h.vector.length !== dim) {
          throw new InputError(`search: point ${h.id} came back without its ${dim}-d vector; the collection must store a single unnamed vector`);
        }
        view.set(h.vector, i * dim);
      });
      top = kernels.rerankTop({
        k: Math.min(k, first.length),
        mode: rerank, query: resolved.query.vector, candidates: cand, dim,
        // without marks every mode's score orders as −d²(q, x): no margin matters
        margin: rerank === "contrastive" ? 1 : undefined,
      });
    } finally {
      cand.free();
    }
    order = Array.from(top.indices, (i, r) => ({ hit: first[i]!, score: top.values[r]!, i }));
  }
  const t3 = performance.now();

  const hits = order.slice(0, k).map(({ hit, score }, r) => hitOf(hit, score, r));
  return { hits, candidates: first.length, timings: { embedMs: t1 - t0, searchMs: t2 - t1, rerankMs: t3 - t2 } };
}

function hitOf(hit: StoreHit, score: number, r: number): SearchHit {
  return {
    rank: r + 1, id: hit.id, score, storeScore: hit.score,
    label: typeof hit.payload?.label === "string" ? hit.payload.label : undefined,
    path: typeof hit.payload?.path === "string" ? hit.payload.path : undefined,
    payload: hit.payload,
  };
}
