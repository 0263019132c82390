// Distance kernels.
//
// Memory layout: every matrix is row-major f32, `[rows, dim]`, starting at a
// 16-byte aligned address owned by the TypeScript wrapper (src/kernels/).
// Vectors are read with f32x4 loads over the first `dim & ~3` lanes and a
// scalar tail for the rest, so any `dim >= 1` works.
//
// Cost: one-to-many reads n·dim floats once (memory bound for large n);
// pairwise computes the upper triangle only, B·(B−1)/2·dim multiply-adds.
//
// Every "many" kernel returns the number of non-finite results it wrote, so
// the wrapper can reject NaN/Inf inputs in O(n) instead of scanning n·dim.

import { heapBound, heapOffer } from "./topk";

// @ts-ignore: decorator
@inline
function isFinite32(x: f32): bool {
  return x - x == 0;
}

/** Squared Euclidean distance of two `dim`-vectors at `a` and `b`. */
// @ts-ignore: decorator
@inline
export function sqL2(a: usize, b: usize, dim: i32): f32 {
  // four independent accumulators hide the add latency; 16 floats a step
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= dim; i += 16) {
    const pa = a + (<usize>i << 2);
    const pb = b + (<usize>i << 2);
    const d0 = f32x4.sub(v128.load(pa), v128.load(pb));
    const d1 = f32x4.sub(v128.load(pa, 16), v128.load(pb, 16));
    const d2 = f32x4.sub(v128.load(pa, 32), v128.load(pb, 32));
    const d3 = f32x4.sub(v128.load(pa, 48), v128.load(pb, 48));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
    acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
    acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
  }
  for (; i + 4 <= dim; i += 4) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
  }
  acc0 = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s =
    f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) +
    f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3);
  for (; i < dim; i++) {
    const d = load<f32>(a + (<usize>i << 2)) - load<f32>(b + (<usize>i << 2));
    s += d * d;
  }
  return s;
}

/**
 * Squared distances from q to the four rows at x0..x3; writes out[0..3],
 * returns how many are non-finite. Loading each
 * query chunk once for four rows cuts the loads per row byte from 2 to 1.25,
 * which is what keeps a memory-bound scan near the bandwidth.
 */
// @ts-ignore: decorator
@inline
function sqL2x4(q: usize, x0: usize, x1: usize, x2: usize, x3: usize, dim: i32, out: usize): i32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= dim; i += 4) {
    const o = <usize>i << 2;
    const qv = v128.load(q + o);
    const d0 = f32x4.sub(v128.load(x0 + o), qv);
    const d1 = f32x4.sub(v128.load(x1 + o), qv);
    const d2 = f32x4.sub(v128.load(x2 + o), qv);
    const d3 = f32x4.sub(v128.load(x3 + o), qv);
    a0 = f32x4.add(a0, f32x4.mul(d0, d0));
    a1 = f32x4.add(a1, f32x4.mul(d1, d1));
    a2 = f32x4.add(a2, f32x4.mul(d2, d2));
    a3 = f32x4.add(a3, f32x4.mul(d3, d3));
  }
  let s0 = f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
  let s1 = f32x4.extract_lane(a1, 0) + f32x4.extract_lane(a1, 1) + f32x4.extract_lane(a1, 2) + f32x4.extract_lane(a1, 3);
  let s2 = f32x4.extract_lane(a2, 0) + f32x4.extract_lane(a2, 1) + f32x4.extract_lane(a2, 2) + f32x4.extract_lane(a2, 3);
  let s3 = f32x4.extract_lane(a3, 0) + f32x4.extract_lane(a3, 1) + f32x4.extract_lane(a3, 2) + f32x4.extract_lane(a3, 3);
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    const qs = load<f32>(q + o);
    const e0 = load<f32>(x0 + o) - qs;
    const e1 = load<f32>(x1 + o) - qs;
    const e2 = load<f32>(x2 + o) - qs;
    const e3 = load<f32>(x3 + o) - qs;
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  store<f32>(out, s0);
  store<f32>(out, s1, 4);
  store<f32>(out, s2, 8);
  store<f32>(out, s3, 12);
  return i32(!isFinite32(s0)) + i32(!isFinite32(s1)) + i32(!isFinite32(s2)) + i32(!isFinite32(s3));
}

/** Dot product of two `dim`-vectors at `a` and `b`. */
// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= dim; i += 8) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  if (i + 4 <= dim) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    i += 4;
  }
  acc0 = f32x4.add(acc0, acc1);
  let s =
    f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) +
    f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3);
  for (; i < dim; i++) {
    s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  }
  return s;
}

/** Manhattan (L1) distance of two `dim`-vectors at `a` and `b`. */
// @ts-ignore: decorator
@inline
export function l1(a: usize, b: usize, dim: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= dim; i += 4) {
    const o = <usize>i << 2;
    acc = f32x4.add(acc, f32x4.abs(f32x4.sub(v128.load(a + o), v128.load(b + o))));
  }
  let s =
    f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    s += Mathf.abs(load<f32>(a + (<usize>i << 2)) - load<f32>(b + (<usize>i << 2)));
  }
  return s;
}

