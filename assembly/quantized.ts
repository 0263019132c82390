// Scalar-quantized (int8) scan kernels.
//
// Layout: codes are row-major u8 `[rows, stride]`, one code in [0, 127] per
// component, `stride` a multiple of 16 with the padding bytes zero (in rows
// and in the query), so every step is one v128 load and no scalar tail is
// needed for any dim. Codes stop at 127 (7 bits), so two codes read as one
// i16 lane (even byte + 256·odd byte) stay positive and every product the
// dot products below form fits their i32 lanes.
//
// Scores, with q and x quantized on the same grid v ≈ lo + alpha·c:
//   metric 1 (dot):   out = scale·Σ cq·cx + corr[row] + bias
//                     (the wrapper passes scale = alpha², corr[row] = alpha·lo·Σcx,
//                      bias = alpha·lo·Σcq + dim·lo²)
//   metric 0 (sqL2):  out = scale·(Σcx² − 2·Σ cq·cx + Σcq²)   (= scale·Σ (cq − cx)²;
//                     scale = alpha², corr[row] = Σcx², bias = Σcq²)
//   metric 3 (l1):    out = scale·Σ |cq − cx|           (scale = alpha)
// Cost: reads stride bytes per row once: a quarter of the f32 scan's bytes.

import { heapBound, heapOffer } from "./topk";

// @ts-ignore: decorator
@inline
function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline
function l1Row(q: usize, x: usize, stride: i32): i32 {
  // |a − b| of u8 codes as saturating differences both ways; the pairwise
  // adds widen to i16 then i32 without overflow (at most 8·127 per lane)
  let a = i32x4.splat(0);
  for (let j = 0; j < stride; j += 16) {
    const xv = v128.load(x + <usize>j);
    const qv = v128.load(q + <usize>j);
    const d = v128.or(i8x16.sub_sat_u(xv, qv), i8x16.sub_sat_u(qv, xv));
    a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(d)));
  }
  return hsum(a);
}

// @ts-ignore: decorator
@inline
function rowAt(rows: usize, i: i32): usize {
  return rows ? <usize>load<i32>(rows + (<usize>i << 2)) : <usize>i;
}

/** [Σa0, Σa1, Σa2, Σa3]: four horizontal sums in three adds. */
// @ts-ignore: decorator
@inline
function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 4, 1, 5), v128.shuffle<i32>(a0, a1, 2, 6, 3, 7));
  const s23 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 4, 1, 5), v128.shuffle<i32>(a2, a3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(s01, s23, 0, 1, 4, 5), v128.shuffle<i32>(s01, s23, 2, 3, 6, 7));
}

/**
 * Σ cq·cx over one 16-byte chunk of a row, read as eight i16 lanes
 * v = xe + 256·xo (its even and odd codes). With the query's even codes qe
 * and qm = qo − 256·qe per lane:
 *   dot(v, qe) + dot(v >> 8, qm) = Σ xe·qe + 256·Σ xo·qe + Σ xo·qo − 256·Σ xo·qe = Σ cq·cx,
 * so the odd codes need one shift and the even ones no mask. Both products
 * fit i32 (|qm| <= 256·127 fits i16); the running sums may wrap for very
 * long rows, but the true total Σ cq·cx fits i32, and two's-complement adds
 * are exact modulo 2³², so the total comes out exact.
 */
// @ts-ignore: decorator
@inline
function chunkDot(v: v128, qe: v128, qm: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v, qe), i32x4.dot_i16x8_s(i16x8.shr_u(v, 8), qm));
}

/** The scores of four rows from their integer dot products `d` and corrections `c`. */
// @ts-ignore: decorator
@inline
function scores4(dot: bool, d: v128, c: v128, vscale: v128, vbias: v128): v128 {
  const df = f32x4.convert_i32x4_s(d);
  return dot
    ? f32x4.add(f32x4.add(f32x4.mul(vscale, df), c), vbias)
    : f32x4.mul(vscale, f32x4.sub(f32x4.add(c, vbias), f32x4.add(df, df)));
}

