// Scalar-quantized (int8) scan kernels.
//
// Layout: codes are row-major u8 `[rows, stride]`, one code in [0, 127] per
// component, `stride` a multiple of 16 with the padding bytes zero (in rows
// and in the query), so every step is one v128 load and no scalar tail is
// needed for any dim. Codes stop at 127 (7 bits) so that one product, or
// one squared difference, of two codes fits i16 and the sum of two of them
// fits the i32 lane of i32x4.dot_i16x8_s.
//
// Scores, with q and x quantized on the same grid v ≈ lo + alpha·c:
//   metric 1 (dot):   out = scale·Σ cq·cx + corr[row] + bias
//                     (the wrapper passes scale = alpha², corr[row] = alpha·lo·Σcx,
//                      bias = alpha·lo·Σcq + dim·lo²)
//   metric 0 (sqL2):  out = scale·Σ (cq − cx)²          (scale = alpha²)
//   metric 3 (l1):    out = scale·Σ |cq − cx|           (scale = alpha)
// Cost: reads stride bytes per row once: a quarter of the f32 scan's bytes.

// @ts-ignore: decorator
@inline
function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline
function dotRow(q: usize, x: usize, stride: i32): i32 {
  let a0 = i32x4.splat(0);
  let a1 = i32x4.splat(0);
  for (let j = 0; j < stride; j += 16) {
    const xv = v128.load(x + <usize>j);
    const qv = v128.load(q + <usize>j);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(xv), i16x8.extend_low_i8x16_u(qv)));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(xv), i16x8.extend_high_i8x16_u(qv)));
  }
  return hsum(i32x4.add(a0, a1));
}

// @ts-ignore: decorator
@inline
function sqL2Row(q: usize, x: usize, stride: i32): i32 {
  let a0 = i32x4.splat(0);
  let a1 = i32x4.splat(0);
  for (let j = 0; j < stride; j += 16) {
    const xv = v128.load(x + <usize>j);
    const qv = v128.load(q + <usize>j);
    const dl = i16x8.sub(i16x8.extend_low_i8x16_u(xv), i16x8.extend_low_i8x16_u(qv));
    const dh = i16x8.sub(i16x8.extend_high_i8x16_u(xv), i16x8.extend_high_i8x16_u(qv));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(dl, dl));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(dh, dh));
  }
  return hsum(i32x4.add(a0, a1));
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

/**
 * Approximate scores of `n` rows against the query codes at `q`: rows
 * `0..n` when `rows` is 0, else the `n` row numbers (i32) at `rows`.
 * Writes `out[0..n]` (f32) in the order scanned.
 */
export function scanU7(
  metric: i32, q: usize, codes: usize, stride: i32, rows: usize, n: i32,
  corr: usize, scale: f32, bias: f32, out: usize,
): void {
  const st = <usize>stride;
  for (let i = 0; i < n; i++) {
    const r = rows ? <usize>load<i32>(rows + (<usize>i << 2)) : <usize>i;
    const x = codes + r * st;
    let s: f32;
    if (metric == 1) s = scale * <f32>dotRow(q, x, stride) + load<f32>(corr + (r << 2)) + bias;
    else if (metric == 0) s = scale * <f32>sqL2Row(q, x, stride);
    else s = scale * <f32>l1Row(q, x, stride);
    store<f32>(out + (<usize>i << 2), s);
  }
}

/**
 * Encode `n` f32 rows of `dim` (at `x`) as codes `round((v − lo)·inv)`
 * clamped to [0, 127], rows `stride` bytes apart at `codes` (padding zeroed),
 * and `corr[row] = corrScale·Σ codes` (f32).
 */
export function encodeU7(x: usize, n: i32, dim: i32, stride: i32, lo: f32, inv: f32, codes: usize, corr: usize, corrScale: f32): void {
  for (let r = 0; r < n; r++) {
    const src = x + (<usize>r * <usize>dim << 2);
    const dst = codes + <usize>r * <usize>stride;
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      let c = nearest<f32>((load<f32>(src + (<usize>d << 2)) - lo) * inv);
      c = c < 0 ? 0 : c > 127 ? 127 : c;
      const ci = <i32>c;
      sum += ci;
      store<u8>(dst + <usize>d, <u8>ci);
    }
    for (let d = dim; d < stride; d++) store<u8>(dst + <usize>d, 0);
    store<f32>(corr + (<usize>r << 2), corrScale * <f32>sum);
  }
}
