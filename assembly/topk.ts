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
export function better(largest: bool, a: f32, ia: i32, b: f32, ib: i32): bool {
  if (a != a) return b != b && ia < ib; // NaN is better only than a later NaN
  if (b != b) return true;
  if (a == b) return ia < ib;
  return largest ? a > b : a < b;
}

// Sift the entry at `i` down a heap whose root is the WORST kept entry.
// @ts-ignore: decorator
@inline
export function siftDown(largest: bool, idx: usize, val: usize, size: i32, i: i32): void {
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
 * Offer one score, numbered `i`, to a heap of the k best holding `size`
 * entries (root = the worst kept); returns the new size. Every heap of the
 * module fills and keeps its k best here: topKOfferF32 over a block of
 * scores, and the scans that make their scores in registers (scanTopU7,
 * scanTopF32), each only after a compare with {@link heapBound} said one may enter.
 */
// @ts-ignore: decorator
@inline
export function heapOffer(largest: bool, v: f32, i: i32, k: i32, idx: usize, val: usize, size: i32): i32 {
  if (size < k) {
    store<f32>(val + (<usize>size << 2), v);
    store<i32>(idx + (<usize>size << 2), i);
    if (size + 1 == k) for (let j = (k >> 1) - 1; j >= 0; j--) siftDown(largest, idx, val, k, j);
    return size + 1;
  }
  if (better(largest, v, i, load<f32>(val), load<i32>(idx))) {
    store<f32>(val, v);
    store<i32>(idx, i);
    siftDown(largest, idx, val, k, 0);
  }
  return size;
}

/**
 * A bound that every score able to enter the heap reaches (<= it when the
 * smallest win, >= when the largest do): the worst kept value, or an
 * infinity while the heap is not full or its worst is NaN (then anything may
 * enter). Equal scores pass, so the tie rule stays {@link heapOffer}'s.
 */
// @ts-ignore: decorator
@inline
export function heapBound(largest: bool, k: i32, val: usize, size: i32): f32 {
  const w: f32 = size < k ? NaN : load<f32>(val);
  if (w == w) return w;
  return largest ? -Infinity : Infinity;
}

/**
 * The k best of n scores, best first. Requires 1 <= k <= n (the wrapper
 * checks). Writes k indices and k values; returns k.
 */
export function topKF32(scores: usize, n: i32, k: i32, largest: i32, idx: usize, val: usize): i32 {
  assert(k >= 1 && k <= n);
  topKOfferF32(scores, n, 0, k, largest, idx, val, 0);
  topKFinishF32(k, largest, idx, val);
  return k;
}

/**
 * Offer n more scores, numbered base..base+n−1, to a heap of the k best
 * that holds `size` entries so far (its root is the worst kept); returns
 * the new size. A long scan calls this block by block, so its scores never
 * leave the cache; {@link topKFinishF32} then sorts the heap.
 */
export function topKOfferF32(
  scores: usize, n: i32, base: i32, k: i32, largest: i32, idx: usize, val: usize, size: i32,
): i32 {
  // Most scores of a long scan cannot enter the heap: one compare with the
  // bound (the worst kept) rejects them before the full rule (ties, NaN) is
  // asked. One loop per order, so the compare is not a select (a select measured 10% slower).
  if (largest != 0) {
    let w = heapBound(true, k, val, size);
    for (let i = 0; i < n; i++) {
      const v = load<f32>(scores + (<usize>i << 2));
      if (v < w) continue;
      size = heapOffer(true, v, base + i, k, idx, val, size);
      w = heapBound(true, k, val, size);
    }
  } else {
    let w = heapBound(false, k, val, size);
    for (let i = 0; i < n; i++) {
      const v = load<f32>(scores + (<usize>i << 2));
      if (v > w) continue;
      size = heapOffer(false, v, base + i, k, idx, val, size);
      w = heapBound(false, k, val, size);
    }
  }
  return size;
}

/** Sort a full heap of k entries best first (heap sort: the worst to the end, repeatedly). */
export function topKFinishF32(k: i32, largest: i32, idx: usize, val: usize): void {
  const lg = largest != 0;
  for (let end = k - 1; end > 0; end--) {
    const v0 = load<f32>(val);
    const i0 = load<i32>(idx);
    store<f32>(val, load<f32>(val + (<usize>end << 2)));
    store<i32>(idx, load<i32>(idx + (<usize>end << 2)));
    store<f32>(val + (<usize>end << 2), v0);
    store<i32>(idx + (<usize>end << 2), i0);
    siftDown(lg, idx, val, end, 0);
  }
}

// Sort key of a float: an unsigned integer that orders as the float does,
// NaN last (any NaN maps to the largest key). Negative floats have their bits
// flipped, non-negative ones their sign bit set.
// @ts-ignore: decorator
@inline
function sortKey(v: f32, largest: bool): u32 {
  let k: u32;
  if (v != v) k = 0xffffffff;
  else {
    const b = v == 0 ? <u32>0 : reinterpret<u32>(v); // −0 sorts as +0, a tie
    k = (b & 0x80000000) != 0 ? ~b : b | 0x80000000;
  }
  // largest first: reverse the order of numbers but keep NaN last
  return largest && v == v ? ~k - 1 : k;
}

const RADIX_BITS: u32 = 11;
/**
 * Counting buckets of one radix pass (2^11 = 2048; 3 passes cover 32 bits):
 * the size of the `counts` scratch, exported so the wrapper sizes it from
 * this one definition.
 */
export const RADIX_BUCKETS: i32 = 1 << RADIX_BITS;

/**
 * One stable counting pass on the 11-bit digit at `shift`: keys kA → kB,
 * and, when iA is not 0, the payload iA → iB alongside.
 */
// @ts-ignore: decorator
@inline
function radixPass(kA: usize, kB: usize, iA: usize, iB: usize, n: i32, shift: u32, counts: usize): void {
  memory.fill(counts, 0, <usize>RADIX_BUCKETS << 2);
  for (let i = 0; i < n; i++) {
    const d = <usize>((load<u32>(kA + (<usize>i << 2)) >>> shift) & <u32>(RADIX_BUCKETS - 1));
    store<i32>(counts + (d << 2), load<i32>(counts + (d << 2)) + 1);
  }
  let sum = 0;
  for (let d = 0; d < RADIX_BUCKETS; d++) {
    const c = load<i32>(counts + (<usize>d << 2));
    store<i32>(counts + (<usize>d << 2), sum);
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const key = load<u32>(kA + (<usize>i << 2));
    const d = <usize>((key >>> shift) & <u32>(RADIX_BUCKETS - 1));
    const at = load<i32>(counts + (d << 2));
    store<i32>(counts + (d << 2), at + 1);
    store<u32>(kB + (<usize>at << 2), key);
    if (iA != 0) store<i32>(iB + (<usize>at << 2), load<i32>(iA + (<usize>i << 2)));
  }
}

/**
 * The order of all n scores, best first (smallest, or largest with
 * largest = 1), by a stable LSD radix sort on 11-bit digits: ties keep the
 * lower index first, NaN goes last, like topKF32. O(n) time.
 * Scratch (from the wrapper): keys, keys2, idx2 [n] u32/i32; counts [RADIX_BUCKETS] i32.
 * Writes idx [n] i32 and val [n] f32 (the scores in that order).
 */
export function argsortF32(
  scores: usize, n: i32, largest: i32, idx: usize, val: usize,
  keys: usize, keys2: usize, idx2: usize, counts: usize,
): void {
  const lg = largest != 0;
  for (let i = 0; i < n; i++) {
    store<u32>(keys + (<usize>i << 2), sortKey(load<f32>(scores + (<usize>i << 2)), lg));
    store<i32>(idx + (<usize>i << 2), i);
  }
  let kA = keys, kB = keys2, iA = idx, iB = idx2;
  for (let pass: u32 = 0; pass < 3; pass++) {
    radixPass(kA, kB, iA, iB, n, pass * RADIX_BITS, counts);
    const tk = kA; kA = kB; kB = tk;
    const ti = iA; iA = iB; iB = ti;
  }
  // after an odd number of passes the order sits in idx2: copy it home
  if (iA != idx) memory.copy(idx, iA, <usize>n << 2);
  for (let i = 0; i < n; i++) {
    const j = load<i32>(idx + (<usize>i << 2));
    store<f32>(val + (<usize>i << 2), load<f32>(scores + (<usize>j << 2)));
  }
}

/**
 * Sort n floats ascending in place by LSD radix on their sort keys (NaN
 * last); O(n). Scratch: tmp [n] (4 bytes each) and counts [RADIX_BUCKETS] i32.
 */
export function radixSortF32(p: usize, n: i32, tmp: usize, counts: usize): void {
  // keys in place of the floats, three stable passes, then the floats back
  for (let i = 0; i < n; i++) store<u32>(p + (<usize>i << 2), sortKey(load<f32>(p + (<usize>i << 2)), false));
  let a = p, b = tmp;
  for (let pass: u32 = 0; pass < 3; pass++) {
    radixPass(a, b, 0, 0, n, pass * RADIX_BITS, counts);
    const t = a; a = b; b = t;
  }
  for (let i = 0; i < n; i++) {
    const k = load<u32>(a + (<usize>i << 2));
    // invert sortKey (NaN keys come back as a NaN)
    const bits = (k & 0x80000000) != 0 ? k & 0x7fffffff : ~k;
    store<f32>(p + (<usize>i << 2), reinterpret<f32>(bits));
  }
}
