// Triplet statistics of a labeled set, over ALL valid triplets.
//
// Memory layout (N points, one block of anchors [a0, a1) per call):
//   X      [N, dim] f32   the embeddings
//   labels [N]      i32
//   dist   [N]      f32   scratch: d² from the anchor to every point
//   neg    [N]      f32   scratch: the anchor's negative distances, sorted
//   prefix [N + 1]  f64   scratch: prefix sums of neg
//   tmp    [N]      f32   scratch of the radix sort; counts [RADIX_BUCKETS] i32 too
//   out    [12]     f64   accumulated (the wrapper zeroes it once; src/kernels/exports.ts
//                         names the slots, STATS_SLOT):
//     0 easy, 1 semi-hard, 2 hard, 3 triplet loss sum, 4 valid triplets,
//     5 active triplets, 6 contrastive loss sum, 7 ordered pairs,
//     8 positive d sum, 9 positive pairs, 10 negative d sum, 11 negative pairs
//
// Kinds, with D = d² (squared) or d: hard D(a,n) < D(a,p); easy
// D(a,n) > D(a,p) + m; semi-hard otherwise (D(a,p) ≤ D(a,n) ≤ D(a,p) + m),
// so the three always add up to the valid triplets.
//
// Cost: per anchor O(N·dim) distances + an O(N) radix sort of its negatives;
// each positive is then classified with binary searches, so N anchors cost
// O(N²·(dim + log N)) time and O(N) memory instead of O(N³) time.

import { sqL2 } from "./distance";
import { radixSortF32 } from "./topk";

// number of sorted values < x
// @ts-ignore: decorator
@inline
function lowerBound(p: usize, n: i32, x: f32): i32 {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f32>(p + (<usize>mid << 2)) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// number of sorted values <= x
// @ts-ignore: decorator
@inline
function upperBound(p: usize, n: i32, x: f32): i32 {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f32>(p + (<usize>mid << 2)) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// @ts-ignore: decorator
@inline
function add(out: usize, slot: i32, v: f64): void {
  const p = out + (<usize>slot << 3);
  store<f64>(p, load<f64>(p) + v);
}

export function tripletStatsF32(
  x: usize, labels: usize, n: i32, dim: i32, a0: i32, a1: i32,
  margin: f32, contrastiveMargin: f32, squared: i32,
  dist: usize, neg: usize, prefix: usize, tmp: usize, counts: usize, out: usize,
): void {
  assert(a0 >= 0 && a1 <= n && dim > 0);
  const sq = squared != 0;
  const stride = <usize>dim << 2;
  for (let a = a0; a < a1; a++) {
    const xa = x + <usize>a * stride;
    const la = load<i32>(labels + (<usize>a << 2));
    let nneg = 0;
    let npos = 0;
    let posSum: f64 = 0;
    let negSum: f64 = 0;
    let cSum: f64 = 0;
    for (let j = 0; j < n; j++) {
      if (j == a) continue;
      const d2 = sqL2(xa, x + <usize>j * stride, dim);
      store<f32>(dist + (<usize>j << 2), d2);
      const d = Mathf.sqrt(d2);
      if (load<i32>(labels + (<usize>j << 2)) == la) {
        npos++;
        posSum += d;
        cSum += d2;
      } else {
        store<f32>(neg + (<usize>nneg << 2), sq ? d2 : d);
        nneg++;
        negSum += d;
        const h = contrastiveMargin - d;
        if (h > 0) cSum += h * h;
      }
    }
    add(out, 6, cSum);
    add(out, 7, npos + nneg);
    add(out, 8, posSum);
    add(out, 9, npos);
    add(out, 10, negSum);
    add(out, 11, nneg);
    if (nneg == 0 || npos == 0) continue;
    radixSortF32(neg, nneg, tmp, counts);
    store<f64>(prefix, 0);
    let run: f64 = 0;
    for (let i = 0; i < nneg; i++) {
      run += load<f32>(neg + (<usize>i << 2));
      store<f64>(prefix + (<usize>(i + 1) << 3), run);
    }
    let easy: f64 = 0;
    let semi: f64 = 0;
    let hard: f64 = 0;
    let lossSum: f64 = 0;
    let act: f64 = 0;
    for (let p = 0; p < n; p++) {
      if (p == a || load<i32>(labels + (<usize>p << 2)) != la) continue;
      const d2 = load<f32>(dist + (<usize>p << 2));
      const dap = sq ? d2 : Mathf.sqrt(d2);
      const lim = dap + margin;
      const h = lowerBound(neg, nneg, dap);
      const e0 = upperBound(neg, nneg, lim);
      const k = lowerBound(neg, nneg, lim); // negatives with a positive loss
      hard += h;
      semi += e0 - h;
      easy += nneg - e0;
      act += k;
      lossSum += <f64>k * <f64>lim - load<f64>(prefix + (<usize>k << 3));
    }
    add(out, 0, easy);
    add(out, 1, semi);
    add(out, 2, hard);
    add(out, 3, lossSum);
    add(out, 4, <f64>npos * <f64>nneg);
    add(out, 5, act);
  }
}
