/**
 * Steering, measured as a user would do it: search, mark up to N right and
 * N wrong results of the first page, search again with a feedback strategy
 * (src/feedback/), optionally mark the new page and search a third time.
 * Precision@k on the query's label, the marked items (and the query) left
 * out of every list so no strategy gets credit for them. Queries whose
 * first page has nothing wrong are reported apart: there a strategy can
 * only keep or lose precision.
 */

import { rankWithFeedbackMany, STRATEGIES, QDRANT_STRATEGIES, type Example, type FeedbackParams, type Strategy } from "../feedback/index.js";
import type { Kernels } from "../kernels/index.js";
import type { PointId, QdrantStore } from "../store/qdrant.js";
import { pairedBootstrap, type Interval } from "./bootstrap.js";
import { sampleRows, type LabeledSet } from "./collection.js";

/** The settings every report has: marks of each kind per round, rounds. */
export const STEER_SETTINGS = [
  { name: "1+1", examples: 1, rounds: 1 },
  { name: "3+3", examples: 3, rounds: 1 },
  { name: "3+3, two rounds", examples: 3, rounds: 2 },
] as const;

/** One steering setting's results (how many examples were marked, over how many rounds). */
export interface SteeringSetting {
  name: string;
  examples: number;
  rounds: number;
  /** Queries whose first page had a wrong result to mark. */
  queries: number;
  /** Mean precision@k per strategy over those. */
  precision: Partial<Record<Strategy, number>>;
  /** The Qdrant strategy with the highest mean: the baseline of `versusBestQdrant`. */
  bestQdrant: Strategy;
  /** Paired difference (strategy − best Qdrant) with a 95% bootstrap interval. */
  versusBestQdrant: Partial<Record<Strategy, Interval>>;
  /** Queries whose first page was already all right (only right marks to give). */
  alreadyRight: number;
  alreadyRightPrecision: Partial<Record<Strategy, number>>;
  /** Paired difference (strategy − plain) on the already-right queries. */
  alreadyRightVersusPlain: Partial<Record<Strategy, Interval>>;
}

/** What {@link steering} measured: per setting, each strategy's precision and its paired gain. */
export interface SteeringResult {
  k: number;
  strategies: Strategy[];
  settings: SteeringSetting[];
  /** Seconds for the whole experiment. */
  seconds: number;
}

