// Re-rank scores of candidates from positive and negative examples.
//
// Memory layout: C [nc, dim], P [np, dim], N [nn, dim] f32; out [nc] f32.
// Higher scores are better, for every mode (docs/architecture.md):
//   exact        −d²(q, x), q = P[0]
//   triplet      min_n d²(x, n) − min_p d²(x, p)      (N empty: −min_p d²(x, p))
//   contrastive  −(mean_p d²(x, p) + mean_n max(0, m − d(x, n))²)
// Cost: nc·(np + nn)·dim multiply-adds.

import { METRIC_SQL2, oneToManyF32, sqL2 } from "./distance";

export const RERANK_EXACT: i32 = 0;
export const RERANK_TRIPLET: i32 = 1;
export const RERANK_CONTRASTIVE: i32 = 2;

export function rerankF32(
  mode: i32, c: usize, nc: i32, p: usize, np: i32, ng: usize, nn: i32, dim: i32,
  margin: f32, out: usize,
): void {
  assert(np >= 1 && dim > 0);
  const stride = <usize>dim << 2;
  if (mode == RERANK_EXACT) {
    // the one-to-many scan (four candidates per query load), then negate
    oneToManyF32(METRIC_SQL2, p, c, nc, dim, out);
    for (let i = 0; i < nc; i++) store<f32>(out + (<usize>i << 2), -load<f32>(out + (<usize>i << 2)));
    return;
  }
  for (let i = 0; i < nc; i++) {
    const x = c + <usize>i * stride;
    let s: f32;
    if (mode == RERANK_TRIPLET) {
      let minP: f32 = Infinity;
      for (let j = 0; j < np; j++) minP = min(minP, sqL2(x, p + <usize>j * stride, dim));
      if (nn == 0) {
        s = -minP;
      } else {
        let minN: f32 = Infinity;
        for (let j = 0; j < nn; j++) minN = min(minN, sqL2(x, ng + <usize>j * stride, dim));
        s = minN - minP;
      }
    } else {
      let sp: f32 = 0;
      for (let j = 0; j < np; j++) sp += sqL2(x, p + <usize>j * stride, dim);
      let sn: f32 = 0;
      for (let j = 0; j < nn; j++) {
        const h = margin - Mathf.sqrt(sqL2(x, ng + <usize>j * stride, dim));
        if (h > 0) sn += h * h;
      }
      s = -(sp / <f32>np + (nn > 0 ? sn / <f32>nn : 0));
    }
    store<f32>(out + (<usize>i << 2), s);
  }
}
