// Dense matrix product, the one hot loop of training.
//
// Memory layout (f32, 16-byte aligned blocks owned by src/nn/wasm-net.ts):
//   A  an M×K matrix read through strides: A(i, p) at a + 4·(i·sai + p·sak),
//      so A can be a row-major [M, K] (sai = K, sak = 1) or the transpose of a
//      row-major [K, M] (sai = 1, sak = M) without a copy;
//   B  [K, N] row-major; C [M, N] row-major.
// C = A·B (acc = 0) or C += A·B (acc = 1).
//
// Register blocking: 4 rows × 8 columns of C live in eight f32x4
// accumulators; per step of p, 2 vector loads of B and 4 scalar loads of A
// feed 8 multiply-adds. Column tails use a 4-wide block then scalars, row
// tails one row at a time, so any M, N, K >= 1 work.
// Cost: 2·M·N·K flops.

// @ts-ignore: decorator
@inline
function sp(p: usize): v128 {
  return f32x4.splat(load<f32>(p));
}

// @ts-ignore: decorator
@inline
function put(c: usize, v: v128, acc: i32): void {
  v128.store(c, acc ? f32x4.add(v128.load(c), v) : v);
}

/** C[M,N] (+)= A(M×K, strided) · B[K,N]. */
export function gemmF32(m: i32, n: i32, k: i32, a: usize, sai: i32, sak: i32, b: usize, c: usize, acc: i32): void {
  assert(m >= 0 && n >= 0 && k >= 0);
  const ldb = <usize>n << 2;
  const ri = <usize>sai << 2;
  const rk = <usize>sak << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * ri;
    const c0 = c + <usize>i * ldb;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      let y0 = f32x4.splat(0), y1 = f32x4.splat(0), y2 = f32x4.splat(0), y3 = f32x4.splat(0);
      let pa = a0;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let s = sp(pa);
        x0 = f32x4.add(x0, f32x4.mul(s, b0));
        y0 = f32x4.add(y0, f32x4.mul(s, b1));
        s = sp(pa + ri);
        x1 = f32x4.add(x1, f32x4.mul(s, b0));
        y1 = f32x4.add(y1, f32x4.mul(s, b1));
        s = sp(pa + 2 * ri);
        x2 = f32x4.add(x2, f32x4.mul(s, b0));
        y2 = f32x4.add(y2, f32x4.mul(s, b1));
        s = sp(pa + 3 * ri);
        x3 = f32x4.add(x3, f32x4.mul(s, b0));
        y3 = f32x4.add(y3, f32x4.mul(s, b1));
        pa += rk;
        pb += ldb;
      }
      const cj = c0 + (<usize>j << 2);
      put(cj, x0, acc); put(cj + 16, y0, acc);
      put(cj + ldb, x1, acc); put(cj + ldb + 16, y1, acc);
      put(cj + 2 * ldb, x2, acc); put(cj + 2 * ldb + 16, y2, acc);
      put(cj + 3 * ldb, x3, acc); put(cj + 3 * ldb + 16, y3, acc);
    }
    for (; j + 4 <= n; j += 4) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      let pa = a0;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(pb);
        x0 = f32x4.add(x0, f32x4.mul(sp(pa), b0));
        x1 = f32x4.add(x1, f32x4.mul(sp(pa + ri), b0));
        x2 = f32x4.add(x2, f32x4.mul(sp(pa + 2 * ri), b0));
        x3 = f32x4.add(x3, f32x4.mul(sp(pa + 3 * ri), b0));
        pa += rk;
        pb += ldb;
      }
      const cj = c0 + (<usize>j << 2);
      put(cj, x0, acc); put(cj + ldb, x1, acc); put(cj + 2 * ldb, x2, acc); put(cj + 3 * ldb, x3, acc);
    }
    for (; j < n; j++) {
      for (let r = 0; r < 4; r++) {
        const ar = a0 + <usize>r * ri;
        let s: f32 = 0;
        for (let p = 0; p < k; p++) s += load<f32>(ar + <usize>p * rk) * load<f32>(b + ((<usize>p * <usize>n + <usize>j) << 2));
        const cp = c0 + <usize>r * ldb + (<usize>j << 2);
        store<f32>(cp, acc ? load<f32>(cp) + s : s);
      }
    }
  }
  for (; i < m; i++) {
    const ar = a + <usize>i * ri;
    const cr = c + <usize>i * ldb;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let x0 = f32x4.splat(0);
      let pa = ar;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        x0 = f32x4.add(x0, f32x4.mul(sp(pa), v128.load(pb)));
        pa += rk;
        pb += ldb;
      }
      put(cr + (<usize>j << 2), x0, acc);
    }
    for (; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(ar + <usize>p * rk) * load<f32>(b + ((<usize>p * <usize>n + <usize>j) << 2));
      const cp = cr + (<usize>j << 2);
      store<f32>(cp, acc ? load<f32>(cp) + s : s);
    }
  }
}

/**
 * The f32x4 mul+add peak, the baseline of `npm run bench:train`: `iters`
 * rounds of 8 independent `acc += x · c` chains, x loaded from a 256-byte
 * L1-resident ring at `buf` (16 v128), c constants. Returns a checksum so
 * nothing is optimized away. Flops = iters · 8 chains · 4 lanes · 2.
 */
export function simdPeakF32(buf: usize, iters: i32): f32 {
  const c0 = f32x4.splat(0.5), c1 = f32x4.splat(0.25), c2 = f32x4.splat(0.125), c3 = f32x4.splat(0.0625);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  for (let i = 0; i < iters; i++) {
    const p = buf + ((<usize>i & 7) << 5);
    const x = v128.load(p);
    const y = v128.load(p, 16);
    a0 = f32x4.add(a0, f32x4.mul(x, c0)); a1 = f32x4.add(a1, f32x4.mul(x, c1));
    a2 = f32x4.add(a2, f32x4.mul(x, c2)); a3 = f32x4.add(a3, f32x4.mul(x, c3));
    a4 = f32x4.add(a4, f32x4.mul(y, c0)); a5 = f32x4.add(a5, f32x4.mul(y, c1));
    a6 = f32x4.add(a6, f32x4.mul(y, c2)); a7 = f32x4.add(a7, f32x4.mul(y, c3));
  }
  const r = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(r, 0) + f32x4.extract_lane(r, 3);
}