/** Inputs of {@link steering}: the store and collection, the labelled set and which rows query it. */
export interface SteeringOptions {
  store: QdrantStore;
  collection: string;
  kernels: Kernels;
  set: LabeledSet;
  /** Rows of `set` used as queries. */
  queries: Int32Array;
  /** Default 10. */
  k?: number;
  /** Default every strategy. */
  strategies?: readonly Strategy[];
  /** Default: all of {@link STEER_SETTINGS}. */
  settings?: ReadonlyArray<{ name: string; examples: number; rounds: number }>;
  params?: Partial<FeedbackParams>;
  /** Seed of the bootstrap. Default 1. */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Queries whose store calls go out together (per round, one or two batch requests). */
const CHUNK = 16;

/** Seed of the tuning split: the rows strategy parameters may be tuned on, never reported. */
export const TUNING_SEED = 2026;

/** The tuning split of n labeled rows: a fifth of them (at most 2,000), seeded. */
export function tuningRows(n: number): Int32Array {
  return sampleRows(n, Math.min(2000, Math.floor(n / 5)), TUNING_SEED);
}

/** `count` steering queries (seeded) from the rows outside the tuning split, ascending; "all" takes every such row. */
export function steeringRows(n: number, count: number | "all", seed: number): Int32Array {
  const tuning = new Set(tuningRows(n));
  const rest = Int32Array.from({ length: n }, (_, i) => i).filter((r) => !tuning.has(r));
  if (count === "all" || count >= rest.length) return rest;
  return Int32Array.from(sampleRows(rest.length, count, seed), (i) => rest[i]!);
}

/** Run the experiment; per-query precisions stay inside, the result holds means and intervals. */
export async function steering(o: SteeringOptions): Promise<SteeringResult> {
  const t0 = performance.now();
  const { set } = o;
  const k = o.k ?? 10;
  const dim = set.dim;
  const strategies = [...(o.strategies ?? STRATEGIES)];
  const settings = o.settings ?? STEER_SETTINGS;
  const row = new Map<string, number>(set.ids.map((id, i) => [String(id), i]));
  const rowOf = (id: PointId) => row.get(String(id));
  const example = (r: number): Example => ({ vector: set.vectors.subarray(r * dim, (r + 1) * dim), ref: set.ids[r]! });
  // per setting: per strategy, the precision of each steered / already-right query
  const steered = settings.map(() => new Map<Strategy, number[]>(strategies.map((s) => [s, []])));
  const right = settings.map(() => new Map<Strategy, number[]>(strategies.map((s) => [s, []])));
  const maxMarks = Math.max(...settings.map((s) => s.examples * s.rounds));

  const vectorOf = (id: PointId) => {
    const r = rowOf(id);
    return r === undefined ? undefined : set.vectors.subarray(r * dim, (r + 1) * dim);
  };
  const request = (q: number, strats: Strategy[], p: number[], n: number[]) => ({
    store: o.store, collection: o.collection, kernels: o.kernels, k: k + 1 + maxMarks, strategies: strats, params: o.params,
    query: example(q), positives: p.map(example), negatives: n.map(example), withPayload: false, vectorOf,
  });
  /** The first k unmarked rows of a ranking. */
  const shown = (hits: { id: PointId }[], marked: Set<number>) =>
    hits.map((h) => rowOf(h.id)).filter((r): r is number => r !== undefined && !marked.has(r)).slice(0, k);
  const counts = [...new Set(settings.map((st) => st.examples))];

  // queries go in chunks: every store call of a chunk's round in one batch (the answers are those of one query at a time)
  for (let at = 0; at < o.queries.length; at += CHUNK) {
    const chunk = Array.from(o.queries.subarray(at, at + CHUNK));
    const pages = await o.store.nearestBatch({ collection: o.collection, limit: k, withPayload: false, queries: chunk.map((q) => ({ id: set.ids[q]! })) });
    const marks = chunk.map((q, ci) => {
      const label = set.labels[q]!;
      const page1 = pages[ci]!.map((h) => rowOf(h.id)).filter((r): r is number => r !== undefined);
      return new Map(counts.map((n) => [n, {
        pos: page1.filter((r) => set.labels[r] === label).slice(0, n),
        neg: page1.filter((r) => set.labels[r] !== label).slice(0, n),
      }]));
    });
    // settings with the same marks share their first round
    const firsts = await rankWithFeedbackMany(chunk.flatMap((q, ci) => counts.map((n) => request(q, strategies, marks[ci]!.get(n)!.pos, marks[ci]!.get(n)!.neg))));
    const firstOf = (ci: number, n: number) => firsts[ci * counts.length + counts.indexOf(n)]!;
    // the second round marks each strategy's own page, adding to the first round's marks
    const seconds: Array<{ ci: number; si: number; s: Strategy; p2: number[]; n2: number[] }> = [];
    chunk.forEach((q, ci) => settings.forEach((st, si) => {
      if (st.rounds === 1) return;
      const label = set.labels[q]!;
      const { pos, neg } = marks[ci]!.get(st.examples)!;
      for (const s of strategies) {
        const page2 = shown(firstOf(ci, st.examples)[s]!.hits, new Set([q, ...pos, ...neg]));
        seconds.push({
          ci, si, s,
          p2: [...pos, ...page2.filter((r) => set.labels[r] === label).slice(0, st.examples)],
          n2: [...neg, ...page2.filter((r) => set.labels[r] !== label).slice(0, st.examples)],
        });
      }
    }));
    const secondRanks = await rankWithFeedbackMany(seconds.map((x) => request(chunk[x.ci]!, [x.s], x.p2, x.n2)));
    const second = new Map(seconds.map((x, i) => [`${x.ci} ${x.si} ${x.s}`, { ...x, hits: secondRanks[i]![x.s]!.hits }]));
    chunk.forEach((q, ci) => {
      const label = set.labels[q]!;
      const precision = (rows: number[]) => rows.filter((r) => set.labels[r] === label).length / k;
      const allRight = marks[ci]!.get(counts[0]!)!.neg.length === 0;
      settings.forEach((st, si) => {
        const into = allRight ? right[si]! : steered[si]!;
        const { pos, neg } = marks[ci]!.get(st.examples)!;
        for (const s of strategies) {
          if (st.rounds === 1) {
            into.get(s)!.push(precision(shown(firstOf(ci, st.examples)[s]!.hits, new Set([q, ...pos, ...neg]))));
            continue;
          }
          const x = second.get(`${ci} ${si} ${s}`)!;
          into.get(s)!.push(precision(shown(x.hits, new Set([q, ...x.p2, ...x.n2]))));
        }
      });
    });
    o.onProgress?.(at + chunk.length, o.queries.length);
  }

  const seed = o.seed ?? 1;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const qdrant = strategies.filter((s) => (QDRANT_STRATEGIES as readonly string[]).includes(s));
  const out = settings.map((st, si): SteeringSetting => {
    const per = steered[si]!;
    const ok = right[si]!;
    const precision = Object.fromEntries(strategies.map((s) => [s, mean(per.get(s)!)]));
    const pool = qdrant.length ? qdrant : strategies;
    const bestQdrant = pool.reduce((b, s) => (precision[s]! > precision[b]! ? s : b), pool[0]!);
    const plain = ok.get("plain");
    return {
      name: st.name, examples: st.examples, rounds: st.rounds,
      queries: per.get(strategies[0]!)!.length,
      precision, bestQdrant,
      versusBestQdrant: Object.fromEntries(strategies.map((s, i) => [s, pairedBootstrap(per.get(s)!, per.get(bestQdrant)!, { seed: seed + 31 * si + i })])),
      alreadyRight: ok.get(strategies[0]!)!.length,
      alreadyRightPrecision: Object.fromEntries(strategies.map((s) => [s, mean(ok.get(s)!)])),
      alreadyRightVersusPlain: plain
        ? Object.fromEntries(strategies.map((s, i) => [s, pairedBootstrap(ok.get(s)!, plain, { seed: seed + 1000 + 31 * si + i })]))
        : {},
    };
  });
  return { k, strategies, settings: out, seconds: (performance.now() - t0) / 1000 };
}
