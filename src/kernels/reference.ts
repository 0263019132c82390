/**
 * Plain TypeScript reference of every kernel: the definitions of docs/architecture.md
 * written as the simplest loops, in double precision, per pair and per
 * triplet. Tests compare the wasm kernels with these; benchmarks use them as
 * the plain-JS baseline. Not part of the public API.
 */

import type { Average, Metric, Mining, RerankMode, TopKResult, TripletStats } from "./types.js";

type Vecs = Float32Array;

export function refSqL2(a: Vecs, ai: number, b: Vecs, bi: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = a[ai * dim + k]! - b[bi * dim + k]!;
    s += d * d;
  }
  return s;
}

export function refDot(a: Vecs, ai: number, b: Vecs, bi: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ai * dim + k]! * b[bi * dim + k]!;
  return s;
}

export function refMetric(metric: Metric, a: Vecs, ai: number, b: Vecs, bi: number, dim: number): number {
  switch (metric) {
    case "sqL2":
      return refSqL2(a, ai, b, bi, dim);
    case "dot":
      return refDot(a, ai, b, bi, dim);
    case "cosine":
      return refDot(a, ai, b, bi, dim) / Math.sqrt(refDot(a, ai, a, ai, dim) * refDot(b, bi, b, bi, dim));
    case "l1": {
      let s = 0;
      for (let k = 0; k < dim; k++) s += Math.abs(a[ai * dim + k]! - b[bi * dim + k]!);
      return s;
    }
  }
}

export function refDistances(queries: Vecs, vectors: Vecs, dim: number, metric: Metric = "sqL2"): Float64Array {
  const m = queries.length / dim;
  const n = vectors.length / dim;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[i * n + j] = refMetric(metric, queries, i, vectors, j, dim);
  return out;
}

/** Best k by full sort: smallest (or largest) first, ties to the lower index, NaN last. */
export function refTopK(scores: ArrayLike<number>, k: number, largest = false): TopKResult {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((i, j) => {
    const a = scores[i]!;
    const b = scores[j]!;
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) === Number.isNaN(b) ? i - j : Number.isNaN(a) ? 1 : -1;
    if (a !== b) return largest ? b - a : a - b;
    return i - j;
  });
  const top = idx.slice(0, k);
  return { indices: Int32Array.from(top), values: Float32Array.from(top.map((i) => scores[i]!)) };
}

export interface RefLoss {
  loss: number;
  valid: number;
  active: number;
  grad: Float64Array;
  /** The active triplets [a, p, n] the miner chose (triplet losses only). */
  triplets: Array<[number, number, number]>;
  /** What the loss sum was divided by. */
  denom: number;
}

// adds w·∂D(i,j)/∂x to grad for both ends; D = d² or d
function addPairGrad(x: Vecs, dim: number, i: number, j: number, w: number, squared: boolean, grad: Float64Array): void {
  const d2 = refSqL2(x, i, x, j, dim);
  const f = squared ? 2 : d2 > 0 ? 1 / Math.sqrt(d2) : 0;
  for (let k = 0; k < dim; k++) {
    const diff = x[i * dim + k]! - x[j * dim + k]!;
    grad[i * dim + k]! += w * f * diff;
    grad[j * dim + k]! -= w * f * diff;
  }
}

function D(x: Vecs, dim: number, i: number, j: number, squared: boolean): number {
  const d2 = refSqL2(x, i, x, j, dim);
  return squared ? d2 : Math.sqrt(d2);
}

export function refContrastiveLoss(x: Vecs, labels: ArrayLike<number>, dim: number, margin: number): RefLoss {
  const b = labels.length;
  const grad = new Float64Array(b * dim);
  let loss = 0;
  let active = 0;
  let valid = 0;
  for (let i = 0; i < b; i++) {
    for (let j = i + 1; j < b; j++) {
      valid++;
      const d2 = refSqL2(x, i, x, j, dim);
      if (labels[i] === labels[j]) {
        loss += d2;
        if (d2 > 0) active++;
        addPairGrad(x, dim, i, j, 1, true, grad);
      } else {
        const d = Math.sqrt(d2);
        if (d < margin) {
          loss += (margin - d) ** 2;
          active++;
          // ∂(m − d)²/∂d = −2(m − d)
          addPairGrad(x, dim, i, j, -2 * (margin - d), false, grad);
        }
      }
    }
  }
  for (let k = 0; k < grad.length; k++) grad[k]! /= valid;
  return { loss: loss / valid, valid, active, grad, triplets: [], denom: valid };
}

/** One (a, p, n) triplet's loss, added with its gradient when positive. */
function triplet(
  x: Vecs, dim: number, a: number, p: number, n: number, margin: number, squared: boolean, grad: Float64Array,
): number {
  const l = D(x, dim, a, p, squared) - D(x, dim, a, n, squared) + margin;
  if (l <= 0) return 0;
  addPairGrad(x, dim, a, p, 1, squared, grad);
  addPairGrad(x, dim, a, n, -1, squared, grad);
  return l;
}

