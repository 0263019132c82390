/**
 * Qdrant's maximal marginal relevance (lib/shard/src/query/mmr/mod.rs): the
 * `candidatesLimit` nearest points are found first; then, starting from the
 * most relevant, each next pick maximizes λ·relevance − (1 − λ)·(its highest
 * similarity to a point already picked), λ = 1 − diversity (0.5 by default).
 * Similarities are Qdrant's raw ones: dot for Dot and Cosine, −distance² for
 * Euclid, −distance for Manhattan. Answers keep the candidates' own scores.
 * Ties go as Qdrant's: the last best in the order of an index set that
 * swap-removes each pick.
 */

import { InputError } from "../../../errors.js";
import { wrongInput } from "./errors.js";
import type { Collection } from "../state/collection.js";
import { type Hit, type QueryPlan, planSpace, search } from "./search.js";

/** A checked mmr. */
export interface Mmr {
  lambda: number;
  candidatesLimit: number;
}

/** The indices MMR picks, in order, from relevances and a similarity between candidates. */
export function mmrSelect(relevance: ArrayLike<number>, sim: (a: number, b: number) => number, lambda: number, limit: number): number[] {
  const n = relevance.length;
  if (n === 0 || limit === 0) return [];
  const remaining = Array.from({ length: n }, (_, i) => i);
  const take = (pos: number) => {
    const v = remaining[pos]!;
    remaining[pos] = remaining[remaining.length - 1]!;
    remaining.pop();
    return v;
  };
  const lastMax = (score: (i: number) => number) => {
    let best = 0;
    for (let p = 1; p < remaining.length; p++) if (score(remaining[p]!) >= score(remaining[best]!)) best = p;
    return best;
  };
  const picked = [take(lastMax((i) => relevance[i]!))];
  while (picked.length < limit && remaining.length > 0) {
    const mmr = (i: number) => {
      let maxSim = -Infinity;
      for (const s of picked) maxSim = Math.max(maxSim, sim(i, s));
      return lambda * relevance[i]! - (1 - lambda) * maxSim;
    };
    picked.push(take(lastMax(mmr)));
  }
  return picked;
}

/** Run an mmr plan (plan.vector the nearest query): the picks, plan.offset cut, up to plan.limit. */
export function mmrHits(col: Collection, plan: QueryPlan, mmr: Mmr): Hit[] {
  const cands = search(col, { ...plan, limit: mmr.candidatesLimit, offset: 0 });
  if (cands.length < 2) return cands.slice(plan.offset, plan.offset + plan.limit);
  const sp = planSpace(col, plan).vectors;
  const raw = (score: number) => (sp.distance === "Euclid" ? -score * score : sp.distance === "Manhattan" ? -score : score);
  const dim = sp.dim;
  const b = cands.length;
  const vectors = new Float32Array(b * dim);
  cands.forEach((h, i) => vectors.set(col.vectorIn(h.row, plan.using ?? "") as Float32Array, i * dim));
  let pair: ArrayLike<number>;
  try {
    pair = col.kernels.pairwise({ vectors, dim, metric: sp.metric });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw wrongInput(`mmr: the similarities of the ${b} candidates leave the f32 range; scale the vectors down`);
  }
  const sign = sp.metric === "dot" ? 1 : -1; // sqL2 and l1 are distances: Qdrant's similarity is their negative
  const picks = mmrSelect(cands.map((h) => raw(h.score)), (x, y) => sign * pair[x * b + y]!, mmr.lambda, plan.offset + plan.limit);
  return picks.map((i) => cands[i]!).slice(plan.offset);
}