/**
 * Approximate scores of `n` rows against the query: rows `0..n` when
 * `rows` is 0, else the `n` row numbers (i32) at `rows`; writes `out[0..n]`
 * (f32, 16-byte aligned) in the order scanned. `q8` holds the query codes
 * as u8; `q16` holds, per 16-byte chunk, its 8 even codes qe then the 8
 * values qm = qo − 256·qe, as i16 (2·stride bytes; see chunkDot).
 *
 * Dot and squared L2 both run on the integer dot product D = Σ cq·cx: the
 * squared distance is Σcx² − 2D + Σcq², exact in integers, with Σcx² kept per
 * row in `corr` and Σcq² passed as `bias`. Rows go four at a time (one query
 * load serves four rows), then one by one. A scan of every row for its top
 * k is {@link scanTopU7}; this one serves gathered rows (a filter's) and L1.
 */
export function scanU7(
  metric: i32, q8: usize, q16: usize, codes: usize, stride: i32, rows: usize, n: i32,
  corr: usize, scale: f32, bias: f32, out: usize,
): void {
  const st = <usize>stride;
  if (metric == 3) {
    for (let i = 0; i < n; i++) {
      store<f32>(out + (<usize>i << 2), scale * <f32>l1Row(q8, codes + rowAt(rows, i) * st, stride));
    }
    return;
  }
  const dot = metric == 1;
  const vscale = f32x4.splat(scale);
  const vbias = f32x4.splat(bias);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = rowAt(rows, i), r1 = rowAt(rows, i + 1), r2 = rowAt(rows, i + 2), r3 = rowAt(rows, i + 3);
    const x0 = codes + r0 * st, x1 = codes + r1 * st, x2 = codes + r2 * st, x3 = codes + r3 * st;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let j: usize = 0; j < st; j += 16) {
      const qe = v128.load(q16 + (j << 1));
      const qm = v128.load(q16 + (j << 1), 16);
      a0 = i32x4.add(a0, chunkDot(v128.load(x0 + j), qe, qm));
      a1 = i32x4.add(a1, chunkDot(v128.load(x1 + j), qe, qm));
      a2 = i32x4.add(a2, chunkDot(v128.load(x2 + j), qe, qm));
      a3 = i32x4.add(a3, chunkDot(v128.load(x3 + j), qe, qm));
    }
    let c = f32x4.splat(load<f32>(corr + (r0 << 2)));
    c = f32x4.replace_lane(c, 1, load<f32>(corr + (r1 << 2)));
    c = f32x4.replace_lane(c, 2, load<f32>(corr + (r2 << 2)));
    c = f32x4.replace_lane(c, 3, load<f32>(corr + (r3 << 2)));
    v128.store(out + (<usize>i << 2), scores4(dot, hsum4(a0, a1, a2, a3), c, vscale, vbias));
  }
  for (; i < n; i++) {
    const r = rowAt(rows, i);
    const x = codes + r * st;
    let a = i32x4.splat(0);
    for (let j: usize = 0; j < st; j += 16) a = i32x4.add(a, chunkDot(v128.load(x + j), v128.load(q16 + (j << 1)), v128.load(q16 + (j << 1), 16)));
    const d = <f32>hsum(a);
    const c = load<f32>(corr + (r << 2));
    store<f32>(out + (<usize>i << 2), dot ? scale * d + c + bias : scale * (c + bias - 2 * d));
  }
}

/**
 * The `k` best rows `0..n` against the query, by the approximate score of
 * {@link scanU7} (metric 0, squared L2: smallest first; metric 1, dot:
 * largest first), offered straight to the heap `idx` / `val` that holds
 * `size` entries (assembly/topk.ts's layout: finish it with topKFinishF32);
 * returns the new size. The scores never reach memory: four at a time are
 * compared with the heap's worst in one vector compare, and only when one
 * may enter are they offered one by one, so the result is topKOfferF32's
 * over scanU7's scores, ties to the lower row included.
 *
 * The rows are read as two streams, the first and the second half of the
 * range, two rows of each per step: one stream of 64-byte rows leaves the
 * memory system idle between the hardware prefetcher's requests, two keep it
 * busy (measured 1.5x the one-stream scan with its separate top-k pass at
 * 64-d, 1.2x at 128-d, before the mask was folded into the query; BENCHMARKS.md).
 */
