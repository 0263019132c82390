/**
 * The one feedback module: a query, the user's marks and a strategy in,
 * ranked hits out. `margin search`, `margin eval --steer`, the steering
 * experiment and the page all rank through here, so a strategy means the
 * same thing everywhere.
 */

import { InputError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import type { FeedbackQueryBody, PointId, QdrantStore, StoreFilter, StoreHit } from "../store/qdrant.js";
import { movedQuery, rerankPool } from "./pool-rerank.js";
import { qdrantQuery, type Ref } from "./qdrant-queries.js";
import {
  DEFAULT_PARAMS, isQdrantStrategy, POOL_SOURCES, STRATEGIES, type FeedbackParams, type MarginStrategy, type QdrantStrategy, type Strategy,
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
  /**
   * The vectors of stored points, when the caller holds them already (the
   * steering experiment does): the pool then comes back as ids, without
   * vectors to write and parse. A point it does not know (undefined) is
   * retrieved from the store with its vector.
   */
  vectorOf?: (id: PointId) => Float32Array | undefined;
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
  if (!POOL_SOURCES.includes(out.poolFrom)) {
    throw new InputError(`feedback: poolFrom must be one of ${POOL_SOURCES.map((x) => `"${x}"`).join(", ")}, got ${JSON.stringify(out.poolFrom)}`);
  }
  for (const [name, v] of [["beta", out.beta], ["gamma", out.gamma], ["weight", out.weight], ["relevanceFeedback.b", out.relevanceFeedback.b]] as const) {
    check(name, v, Number.isFinite(v) && v >= 0, "a finite number >= 0");
  }
  for (const [name, v] of [["tau", out.tau], ["contrastiveMargin", out.contrastiveMargin]] as const) check(name, v, Number.isFinite(v) && v > 0, "a finite number > 0");
  check("expand", out.expand, Number.isInteger(out.expand) && out.expand >= 0 && out.expand <= 1000, "an integer in [0, 1000]");
  if (typeof out.expandJoin !== "boolean") throw new InputError(`feedback: expandJoin must be true or false, got ${JSON.stringify(out.expandJoin)}`);
  check("expandWeight", out.expandWeight, Number.isFinite(out.expandWeight) && out.expandWeight >= 0, "a finite number >= 0");
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

/** One store call of a request: its body and the shared settings it can be batched under. */
interface Call {
  store: QdrantStore;
  collection: string;
  filter?: StoreFilter;
  limit: number;
  withPayload: boolean;
  withVector: boolean;
  body: FeedbackQueryBody;
}

/** Bodies per /points/query/batch request: large enough to amortise a round trip, small enough for any server. */
const BATCH = 128;

/** Run calls with as few batch requests as possible: one per store, collection, filter, limit and with_* (chunked). */
async function runCalls(calls: Call[]): Promise<StoreHit[][]> {
  const out: StoreHit[][] = new Array(calls.length);
  const groups = new Map<QdrantStore, Map<string, number[]>>();
  calls.forEach((c, i) => {
    const key = JSON.stringify([c.collection, c.filter ?? null, c.limit, c.withPayload, c.withVector]);
    const byKey = groups.get(c.store) ?? new Map<string, number[]>();
    groups.set(c.store, byKey);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  for (const byKey of groups.values()) {
    for (const idx of byKey.values()) {
      for (let at = 0; at < idx.length; at += BATCH) {
        const part = idx.slice(at, at + BATCH);
        const c = calls[part[0]!]!;
        const res = await c.store.feedbackQueryBatch({
          collection: c.collection, filter: c.filter, limit: c.limit, withPayload: c.withPayload, withVector: c.withVector,
          queries: part.map((i) => calls[i]!.body),
        });
        part.forEach((i, j) => (out[i] = res[j]!));
      }
    }
  }
  return out;
}

/** What one request needs from the store, and how to finish it from the answers. */
interface Plan {
  o: FeedbackOptions;
  params: FeedbackParams;
  inStore: Array<QdrantStrategy | "plain">;
  onKernels: MarginStrategy[];
  /** Index of the first of this request's calls. */
  first: number;
  /** Ids the pool must leave out (a "moved" pool is a plain nearest query, which does not know the marks). */
  leaveOut: Set<string>;
}

function plan(o: FeedbackOptions, calls: Call[]): Plan {
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
  const unique = [...new Set(o.strategies)];
  const inStore = unique.filter((s): s is QdrantStrategy | "plain" => s === "plain" || isQdrantStrategy(s));
  const onKernels = unique.filter((s): s is MarginStrategy => s !== "plain" && !isQdrantStrategy(s));
  const first = calls.length;
  const shared = { store: o.store, collection: o.collection, filter: o.filter, withPayload };
  for (const s of inStore) {
    calls.push({ ...shared, limit: k, withVector: false, body: s === "plain" ? { nearest: o.query.ref } : qdrantQuery(s, o.query.ref, pos, neg, params) });
  }
  const leaveOut = new Set<string>();
  if (onKernels.length) {
    // the pool, with vectors unless the caller holds them
    const limit = Math.max(params.pool, k);
    if (params.poolFrom === "moved") {
      for (const r of [o.query.ref, ...pos, ...neg]) if (!Array.isArray(r)) leaveOut.add(String(r));
      const moved = movedQuery({ candidates: new Float32Array(0), dim, query: o.query.vector, positives: stack(o.positives, dim), negatives: stack(o.negatives, dim) }, params.beta, params.gamma);
      calls.push({ ...shared, limit: limit + leaveOut.size, withVector: !o.vectorOf, body: { nearest: Array.from(moved) } });
    } else {
      calls.push({
        ...shared, limit, withVector: !o.vectorOf,
        body: { recommend: { positive: [o.query.ref, ...pos], negative: neg, strategy: "average_vector" } },
      });
    }
  }
  return { o, params, inStore, onKernels, first, leaveOut };
}

/** The pool's vectors, `[n, dim]`: from the hits, else from `vectorOf`, else retrieved from the store. */
async function poolVectors(o: FeedbackOptions, pool: StoreHit[], dim: number): Promise<Float32Array> {
  const out = new Float32Array(pool.length * dim);
  const missing: number[] = [];
  pool.forEach((h, i) => {
    const v = h.vector ?? o.vectorOf?.(h.id);
    if (v === undefined) missing.push(i);
    else put(v, h.id, i);
  });
  if (missing.length) {
    const got = new Map((await o.store.retrieve(o.collection, missing.map((i) => pool[i]!.id), { withVector: true })).map((h) => [String(h.id), h.vector]));
    for (const i of missing) put(got.get(String(pool[i]!.id)), pool[i]!.id, i);
  }
  return out;
  function put(v: ArrayLike<number> | undefined, id: PointId, i: number) {
    if (!v || v.length !== dim) {
      throw new InputError(`feedback: point ${id} came back without its ${dim}-d vector; the collection must store a single unnamed vector`);
    }
    out.set(v, i * dim);
  }
}

async function finish(p: Plan, answers: StoreHit[][]): Promise<Partial<Record<Strategy, FeedbackRanking>>> {
  const { o, params } = p;
  const out: Partial<Record<Strategy, FeedbackRanking>> = {};
  p.inStore.forEach((s, i) => (out[s] = { hits: answers[p.first + i]!, rerankMs: 0 }));
  if (!p.onKernels.length) return out;
  const dim = o.query.vector.length;
  const pool = answers[p.first + p.inStore.length]!.filter((h) => !p.leaveOut.has(String(h.id))).slice(0, Math.max(params.pool, o.k));
  const candidates = await poolVectors(o, pool, dim);
  const input = { candidates, dim, query: o.query.vector, positives: stack(o.positives, dim), negatives: stack(o.negatives, dim) };
  for (const s of p.onKernels) {
    const t0 = performance.now();
    const top = rerankPool(o.kernels, s, input, params, o.k);
    const rerankMs = performance.now() - t0;
    out[s] = { hits: Array.from(top.indices, (i, r) => ({ ...pool[i]!, vector: undefined, score: top.values[r]! })), rerankMs };
  }
  return out;
}

/**
 * Rank with each of `strategies`: Qdrant's in one batch request to the
 * store, margin's on the kernels over one shared pool (`params.pool`
 * candidates: the moved query's nearest, or recommend's with the average
 * vector, per `params.poolFrom`).
 * @example
 * const r = await rankWithFeedback({ store, collection, kernels, query, positives, negatives, strategies: ["kde"], k: 10 });
 * r.kde.hits.map((h) => h.id);
 * @throws InputError for an unknown strategy, bad k or parameters; StoreError when the store fails.
 */
export async function rankWithFeedback(o: FeedbackOptions): Promise<Partial<Record<Strategy, FeedbackRanking>>> {
  return (await rankWithFeedbackMany([o]))[0]!;
}

/**
 * {@link rankWithFeedback} for many requests at once (several queries, or
 * several rounds' marks): every store call of all of them goes out in as
 * few /points/query/batch requests as their settings allow (one per limit
 * and with_vector, usually two), the same answers as one request at a time.
 * @throws InputError for an unknown strategy, bad k or parameters in any request; StoreError when the store fails.
 */
export async function rankWithFeedbackMany(requests: readonly FeedbackOptions[]): Promise<Array<Partial<Record<Strategy, FeedbackRanking>>>> {
  const calls: Call[] = [];
  const plans = requests.map((o) => plan(o, calls));
  const answers = await runCalls(calls);
  const out: Array<Partial<Record<Strategy, FeedbackRanking>>> = [];
  for (const p of plans) out.push(await finish(p, answers));
  return out;
}
