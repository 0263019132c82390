// Adam (Kingma & Ba 2015) with optional decoupled weight decay (AdamW), over
// one flat parameter buffer.
//
// Memory layout (f32, 16-byte aligned, each [len]): p parameters, g
// gradients, m and v the moment estimates (start at 0). The wrapper folds
// the bias corrections into the step: lrT = lr·√(1−β₂ᵗ)/(1−β₁ᵗ) and
// epsT = ε·√(1−β₂ᵗ), which is exactly p −= lr·m̂/(√v̂ + ε).
// Cost: O(len), f32x4.

/** One Adam step over `len` parameters. */
export function adamF32(p: usize, g: usize, m: usize, v: usize, len: i32, lrT: f32, b1: f32, b2: f32, epsT: f32, decay: f32): void {
  const B1 = f32x4.splat(b1), C1 = f32x4.splat(1 - b1);
  const B2 = f32x4.splat(b2), C2 = f32x4.splat(1 - b2);
  const LR = f32x4.splat(lrT), EPS = f32x4.splat(epsT), WD = f32x4.splat(1 - decay);
  const n = <usize>len << 2;
  let o: usize = 0;
  for (; o + 16 <= n; o += 16) {
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(C1, gi));
    const vi = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(C2, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const step = f32x4.div(f32x4.mul(LR, mi), f32x4.add(f32x4.sqrt(vi), EPS));
    v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), WD), step));
  }
  for (; o < n; o += 4) {
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + (1 - b1) * gi;
    const vi = b2 * load<f32>(v + o) + (1 - b2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, load<f32>(p + o) * (1 - decay) - lrT * mi / (Mathf.sqrt(vi) + epsT));
  }
}
