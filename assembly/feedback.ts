// Feedback scores of candidates from a user's marks: a moved query plus a
// kernel estimate of "near the right marks rather than the wrong ones".
//
// Memory layout: C [nc, dim], Q [dim] (the moved query), P [np, dim],
// N [nn, dim] f32; out [nc] f32; tmp [max(np, nn)] f32 scratch (each
// candidate's distances to one set, so every d² is computed once). For a candidate x, with d² squared L2:
//   out = −d²(x, Q)·invScale
//         + weight·( lse_p(−d²(x, p)·invTau) − lse_n(−d²(x, n)·invTau) )
// where lse is log Σ exp, taken stably around its largest term; a set that
// is empty contributes 0. Higher is better.
// Cost: nc·(1 + np + nn)·dim multiply-adds and nc·(np + nn − 2) exps.

import { sqL2 } from "./distance";

const LOG2E: f32 = 1.4426950408889634;

// e^x for x ≤ 0: 2^(x·log2 e) as 2^⌊y⌋ (built in the exponent bits) times
// 2^f, f ∈ [0, 1), by its Taylor polynomial to degree 7 (relative error
// below 1.3e-6); several times faster than Mathf.exp, which dominated the cost
@inline
function expNeg(x: f32): f32 {
  const y = x * LOG2E;
  if (y < -126) return 0;
  const i = Mathf.floor(y);
  const f = (y - i) * 0.6931471805599453;
  const p: f32 = 1 + f * (1 + f * (0.5 + f * (0.16666667 + f * (0.041666668 + f * (0.008333334 + f * (0.0013888889 + f * 0.0001984127))))));
  return reinterpret<f32>((<i32>i + 127) << 23) * p;
}

// log Σ_j exp(−d²(x, S[j])·invTau) over the n rows of S, stable: the closest
// row's term factors out (it contributes exp(0) = 1, and one exp fewer)
@inline
function logSumExpNeg(x: usize, s: usize, n: i32, dim: i32, stride: usize, invTau: f32, tmp: usize): f32 {
  let best: f32 = Infinity;
  for (let j = 0; j < n; j++) {
    const d = sqL2(x, s + <usize>j * stride, dim);
    store<f32>(tmp + (<usize>j << 2), d);
    best = min(best, d);
  }
  if (n == 1) return -best * invTau;
  let sum: f32 = 0;
  for (let j = 0; j < n; j++) sum += expNeg(-(load<f32>(tmp + (<usize>j << 2)) - best) * invTau);
  return -best * invTau + Mathf.log(sum);
}

export function feedbackKdeF32(
  c: usize, nc: i32, q: usize, p: usize, np: i32, ng: usize, nn: i32, dim: i32,
  invScale: f32, weight: f32, invTau: f32, out: usize, tmp: usize,
): void {
  assert(dim > 0 && np >= 0 && nn >= 0);
  const stride = <usize>dim << 2;
  for (let i = 0; i < nc; i++) {
    const x = c + <usize>i * stride;
    let s: f32 = -sqL2(x, q, dim) * invScale;
    if (weight != 0) {
      let kde: f32 = 0;
      if (np > 0) kde += logSumExpNeg(x, p, np, dim, stride, invTau, tmp);
      if (nn > 0) kde -= logSumExpNeg(x, ng, nn, dim, stride, invTau, tmp);
      s += weight * kde;
    }
    store<f32>(out + (<usize>i << 2), s);
  }
}
