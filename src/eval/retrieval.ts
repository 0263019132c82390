/**
 * Retrieval as a user gets it: the store's first stage (its index, its
 * order), then each re-rank mode on the kernels over the same candidates.
 */

import type { Kernels } from "../kernels/index.js";
import type { PointId, QdrantStore } from "../store/qdrant.js";
import type { Rerank } from "../search/search.js";
import { gatherRows, type LabeledSet } from "./collection.js";
import { rankingMetrics, type QueryRanking, type RankingMetrics } from "../metrics/ranking.js";

/** Latency summary in milliseconds per query. */
export interface Latency {
  mean: number;
  p50: number;
  p95: number;
}

export interface RetrievalResult {
  /** Metrics per mode ("none" = the store's own order). */
  modes: Partial<Record<Rerank, RankingMetrics & { rerankLatency?: Latency }>>;
  /** First-stage latency per query (amortized over batches of `batch`). */
  searchLatency: Latency;
  /** Candidates fetched per query. */
  candidates: number;
}

export interface RetrievalOptions {
  store: QdrantStore;
  collection: string;
  kernels: Kernels;
  set: LabeledSet;
  queries: Int32Array;
  ks: number[];
  modes: Rerank[];
  oversample: number;
  margin: number;
  /** Queries per Query API batch. Default 32. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Leave-one-out through the store: each query is a stored point, which Qdrant excludes from its own results. */
export async function storeRetrieval(o: RetrievalOptions): Promise<RetrievalResult> {
  const { set, kernels } = o;
  const dim = set.dim;
  const maxK = Math.max(...o.ks);
  const reranking = o.modes.some((m) => m !== "none");
  const limit = Math.ceil(maxK * (reranking ? o.oversample : 1));
  const row = new Map<string, number>(set.ids.map((id, i) => [String(id), i]));
  const counts = new Map<number, number>();
  for (const l of set.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const rankings = new Map<Rerank, QueryRanking[]>(o.modes.map((m) => [m, []]));
  const rerankMs = new Map<Rerank, number[]>(o.modes.map((m) => [m, []]));
  const searchMs: number[] = [];
  const batch = o.batch ?? 32;
  let candidates = 0;
  for (let b = 0; b < o.queries.length; b += batch) {
    const qs = Array.from(o.queries.subarray(b, b + batch));
    const t0 = performance.now();
    const results = await o.store.nearestBatch({
      collection: o.collection, queries: qs.map((q) => ({ id: set.ids[q]! as PointId })),
      limit, withPayload: false, withVector: false,
    });
    const per = (performance.now() - t0) / qs.length;
    qs.forEach((q, qi) => {
      searchMs.push(per);
      const hits = results[qi]!;
      const rows = hits.map((h) => row.get(String(h.id))).filter((r): r is number => r !== undefined);
      candidates = Math.max(candidates, rows.length);
      const label = set.labels[q]!;
      const relevant = counts.get(label)! - 1;
      // the candidates' vectors, gathered once for every re-rank mode
      const cand = reranking && rows.length ? gatherRows(set.vectors, dim, rows) : undefined;
      for (const mode of o.modes) {
        let order = rows;
        if (mode !== "none" && cand) {
          const t = performance.now();
          const top = kernels.rerankTop({
            mode, query: set.vectors.subarray(q * dim, (q + 1) * dim), candidates: cand, dim, margin: o.margin, k: maxK,
          });
          order = Array.from(top.indices, (i) => rows[i]!);
          rerankMs.get(mode)!.push(performance.now() - t);
        }
        rankings.get(mode)!.push({ label, relevant, ranked: order.slice(0, maxK).map((r) => set.labels[r]!) });
      }
    });
    o.onProgress?.(Math.min(b + batch, o.queries.length), o.queries.length);
  }
  const modes: RetrievalResult["modes"] = {};
  for (const mode of o.modes) {
    const m = rankingMetrics(rankings.get(mode)!, o.ks);
    modes[mode] = mode === "none" ? m : { ...m, rerankLatency: latency(rerankMs.get(mode)!) };
  }
  return { modes, searchLatency: latency(searchMs), candidates };
}

export function latency(ms: number[]): Latency {
  if (ms.length === 0) return { mean: 0, p50: 0, p95: 0 };
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(0.5), p95: at(0.95) };
}
