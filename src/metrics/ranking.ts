/**
 * Retrieval metrics over labeled rankings (docs/architecture.md, Musgrave et al. 2020).
 *
 * Each query contributes a ranking: the labels of its results in rank order,
 * the query itself excluded, and R = the number of OTHER items that share its
 * label. A query with R = 0 has no right answer; it is left out of every
 * mean and counted in `skipped`. Rankings may be truncated (a search returns
 * top-k only): positions past the end count as not relevant, so a metric
 * that needs depth R is a lower bound when the ranking is shorter than R.
 */

import { InputError } from "../errors.js";

/** A class label as a ranking metric compares it (equal labels are relevant to each other). */
export type Label = string | number;

/** One query's ranked result labels and how many relevant items the collection holds for it. */
export interface QueryRanking {
  label: Label;
  /** Same-label items in the collection other than the query. */
  relevant: number;
  /** Labels of the results, best first, without the query. */
  ranked: ArrayLike<Label>;
}

/** Retrieval metrics averaged over queries (precision@1, recall@k, mAP@R and the like). */
export interface RankingMetrics {
  /** Queries that were scored (R ≥ 1). */
  queries: number;
  /** Queries left out because no other item has their label. */
  skipped: number;
  precisionAt1: number;
  /** At least one relevant item in the top k ("Recall@K" of metric-learning papers). */
  hitAt: Record<number, number>;
  /** Relevant items in the top k / R. */
  recallAt: Record<number, number>;
  /** Binary-relevance nDCG@k. */
  ndcgAt: Record<number, number>;
  /** Relevant items in the top R / R. */
  rPrecision: number;
  /** (1/R) Σ_{i ≤ R} P(i)·rel(i). */
  mapAtR: number;
  /** Average precision over the whole ranking given, averaged over queries. */
  map: number;
  /** Precision@1 per label. */
  perLabel: Record<string, { queries: number; precisionAt1: number }>;
}

/** Metrics of one ranking; the building block of {@link rankingMetrics}. */
export function queryMetrics(q: QueryRanking, ks: readonly number[]) {
  const R = q.relevant;
  const n = q.ranked.length;
  let hits = 0;
  let apR = 0;
  let ap = 0;
  let firstHit = Infinity;
  let hitsAtR = 0;
  const hitsAt = new Map<number, number>();
  const dcgAt = new Map<number, number>();
  const sortedKs = [...ks].sort((a, b) => a - b);
  let ki = 0;
  let dcg = 0;
  const depth = Math.max(n, R, sortedKs.at(-1) ?? 0);
  for (let i = 0; i < depth; i++) {
    const rel = i < n && q.ranked[i] === q.label;
    if (rel) {
      hits++;
      const precision = hits / (i + 1);
      ap += precision;
      if (i < R) apR += precision;
      if (firstHit === Infinity) firstHit = i;
      dcg += 1 / Math.log2(i + 2);
    }
    if (i === R - 1) hitsAtR = hits;
    while (ki < sortedKs.length && sortedKs[ki] === i + 1) {
      hitsAt.set(sortedKs[ki]!, hits);
      dcgAt.set(sortedKs[ki]!, dcg);
      ki++;
    }
  }
  const idcg = (k: number) => {
    let s = 0;
    for (let i = 0; i < Math.min(k, R); i++) s += 1 / Math.log2(i + 2);
    return s;
  };
  return {
    precisionAt1: firstHit === 0 ? 1 : 0,
    hitAt: Object.fromEntries(ks.map((k) => [k, hitsAt.get(k)! > 0 ? 1 : 0])),
    recallAt: Object.fromEntries(ks.map((k) => [k, hitsAt.get(k)! / R])),
    ndcgAt: Object.fromEntries(ks.map((k) => [k, dcgAt.get(k)! / idcg(k)])),
    rPrecision: hitsAtR / R,
    mapAtR: apR / R,
    map: ap / R,
  };
}

/**
 * Mean metrics over queries.
 * @param ks cut-offs for hit@k, recall@k and nDCG@k (positive integers).
 * @throws InputError for a bad k or a ranking that is not an array of labels.
 * @example
 * rankingMetrics([{ label: "cat", relevant: 2, ranked: ["cat", "dog", "cat"] }], [1, 2])
 * // precisionAt1 1, recallAt {1: 0.5, 2: 0.5}, mapAtR 0.5, map (1 + 2/3)/2
 */
export function rankingMetrics(rankings: Iterable<QueryRanking>, ks: readonly number[] = [1, 5, 10]): RankingMetrics {
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new InputError(`rankingMetrics: every k must be a positive integer, got ${k}`);
  }
  const sum = { p1: 0, rp: 0, mapr: 0, map: 0 };
  const hit: Record<number, number> = {};
  const rec: Record<number, number> = {};
  const ndcg: Record<number, number> = {};
  for (const k of ks) hit[k] = rec[k] = ndcg[k] = 0;
  const perLabel: Record<string, { queries: number; precisionAt1: number }> = {};
  let queries = 0;
  let skipped = 0;
  for (const q of rankings) {
    if (!Number.isInteger(q.relevant) || q.relevant < 0) {
      throw new InputError(`rankingMetrics: relevant must be a count ≥ 0, got ${q.relevant} for label ${String(q.label)}`);
    }
    if (q.relevant === 0) {
      skipped++;
      continue;
    }
    const m = queryMetrics(q, ks);
    queries++;
    sum.p1 += m.precisionAt1;
    sum.rp += m.rPrecision;
    sum.mapr += m.mapAtR;
    sum.map += m.map;
    for (const k of ks) {
      hit[k]! += m.hitAt[k]!;
      rec[k]! += m.recallAt[k]!;
      ndcg[k]! += m.ndcgAt[k]!;
    }
    const pl = (perLabel[String(q.label)] ??= { queries: 0, precisionAt1: 0 });
    pl.queries++;
    pl.precisionAt1 += m.precisionAt1;
  }
  const mean = (v: number) => (queries ? v / queries : 0);
  for (const k of ks) {
    hit[k] = mean(hit[k]!);
    rec[k] = mean(rec[k]!);
    ndcg[k] = mean(ndcg[k]!);
  }
  for (const pl of Object.values(perLabel)) pl.precisionAt1 /= pl.queries;
  return {
    queries, skipped,
    precisionAt1: mean(sum.p1), hitAt: hit, recallAt: rec, ndcgAt: ndcg,
    rPrecision: mean(sum.rp), mapAtR: mean(sum.mapr), map: mean(sum.map), perLabel,
  };
}
