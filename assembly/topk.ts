// Top-k selection.
//
// Memory layout: scores [n] f32; outputs idx [k] i32 and val [k] f32, which
// double as the working heap, so the kernel needs no scratch space.
//
// Order: the best first. "Best" is the smallest value (largest = 0) or the
// largest (largest = 1). Ties go to the lower index, so results are
// deterministic. NaN ranks after every number, in both orders: a NaN is only
// returned when fewer than k scores are numbers. (The wrapper rejects NaN in
// its public calls; the rule keeps the kernel total.)
//
// Cost: O(n log k) comparisons, one pass over the scores.

// @ts-ignore: decorator
@inline
function better(largest: bool, a: f32, ia: i32, b: f32, ib: i32): bool {
  if (a != a) return b != b && ia < ib; // NaN is better only than a later NaN
  if (b != b) return true;
  if (a == b) return ia < ib;
  return largest ? a > b : a < b;
}

// Sift the entry at `i` down a heap whose root is the WORST kept entry.
// @ts-ignore: decorator
@inline
function siftDown(largest: bool, idx: usize, val: usize, size: i32, i: i32): void {
  const v = load<f32>(val + (<usize>i << 2));
  const vi = load<i32>(idx + (<usize>i << 2));
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let cv = load<f32>(val + (<usize>c << 2));
    let ci = load<i32>(idx + (<usize>c << 2));
    if (c + 1 < size) {
      const rv = load<f32>(val + (<usize>(c + 1) << 2));
      const ri = load<i32>(idx + (<usize>(c + 1) << 2));
      if (better(largest, cv, ci, rv, ri)) { c++; cv = rv; ci = ri; } // the worse child
    }
    if (!better(largest, v, vi, cv, ci)) break; // v is no better than the worse child
    store<f32>(val + (<usize>i << 2), cv);
    store<i32>(idx + (<usize>i << 2), ci);
    i = c;
  }
  store<f32>(val + (<usize>i << 2), v);
  store<i32>(idx + (<usize>i << 2), vi);
}

/**
 * The k best of n scores, best first. Requires 1 <= k <= n (the wrapper
 * checks). Writes k indices and k values; returns k.
 */
export function topKF32(scores: usize, n: i32, k: i32, largest: i32, idx: usize, val: usize): i32 {
  assert(k >= 1 && k <= n);
  const lg = largest != 0;
  for (let i = 0; i < k; i++) {
    store<f32>(val + (<usize>i << 2), load<f32>(scores + (<usize>i << 2)));
    store<i32>(idx + (<usize>i << 2), i);
  }
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(lg, idx, val, k, i);
  for (let i = k; i < n; i++) {
    const v = load<f32>(scores + (<usize>i << 2));
    if (better(lg, v, i, load<f32>(val), load<i32>(idx))) {
      store<f32>(val, v);
      store<i32>(idx, i);
      siftDown(lg, idx, val, k, 0);
    }
  }
  // heap sort: move the worst to the end, repeatedly
  for (let end = k - 1; end > 0; end--) {
    const v0 = load<f32>(val);
    const i0 = load<i32>(idx);
    store<f32>(val, load<f32>(val + (<usize>end << 2)));
    store<i32>(idx, load<i32>(idx + (<usize>end << 2)));
    store<f32>(val + (<usize>end << 2), v0);
    store<i32>(idx + (<usize>end << 2), i0);
    siftDown(lg, idx, val, end, 0);
  }
  return k;
}

/** Sort n f32 values ascending in place (heap sort; NaN must not occur). */
export function sortAscF32(p: usize, n: i32): void {
  for (let i = (n >> 1) - 1; i >= 0; i--) siftMax(p, n, i);
  for (let end = n - 1; end > 0; end--) {
    const v0 = load<f32>(p);
    store<f32>(p, load<f32>(p + (<usize>end << 2)));
    store<f32>(p + (<usize>end << 2), v0);
    siftMax(p, end, 0);
  }
}

// @ts-ignore: decorator
@inline
function siftMax(p: usize, size: i32, i: i32): void {
  const v = load<f32>(p + (<usize>i << 2));
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let cv = load<f32>(p + (<usize>c << 2));
    if (c + 1 < size) {
      const rv = load<f32>(p + (<usize>(c + 1) << 2));
      if (rv > cv) { c++; cv = rv; }
    }
    if (v >= cv) break;
    store<f32>(p + (<usize>i << 2), cv);
    i = c;
  }
  store<f32>(p + (<usize>i << 2), v);
}
