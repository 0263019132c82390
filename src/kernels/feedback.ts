/**
 * The feedback kernel's wrapper (assembly/feedback.ts): candidates scored
 * by closeness to a moved query plus a kernel estimate of being near the
 * right marks rather than the wrong ones. The feedback module
 * (src/feedback/) chooses the moved query and the scales.
 */

import { InputError } from "../errors.js";
import { view } from "./call.js";
import { coreOf } from "./core.js";
import type { Kernels } from "./kernels.js";
import type { F32Input, TopKResult } from "./types.js";
import { checkDim, checkK, rowsOf } from "./validate.js";

/** Inputs of {@link feedbackKde}: the candidates, the marked examples and the kernel's bandwidth settings. */
export interface FeedbackKdeOptions {
  /** `[nc, dim]` candidates. */
  candidates: F32Input;
  /** `[dim]` the query the closeness term is measured from. */
  query: Float32Array;
  /** `[np, dim]` the right marks (may be empty). */
  positives: Float32Array;
  /** `[nn, dim]` the wrong marks (may be empty). */
  negatives: Float32Array;
  dim: number;
  /** Divides d²(x, query): the space's squared scale, > 0. */
  scale: number;
  /** Weight of the kernel estimate, ≥ 0 (0: closeness alone). */
  weight: number;
  /** Kernel bandwidth on d², > 0. */
  tau: number;
  /**
   * Query expansion: after the first scoring, the `expand` best candidates
   * count as extra right marks (pseudo-relevance feedback) and every
   * candidate gains `expandWeight · weight · lse_e(−d²(x, e)/tau)` over
   * them. Default 0 (none).
   */
  expand?: number;
  /** Weight of the expanded marks' own kernel sum relative to the real marks', ≥ 0. Default 1. */
  expandWeight?: number;
  /**
   * When true, the expanded marks also join the right marks: the first
   * scoring is redone over P ∪ E (one kernel sum over real and pseudo marks
   * alike, the wrong marks and closeness as before) before their own sum
   * is added. Default false.
   */
  expandJoin?: boolean;
}

function positive(v: number, name: string, where: string, allowZero = false): number {
  if (!(Number.isFinite(v) && (allowZero ? v >= 0 : v > 0))) {
    throw new InputError(`${where}: ${name} must be a finite number ${allowZero ? ">= 0" : "> 0"}, got ${v}`);
  }
  return v;
}

function run(kernels: Kernels, o: FeedbackKdeOptions, where: string, top?: number): TopKResult | Float32Array {
  const k = coreOf(kernels);
  const dim = checkDim(o.dim, where);
  if (rowsOf(o.query, dim, "query", where) !== 1) throw new InputError(`${where}: query must be one vector of dim ${dim}, got ${o.query.length} values`);
  const np = rowsOf(o.positives, dim, "positives", where, true);
  const nn = rowsOf(o.negatives, dim, "negatives", where, true);
  const nc = rowsOf(o.candidates, dim, "candidates", where, true);
  const scale = positive(o.scale, "scale", where);
  const weight = positive(o.weight, "weight", where, true);
  const tau = positive(o.tau, "tau", where);
  const expand = o.expand ?? 0;
  if (!(Number.isInteger(expand) && expand >= 0)) throw new InputError(`${where}: expand must be an integer >= 0, got ${expand}`);
  const expandWeight = positive(o.expandWeight ?? 1, "expandWeight", where, true);
  for (const [name, x] of [["query", o.query], ["positives", o.positives], ["negatives", o.negatives]] as const) {
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${where}: ${name}[${bad}] is ${x[bad]}; every value must be finite`);
  }
  if (nc === 0) return top === undefined ? new Float32Array(0) : { indices: new Int32Array(0), values: new Float32Array(0) };
  return k.call((c) => {
    const cand = c.in(o.candidates);
    const q = c.in(o.query);
    const p = np ? c.in(o.positives) : 0;
    const ng = nn ? c.in(o.negatives) : 0;
    const out = c.tmp(nc * 4);
    const m = Math.min(expand, nc);
    const tmp = c.tmp(Math.max(1, np + m, nn) * 4);
    k.x.feedbackKdeF32(cand, nc, q, p, np, ng, nn, dim, 1 / scale, weight, 1 / tau, out, tmp);
    if (m > 0 && weight > 0 && (o.expandJoin || expandWeight > 0)) {
      // the m best rows become pseudo right marks, stored after the right marks (P ∪ E in one block)
      const idx = c.tmp(m * 4);
      const val = c.tmp(m * 4);
      k.x.topKF32(out, nc, m, 1, idx, val);
      const joined = c.tmp((np + m) * dim * 4);
      const pseudo = joined + np * dim * 4;
      const extra = expandWeight > 0 ? c.tmp(nc * 4) : 0;
      // every scratch block is taken before the view (a later one could grow the memory and detach it)
      const f = k.arena.f32();
      if (np) f.copyWithin(joined >> 2, p >> 2, (p >> 2) + np * dim);
      const top = k.arena.i32().slice(idx >> 2, (idx >> 2) + m);
      top.forEach((row, j) => f.copyWithin((pseudo >> 2) + j * dim, (cand >> 2) + row * dim, (cand >> 2) + (row + 1) * dim));
      // joined: the first scoring again with E among the right marks
      if (o.expandJoin) k.x.feedbackKdeF32(cand, nc, q, joined, np + m, ng, nn, dim, 1 / scale, weight, 1 / tau, out, tmp);
      if (expandWeight > 0) {
        // E's own kernel sum: the same kernel with no closeness term (invScale 0) and no wrong marks, added
        k.x.feedbackKdeF32(cand, nc, q, pseudo, m, 0, 0, dim, 0, weight * expandWeight, 1 / tau, extra, tmp);
        for (let i = 0; i < nc; i++) f[(out >> 2) + i] = f[(out >> 2) + i]! + f[(extra >> 2) + i]!;
      }
    }
    if (k.x.countNonFiniteF32(out, nc)) {
      const bad = view(o.candidates).findIndex((v) => !Number.isFinite(v));
      throw new InputError(`${where}: candidate value ${bad} is ${view(o.candidates)[bad]}; every value must be finite`);
    }
    if (top === undefined) return c.outF32(out, nc);
    const kk = Math.min(top, nc);
    const idx = c.tmp(kk * 4);
    const val = c.tmp(kk * 4);
    k.x.topKF32(out, nc, kk, 1, idx, val);
    return { indices: k.arena.i32().slice(idx >> 2, (idx >> 2) + kk), values: c.outF32(val, kk) };
  });
}

/**
 * Feedback scores of every candidate, higher is better:
 * `−d²(x, query)/scale + weight·(lse_p(−d²(x,p)/tau) − lse_n(−d²(x,n)/tau))`,
 * plus `expandWeight·weight·lse_e(−d²(x,e)/tau)` over the `expand` best
 * candidates E of that score when `expand` > 0; with `expandJoin` the first
 * score is then recomputed with E among the right marks (lse over P ∪ E).
 * @throws InputError for mismatched shapes, non-finite values or bad scales.
 */
export function feedbackKde(k: Kernels, o: FeedbackKdeOptions): Float32Array {
  return run(k, o, "feedbackKde") as Float32Array;
}

/** {@link feedbackKde} fused with top-k: the `k` best candidate rows, best first. */
export function feedbackKdeTop(kernels: Kernels, o: FeedbackKdeOptions & { k: number }): TopKResult {
  return run(kernels, o, "feedbackKdeTop", checkK(o.k, Infinity, "feedbackKdeTop")) as TopKResult;
}