/** Metric codes shared with the wrapper (METRIC_CODE in src/kernels/exports.ts). */
export const METRIC_SQL2: i32 = 0;
export const METRIC_DOT: i32 = 1;
export const METRIC_COSINE: i32 = 2;
export const METRIC_L1: i32 = 3;

// @ts-ignore: decorator
@inline
function metricOf(metric: i32, a: usize, b: usize, dim: i32, normA: f32): f32 {
  if (metric == METRIC_SQL2) return sqL2(a, b, dim);
  if (metric == METRIC_DOT) return dot(a, b, dim);
  if (metric == METRIC_L1) return l1(a, b, dim);
  // cosine similarity; a zero-norm vector gives NaN, which the wrapper rejects
  return dot(a, b, dim) / (normA * Mathf.sqrt(dot(b, b, dim)));
}

/**
 * One query against `n` rows: `out[i] = metric(q, X[i])`.
 * q: [dim] f32; X: [n, dim] f32; out: [n] f32.
 * Returns the number of non-finite values written.
 */
export function oneToManyF32(metric: i32, q: usize, x: usize, n: i32, dim: i32, out: usize): i32 {
  assert(n >= 0 && dim > 0);
  const stride = <usize>dim << 2;
  const normQ = metric == METRIC_COSINE ? Mathf.sqrt(dot(q, q, dim)) : <f32>1;
  let bad = 0;
  if (metric == METRIC_SQL2) {
    // the hot path of exact search: four rows per pass share each query load
    let i = 0;
    if (dim <= 64) {
      for (; i + 4 <= n; i += 4) {
        const r = x + <usize>i * stride;
        bad += sqL2x4(q, r, r + stride, r + 2 * stride, r + 3 * stride, dim, out + (<usize>i << 2));
      }
    }
    for (; i < n; i++) {
      const v = sqL2(q, x + <usize>i * stride, dim);
      store<f32>(out + (<usize>i << 2), v);
      bad += i32(!isFinite32(v));
    }
    return bad;
  }
  for (let i = 0; i < n; i++) {
    const v = metricOf(metric, q, x + <usize>i * stride, dim, normQ);
    store<f32>(out + (<usize>i << 2), v);
    bad += i32(!isFinite32(v));
  }
  return bad;
}

/**
 * The `k` best rows `0..n` of X for one query, squared L2 (metric 0, the
 * smallest) or dot (metric 1, the largest), offered straight to the heap
 * `idx` / `val` holding `size` entries (assembly/topk.ts's layout; finish
 * it with topKFinishF32); returns the new size and writes the number of
 * non-finite scores to `bad` (i32). Each score is bit for bit the one
 * {@link oneToManyF32} writes for that row, so the answer is topKOfferF32's
 * over its scores. The rows are read as two streams, the first and the
 * second half of the range, two rows of each per step: one stream leaves
 * the memory system idle between the prefetcher's requests (see
 * assembly/quantized.ts scanTopU7, which does the same over codes).
 */
export function scanTopF32(
  metric: i32, q: usize, x: usize, n: i32, dim: i32, k: i32, idx: usize, val: usize, size: i32, bad: usize, tmp: usize,
): i32 {
  assert(n >= 0 && dim > 0 && (metric == METRIC_SQL2 || metric == METRIC_DOT));
  const stride = <usize>dim << 2;
  const largest = metric == METRIC_DOT;
  // oneToManyF32 takes rows four at a time by sqL2x4 (squared L2, dim <= 64) up to the last multiple of 4, then one by one
  const grouped = metric == METRIC_SQL2 && dim <= 64;
  const half = (n >> 2) << 1;
  const hs = <usize>half * stride;
  let nonFinite = 0;
  for (let r = 0; r < half; r += 2) {
    const x0 = x + <usize>r * stride;
    if (grouped) {
      nonFinite += sqL2x4(q, x0, x0 + stride, x0 + hs, x0 + hs + stride, dim, tmp);
    } else {
      const s0 = largest ? dot(q, x0, dim) : sqL2(q, x0, dim);
      const s1 = largest ? dot(q, x0 + stride, dim) : sqL2(q, x0 + stride, dim);
      const s2 = largest ? dot(q, x0 + hs, dim) : sqL2(q, x0 + hs, dim);
      const s3 = largest ? dot(q, x0 + hs + stride, dim) : sqL2(q, x0 + hs + stride, dim);
      store<f32>(tmp, s0);
      store<f32>(tmp, s1, 4);
      store<f32>(tmp, s2, 8);
      store<f32>(tmp, s3, 12);
      nonFinite += i32(!isFinite32(s0)) + i32(!isFinite32(s1)) + i32(!isFinite32(s2)) + i32(!isFinite32(s3));
    }
    // a score enters only if it is not worse than the bound (NaN is offered: the heap's rule places it)
    const w = heapBound(largest, k, val, size);
    const s0 = load<f32>(tmp), s1 = load<f32>(tmp, 4), s2 = load<f32>(tmp, 8), s3 = load<f32>(tmp, 12);
    if (largest ? !(s0 < w) : !(s0 > w)) size = heapOffer(largest, s0, r, k, idx, val, size);
    if (largest ? !(s1 < w) : !(s1 > w)) size = heapOffer(largest, s1, r + 1, k, idx, val, size);
    if (largest ? !(s2 < w) : !(s2 > w)) size = heapOffer(largest, s2, r + half, k, idx, val, size);
    if (largest ? !(s3 < w) : !(s3 > w)) size = heapOffer(largest, s3, r + half + 1, k, idx, val, size);
  }
  for (let r = half << 1; r < n; r++) {
    const v = largest ? dot(q, x + <usize>r * stride, dim) : sqL2(q, x + <usize>r * stride, dim);
    nonFinite += i32(!isFinite32(v));
    size = heapOffer(largest, v, r, k, idx, val, size);
  }
  store<i32>(bad, nonFinite);
  return size;
}

