// The triplet loss over explicit triplets of rows, for training an adapter
// on recorded marks (query, right, wrong): unlike the miners of loss.ts,
// the triplets are given, not mined from labels.
//
// Memory layout (16-byte aligned blocks owned by src/kernels/adapter.ts):
//   x     [n, dim] f32 row-major embeddings (the adapter's outputs)
//   trip  [t, 3]   i32 (anchor, positive, negative) row indices into x
//   g     [n, dim] f32 gradient w.r.t. x; ADDED to (the caller zeroes it)
//   out   [2]      f64: sum of the losses, number of active triplets
// Per triplet: L = max(0, d²(a,p) − d²(a,n) + m); when L > 0 the gradient,
// times `scale`, is ∂/∂a = 2(n − p), ∂/∂p = −2(a − p), ∂/∂n = 2(a − n).
// Cost: O(t·dim), f32x4 with a scalar tail so any dim works.

/** Triplet losses of `t` explicit triplets of rows of x, with the gradient added into g. */
export function tripletRowsF32(x: usize, dim: i32, trip: usize, t: i32, margin: f32, scale: f32, g: usize, out: usize): void {
  const rb = <usize>dim << 2;
  const two = f32x4.splat(2 * scale);
  const two1: f32 = 2 * scale;
  let sum: f64 = 0;
  let active: f64 = 0;
  for (let k = 0; k < t; k++) {
    const tk = trip + (<usize>k * 12);
    const a = x + <usize>load<i32>(tk) * rb;
    const p = x + <usize>load<i32>(tk, 4) * rb;
    const n = x + <usize>load<i32>(tk, 8) * rb;
    let sp = f32x4.splat(0);
    let sn = f32x4.splat(0);
    let o: usize = 0;
    const end = <usize>dim << 2;
    for (; o + 16 <= end; o += 16) {
      const va = v128.load(a + o);
      const dp = f32x4.sub(va, v128.load(p + o));
      const dn = f32x4.sub(va, v128.load(n + o));
      sp = f32x4.add(sp, f32x4.mul(dp, dp));
      sn = f32x4.add(sn, f32x4.mul(dn, dn));
    }
    let dap: f32 = f32x4.extract_lane(sp, 0) + f32x4.extract_lane(sp, 1) + f32x4.extract_lane(sp, 2) + f32x4.extract_lane(sp, 3);
    let dan: f32 = f32x4.extract_lane(sn, 0) + f32x4.extract_lane(sn, 1) + f32x4.extract_lane(sn, 2) + f32x4.extract_lane(sn, 3);
    for (; o < end; o += 4) {
      const va = load<f32>(a + o);
      const dp = va - load<f32>(p + o);
      const dn = va - load<f32>(n + o);
      dap += dp * dp;
      dan += dn * dn;
    }
    const l = dap - dan + margin;
    if (!(l > 0)) continue;
    sum += <f64>l;
    active += 1;
    const ga = g + (a - x);
    const gp = g + (p - x);
    const gn = g + (n - x);
    o = 0;
    for (; o + 16 <= end; o += 16) {
      const va = v128.load(a + o);
      const vp = v128.load(p + o);
      const vn = v128.load(n + o);
      v128.store(ga + o, f32x4.add(v128.load(ga + o), f32x4.mul(two, f32x4.sub(vn, vp))));
      v128.store(gp + o, f32x4.sub(v128.load(gp + o), f32x4.mul(two, f32x4.sub(va, vp))));
      v128.store(gn + o, f32x4.add(v128.load(gn + o), f32x4.mul(two, f32x4.sub(va, vn))));
    }
    for (; o < end; o += 4) {
      const va = load<f32>(a + o);
      const vp = load<f32>(p + o);
      const vn = load<f32>(n + o);
      store<f32>(ga + o, load<f32>(ga + o) + two1 * (vn - vp));
      store<f32>(gp + o, load<f32>(gp + o) - two1 * (va - vp));
      store<f32>(gn + o, load<f32>(gn + o) + two1 * (va - vn));
    }
  }
  store<f64>(out, sum);
  store<f64>(out, active, 8);
}