export function refTripletLoss(
  x: Vecs, labels: ArrayLike<number>, dim: number,
  o: { margin: number; mining?: Mining; squared?: boolean; average?: Average },
): RefLoss {
  const b = labels.length;
  const squared = o.squared ?? true;
  const mining = o.mining ?? "batch-all";
  const grad = new Float64Array(b * dim);
  // the squared distance matrix, once: mining compares d², which orders as d does
  const d2 = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) d2[i * b + j] = refSqL2(x, i, x, j, dim);
  let loss = 0;
  let valid = 0;
  let active = 0;
  const triplets: Array<[number, number, number]> = [];
  const take = (a: number, p: number, n: number) => {
    valid++;
    const l = triplet(x, dim, a, p, n, o.margin, squared, grad);
    if (l > 0) {
      active++;
      triplets.push([a, p, n]);
    }
    loss += l;
  };
  for (let a = 0; a < b; a++) {
    const row = a * b;
    if (mining === "batch-all") {
      for (let p = 0; p < b; p++) {
        if (p === a || labels[p] !== labels[a]) continue;
        for (let n = 0; n < b; n++) if (labels[n] !== labels[a]) take(a, p, n);
      }
    } else if (mining === "batch-hard") {
      let p = -1;
      let n = -1;
      for (let j = 0; j < b; j++) {
        if (j === a) continue;
        if (labels[j] === labels[a]) {
          if (p < 0 || d2[row + j]! > d2[row + p]!) p = j;
        } else if (n < 0 || d2[row + j]! < d2[row + n]!) n = j;
      }
      if (p >= 0 && n >= 0) take(a, p, n);
    } else {
      for (let p = 0; p < b; p++) {
        if (p === a || labels[p] !== labels[a]) continue;
        let semi = -1; // closest negative beyond p
        let far = -1; // farthest negative
        for (let n = 0; n < b; n++) {
          if (labels[n] === labels[a]) continue;
          const v = d2[row + n]!;
          if (v > d2[row + p]! && (semi < 0 || v < d2[row + semi]!)) semi = n;
          if (far < 0 || v > d2[row + far]!) far = n;
        }
        if (far >= 0) take(a, p, semi >= 0 ? semi : far);
      }
    }
  }
  const denom = mining === "batch-all" && (o.average ?? "active") === "active" ? active : valid;
  const scale = denom > 0 ? 1 / denom : 0;
  for (let k = 0; k < grad.length; k++) grad[k]! *= scale;
  return { loss: loss * scale, valid, active, grad, triplets, denom };
}

/**
 * The triplet loss with the miner's choice frozen: the mean over the given
 * active triplets of D(a,p) − D(a,n) + m. Smooth in x, so its finite
 * differences check the gradient formula without the kinks where a
 * perturbation would change which triplets are mined or active.
 */
export function refFrozenTripletLoss(
  x: Vecs, dim: number, triplets: Array<[number, number, number]>, denom: number, margin: number, squared: boolean,
): number {
  let s = 0;
  for (const [a, p, n] of triplets) s += D(x, dim, a, p, squared) - D(x, dim, a, n, squared) + margin;
  return s / denom;
}

/** Statistics by enumerating every valid triplet: O(N³), for tests and small sets. */
export function refTripletStats(
  x: Vecs, labels: ArrayLike<number>, dim: number,
  o: { margin: number; contrastiveMargin?: number; squared?: boolean },
): TripletStats {
  const n = labels.length;
  const squared = o.squared ?? true;
  const cm = o.contrastiveMargin ?? o.margin;
  let easy = 0, semi = 0, hard = 0, triplets = 0, active = 0, lossSum = 0;
  let cSum = 0, pairs = 0, posSum = 0, posN = 0, negSum = 0, negN = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = Math.sqrt(refSqL2(x, i, x, j, dim));
      pairs++;
      if (labels[i] === labels[j]) {
        posSum += d;
        posN++;
        cSum += d * d;
      } else {
        negSum += d;
        negN++;
        cSum += Math.max(0, cm - d) ** 2;
      }
    }
  }
  for (let a = 0; a < n; a++) {
    for (let p = 0; p < n; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      for (let q = 0; q < n; q++) {
        if (labels[q] === labels[a]) continue;
        const dp = D(x, dim, a, p, squared);
        const dn = D(x, dim, a, q, squared);
        triplets++;
        if (dn < dp) hard++;
        else if (dn > dp + o.margin) easy++;
        else semi++;
        const l = dp - dn + o.margin;
        if (l > 0) {
          active++;
          lossSum += l;
        }
      }
    }
  }
  const ratio = (u: number, v: number) => (v > 0 ? u / v : 0);
  return {
    triplets, easy, semiHard: semi, hard, active,
    meanTripletLoss: ratio(lossSum, triplets),
    meanContrastiveLoss: ratio(cSum, pairs),
    meanPositiveDistance: ratio(posSum, posN),
    meanNegativeDistance: ratio(negSum, negN),
    positivePairs: posN / 2,
    negativePairs: negN / 2,
  };
}

export function refRerank(
  mode: RerankMode, query: Vecs, candidates: Vecs, dim: number,
  positives: Vecs = new Float32Array(0), negatives: Vecs = new Float32Array(0), margin = 0,
): Float64Array {
  const nc = candidates.length / dim;
  const P = new Float32Array(query.length + positives.length);
  P.set(query);
  P.set(positives, query.length);
  const np = P.length / dim;
  const nn = negatives.length / dim;
  const out = new Float64Array(nc);
  for (let i = 0; i < nc; i++) {
    const dP = Array.from({ length: np }, (_, j) => refSqL2(candidates, i, P, j, dim));
    const dN = Array.from({ length: nn }, (_, j) => refSqL2(candidates, i, negatives, j, dim));
    if (mode === "exact") out[i] = -dP[0]!;
    else if (mode === "triplet") out[i] = nn ? Math.min(...dN) - Math.min(...dP) : -Math.min(...dP);
    else {
      const meanP = dP.reduce((s, v) => s + v, 0) / np;
      const meanN = nn ? dN.reduce((s, v) => s + Math.max(0, margin - Math.sqrt(v)) ** 2, 0) / nn : 0;
      out[i] = -(meanP + meanN);
    }
  }
  return out;
}