export function scanTopU7(
  metric: i32, q16: usize, codes: usize, stride: i32, n: i32, corr: usize, scale: f32, bias: f32,
  k: i32, idx: usize, val: usize, size: i32,
): i32 {
  const st = <usize>stride;
  const dot = metric == 1;
  const vscale = f32x4.splat(scale);
  const vbias = f32x4.splat(bias);
  const half = (n >> 2) << 1;
  const hs = <usize>half * st;
  for (let i = 0; i < half; i += 2) {
    const x0 = codes + <usize>i * st;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let j: usize = 0; j < st; j += 16) {
      const qe = v128.load(q16 + (j << 1));
      const qm = v128.load(q16 + (j << 1), 16);
      const p = x0 + j;
      a0 = i32x4.add(a0, chunkDot(v128.load(p), qe, qm));
      a1 = i32x4.add(a1, chunkDot(v128.load(p + st), qe, qm));
      a2 = i32x4.add(a2, chunkDot(v128.load(p + hs), qe, qm));
      a3 = i32x4.add(a3, chunkDot(v128.load(p + hs + st), qe, qm));
    }
    // corrections of rows i, i+1, half+i, half+i+1
    const c = i64x2.replace_lane(v128.load64_zero(corr + (<usize>i << 2)), 1, load<i64>(corr + (<usize>(i + half) << 2)));
    const s = scores4(dot, hsum4(a0, a1, a2, a3), c, vscale, vbias);
    const w = f32x4.splat(heapBound(dot, k, val, size));
    if (!v128.any_true(dot ? f32x4.ge(s, w) : f32x4.le(s, w))) continue;
    size = heapOffer(dot, f32x4.extract_lane(s, 0), i, k, idx, val, size);
    size = heapOffer(dot, f32x4.extract_lane(s, 1), i + 1, k, idx, val, size);
    size = heapOffer(dot, f32x4.extract_lane(s, 2), i + half, k, idx, val, size);
    size = heapOffer(dot, f32x4.extract_lane(s, 3), i + half + 1, k, idx, val, size);
  }
  for (let r = half << 1; r < n; r++) {
    const x = codes + <usize>r * st;
    let a = i32x4.splat(0);
    for (let j: usize = 0; j < st; j += 16) a = i32x4.add(a, chunkDot(v128.load(x + j), v128.load(q16 + (j << 1)), v128.load(q16 + (j << 1), 16)));
    const d = <f32>hsum(a);
    const cr = load<f32>(corr + (<usize>r << 2));
    size = heapOffer(dot, dot ? scale * d + cr + bias : scale * (cr + bias - 2 * d), r, k, idx, val, size);
  }
  return size;
}

/**
 * Encode `n` f32 rows of `dim` (at `x`) as codes `round((v − lo)·inv)`
 * clamped to [0, 127], rows `stride` bytes apart at `codes` (padding zeroed),
 * and the row's correction: `corr[row] = corrScale·Σ c` when `squares` is 0
 * (dot), `Σ c²` otherwise (squared L2).
 */
export function encodeU7(x: usize, n: i32, dim: i32, stride: i32, lo: f32, inv: f32, codes: usize, corr: usize, corrScale: f32, squares: i32): void {
  for (let r = 0; r < n; r++) {
    const src = x + (<usize>r * <usize>dim << 2);
    const dst = codes + <usize>r * <usize>stride;
    let sum = 0;
    let sq: i64 = 0;
    for (let d = 0; d < dim; d++) {
      let c = nearest<f32>((load<f32>(src + (<usize>d << 2)) - lo) * inv);
      c = c < 0 ? 0 : c > 127 ? 127 : c;
      const ci = <i32>c;
      sum += ci;
      sq += <i64>(ci * ci);
      store<u8>(dst + <usize>d, <u8>ci);
    }
    for (let d = dim; d < stride; d++) store<u8>(dst + <usize>d, 0);
    store<f32>(corr + (<usize>r << 2), squares ? <f32>sq : corrScale * <f32>sum);
  }
}
