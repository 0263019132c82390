// Feedback scores of candidates from a user's marks: a moved query plus a
// kernel estimate of "near the right marks rather than the wrong ones".
//
// Memory layout: C [nc, dim], Q [dim] (the moved query), P [np, dim],
// N [nn, dim] f32; out [nc] f32. For a candidate x, with d² squared L2:
//   out = −d²(x, Q)·invScale
//         + weight·( lse_p(−d²(x, p)·invTau) − lse_n(−d²(x, n)·invTau) )
// where lse is log Σ exp, taken stably around its largest term; a set that
// is empty contributes 0. Higher is better.
// Cost: nc·(1 + np + nn)·dim multiply-adds and nc·(np + nn) exps.

import { sqL2 } from "./distance";

// log Σ_j exp(−d²(x, S[j])·invTau) over the n rows of S, stable: the closest
// row's term factors out, so at least one exp is exp(0) = 1
@inline
function logSumExpNeg(x: usize, s: usize, n: i32, dim: i32, stride: usize, invTau: f32): f32 {
  let best: f32 = Infinity;
  for (let j = 0; j < n; j++) best = min(best, sqL2(x, s + <usize>j * stride, dim));
  let sum: f32 = 0;
  for (let j = 0; j < n; j++) sum += Mathf.exp(-(sqL2(x, s + <usize>j * stride, dim) - best) * invTau);
  return -best * invTau + Mathf.log(sum);
}

export function feedbackKdeF32(
  c: usize, nc: i32, q: usize, p: usize, np: i32, ng: usize, nn: i32, dim: i32,
  invScale: f32, weight: f32, invTau: f32, out: usize,
): void {
  assert(dim > 0 && np >= 0 && nn >= 0);
  const stride = <usize>dim << 2;
  for (let i = 0; i < nc; i++) {
    const x = c + <usize>i * stride;
    let s: f32 = -sqL2(x, q, dim) * invScale;
    if (weight != 0) {
      let kde: f32 = 0;
      if (np > 0) kde += logSumExpNeg(x, p, np, dim, stride, invTau);
      if (nn > 0) kde -= logSumExpNeg(x, ng, nn, dim, stride, invTau);
      s += weight * kde;
    }
    store<f32>(out + (<usize>i << 2), s);
  }
}