/**
 * One query against a subset of rows: `out[j] = metric(q, X[rows[j]])`.
 * rows: [m] i32 indices into X (checked by the wrapper); out: [m] f32.
 * Used by filtered search, where a payload filter pre-selects the rows.
 */
export function oneToRowsF32(
  metric: i32, q: usize, x: usize, rows: usize, m: i32, dim: i32, out: usize,
): i32 {
  assert(m >= 0 && dim > 0);
  const stride = <usize>dim << 2;
  const normQ = metric == METRIC_COSINE ? Mathf.sqrt(dot(q, q, dim)) : <f32>1;
  let bad = 0;
  for (let j = 0; j < m; j++) {
    const r = <usize>load<i32>(rows + (<usize>j << 2));
    const v = metricOf(metric, q, x + r * stride, dim, normQ);
    store<f32>(out + (<usize>j << 2), v);
    bad += i32(!isFinite32(v));
  }
  return bad;
}

/** Rows of X per block in many-to-many, so a block of X stays in L2 cache. */
const BLOCK_ROWS: i32 = 256;

/**
 * M queries against N rows: `out[i, j] = metric(Q[i], X[j])`.
 * Q: [m, dim]; X: [n, dim]; out: [m, n] row-major.
 */
export function manyToManyF32(
  metric: i32, q: usize, m: i32, x: usize, n: i32, dim: i32, out: usize,
): i32 {
  assert(m >= 0 && n >= 0 && dim > 0);
  const stride = <usize>dim << 2;
  let bad = 0;
  for (let j0 = 0; j0 < n; j0 += BLOCK_ROWS) {
    const j1 = min(n, j0 + BLOCK_ROWS);
    for (let i = 0; i < m; i++) {
      const qi = q + <usize>i * stride;
      const normQ = metric == METRIC_COSINE ? Mathf.sqrt(dot(qi, qi, dim)) : <f32>1;
      const row = out + (<usize>i * <usize>n << 2);
      for (let j = j0; j < j1; j++) {
        const v = metricOf(metric, qi, x + <usize>j * stride, dim, normQ);
        store<f32>(row + (<usize>j << 2), v);
        bad += i32(!isFinite32(v));
      }
    }
  }
  return bad;
}

/**
 * All pairs of B rows: `out[i, j] = metric(X[i], X[j])`, out: [B, B].
 * Computes the upper triangle and mirrors it, so the result is exactly
 * symmetric; the diagonal is metric(X[i], X[i]).
 */
export function pairwiseF32(metric: i32, x: usize, b: i32, dim: i32, out: usize): i32 {
  assert(b >= 0 && dim > 0);
  const stride = <usize>dim << 2;
  const ub = <usize>b;
  let bad = 0;
  for (let i = 0; i < b; i++) {
    const xi = x + <usize>i * stride;
    const normI = metric == METRIC_COSINE ? Mathf.sqrt(dot(xi, xi, dim)) : <f32>1;
    for (let j = i; j < b; j++) {
      const v = metricOf(metric, xi, x + <usize>j * stride, dim, normI);
      store<f32>(out + ((<usize>i * ub + <usize>j) << 2), v);
      store<f32>(out + ((<usize>j * ub + <usize>i) << 2), v);
      bad += i32(!isFinite32(v)) * (i == j ? 1 : 2);
    }
  }
  return bad;
}

/** Number of non-finite values among `n` floats at `p` (x − x is 0 exactly for finite x). */
export function countNonFiniteF32(p: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    // lanes where v − v != 0 are −1; subtracting counts them
    bad = i32x4.sub(bad, f32x4.ne(f32x4.sub(v, v), zero));
  }
  let s = i32x4.extract_lane(bad, 0) + i32x4.extract_lane(bad, 1) +
    i32x4.extract_lane(bad, 2) + i32x4.extract_lane(bad, 3);
  for (; i < n; i++) s += i32(!isFinite32(load<f32>(p + (<usize>i << 2))));
  return s;
}
