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
//   metric 0 (sqL2):  out = scale·(Σcx² − 2·Σ cq·cx + Σcq²)   (= scale·Σ (cq − cx)²;
//                     scale = alpha², corr[row] = Σcx², bias = Σcq²)
//   metric 3 (l1):    out = scale·Σ |cq − cx|           (scale = alpha)
// Cost: reads stride bytes per row once: a quarter of the f32 scan's bytes.

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

/** Σ cq·cx over one 16-byte chunk: even and odd bytes of the row as i16 lanes (mask, shift), against the query's even and odd codes. */
// @ts-ignore: decorator
@inline
function chunkDot(v: v128, qe: v128, qo: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v128.and(v, i16x8.splat(0xff)), qe), i32x4.dot_i16x8_s(i16x8.shr_u(v, 8), qo));
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
 * as u8; `q16` holds them as i16, split per 16-byte chunk into its 8 even
 * then its 8 odd codes (2·stride bytes).
 *
 * Dot and squared L2 both run on the integer dot product D = Σ cq·cx: the
 * squared distance is Σcx² − 2D + Σcq², exact in integers, with Σcx² kept per
 * row in `corr` and Σcq² passed as `bias`. A 16-byte chunk of a row is read
 * as eight i16 lanes: masking keeps its even codes, a shift its odd ones,
 * each paired with the query's even or odd codes by one i32x4.dot_i16x8_s.
 * That is two cheap bit operations where widening u8 to i16 costs an
 * unpack of the high half (measured 1.15x the widening scan, BENCHMARKS.md).
 * Contiguous rows go eight at a time (one query load serves eight rows,
 * corrections load as vectors); gathered rows four at a time.
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
  if (!rows) {
    for (; i + 8 <= n; i += 8) {
      const x0 = codes + <usize>i * st;
      let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
      let a4 = i32x4.splat(0), a5 = i32x4.splat(0), a6 = i32x4.splat(0), a7 = i32x4.splat(0);
      for (let j: usize = 0; j < st; j += 16) {
        const qe = v128.load(q16 + (j << 1));
        const qo = v128.load(q16 + (j << 1), 16);
        const p = x0 + j;
        a0 = i32x4.add(a0, chunkDot(v128.load(p), qe, qo));
        a1 = i32x4.add(a1, chunkDot(v128.load(p + st), qe, qo));
        a2 = i32x4.add(a2, chunkDot(v128.load(p + 2 * st), qe, qo));
        a3 = i32x4.add(a3, chunkDot(v128.load(p + 3 * st), qe, qo));
        a4 = i32x4.add(a4, chunkDot(v128.load(p + 4 * st), qe, qo));
        a5 = i32x4.add(a5, chunkDot(v128.load(p + 5 * st), qe, qo));
        a6 = i32x4.add(a6, chunkDot(v128.load(p + 6 * st), qe, qo));
        a7 = i32x4.add(a7, chunkDot(v128.load(p + 7 * st), qe, qo));
      }
      const c = corr + (<usize>i << 2);
      const o = out + (<usize>i << 2);
      v128.store(o, scores4(dot, hsum4(a0, a1, a2, a3), v128.load(c), vscale, vbias));
      v128.store(o, scores4(dot, hsum4(a4, a5, a6, a7), v128.load(c, 16), vscale, vbias), 16);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const r0 = rowAt(rows, i), r1 = rowAt(rows, i + 1), r2 = rowAt(rows, i + 2), r3 = rowAt(rows, i + 3);
    const x0 = codes + r0 * st, x1 = codes + r1 * st, x2 = codes + r2 * st, x3 = codes + r3 * st;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let j: usize = 0; j < st; j += 16) {
      const qe = v128.load(q16 + (j << 1));
      const qo = v128.load(q16 + (j << 1), 16);
      a0 = i32x4.add(a0, chunkDot(v128.load(x0 + j), qe, qo));
      a1 = i32x4.add(a1, chunkDot(v128.load(x1 + j), qe, qo));
      a2 = i32x4.add(a2, chunkDot(v128.load(x2 + j), qe, qo));
      a3 = i32x4.add(a3, chunkDot(v128.load(x3 + j), qe, qo));
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
