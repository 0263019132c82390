/**
 * margin's strategies: re-rank a candidate pool (recommend's top few
 * hundred, with vectors) on the kernels from the query and the marks.
 * Scales come from the pool itself (its median distance to the query),
 * never from the training margin, so the same setting fits any space.
 */

import { feedbackKdeTop } from "../kernels/feedback.js";
import type { Kernels, TopKResult } from "../kernels/index.js";
import type { FeedbackParams, MarginStrategy } from "./strategies.js";

/** A candidate pool with the query and the right and wrong marks, as {@link rerankPool} takes it. */
export interface PoolInput {
  /** `[nc, dim]` the pool's vectors. */
  candidates: Float32Array;
  dim: number;
  query: Float32Array;
  /** `[np, dim]` right marks (the query not among them). */
  positives: Float32Array;
  /** `[nn, dim]` wrong marks. */
  negatives: Float32Array;
}

/** Median of d²(q, x) over the pool: the space's scale around this query (1 when degenerate). */
export function poolScale(kernels: Kernels, o: PoolInput): number {
  const nc = o.candidates.length / o.dim;
  if (nc === 0) return 1;
  const d = kernels.distances({ queries: o.query, vectors: o.candidates, dim: o.dim, metric: "sqL2" });
  const s = Float64Array.from(d).sort();
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return m > 0 && Number.isFinite(m) ? m : 1;
}

/** The mean of the rows of `[n, dim]` (zeros when n = 0). */
function mean(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const n = rows.length / dim;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[d] = out[d]! + rows[i * dim + d]! / n;
  return out;
}

/**
 * Rocchio's moved query: q + beta·(p̄ − q) + gamma·(q − n̄). Without wrong
 * marks there is no direction to move away from, and the page was right:
 * q' is then the centroid of the query and the right marks (no
 * extrapolation), which keeps already-right queries right.
 */
export function movedQuery(o: PoolInput, beta: number, gamma: number): Float32Array {
  const { dim, query } = o;
  const out = Float32Array.from(query);
  if (o.positives.length) {
    const p = mean(o.positives, dim);
    const np = o.positives.length / dim;
    const b = o.negatives.length ? beta : np / (np + 1);
    for (let d = 0; d < dim; d++) out[d] = out[d]! + b * (p[d]! - query[d]!);
  }
  if (o.negatives.length) {
    const n = mean(o.negatives, dim);
    for (let d = 0; d < dim; d++) out[d] = out[d]! + gamma * (query[d]! - n[d]!);
  }
  return out;
}

function withQuery(o: PoolInput): Float32Array {
  const out = new Float32Array(o.query.length + o.positives.length);
  out.set(o.query);
  out.set(o.positives, o.query.length);
  return out;
}

/**
 * The `k` best pool rows for a margin strategy, best first:
 * triplet `min_n d²(x,n) − min_p d²(x,p)`; contrastive with margin
 * `contrastiveMargin × median d(q,x)`; rocchio `−d²(x, q')`; kde
 * `−d²(x,q')/s + weight·(lse_p − lse_n)(−d²/(tau·s))`, s = median d²(q,x),
 * the query counted among the right marks; kde-expand adds
 * `expandWeight·weight·lse_e(−d²/(tau·s))` over kde's best points, as many
 * as top the right marks (the query not counted) up to `expand`, which with
 * `expandJoin` also join the right marks' kernel sum.
 */
export function rerankPool(kernels: Kernels, strategy: MarginStrategy, o: PoolInput, params: FeedbackParams, k: number): TopKResult {
  const nc = o.candidates.length / o.dim;
  k = Math.min(k, nc);
  if (k === 0) return { indices: new Int32Array(0), values: new Float32Array(0) };
  const s = poolScale(kernels, o);
  if (strategy === "triplet" || strategy === "contrastive") {
    return kernels.rerankTop({
      mode: strategy, query: o.query, candidates: o.candidates, dim: o.dim, k,
      positives: o.positives, negatives: o.negatives,
      margin: strategy === "contrastive" ? params.contrastiveMargin * Math.sqrt(s) : undefined,
    });
  }
  const moved = movedQuery(o, params.beta, params.gamma);
  return feedbackKdeTop(kernels, {
    candidates: o.candidates, dim: o.dim, query: moved, k, scale: s,
    positives: withQuery(o), negatives: o.negatives,
    weight: strategy === "rocchio" ? 0 : params.weight, tau: params.tau * s,
    // pseudo marks top the right marks up to `expand`: the fewer real marks, the more the ranking's own top helps
    expand: strategy === "kde-expand" ? Math.max(0, params.expand - o.positives.length / o.dim) : 0, expandWeight: params.expandWeight,
    expandJoin: params.expandJoin,
  });
}
