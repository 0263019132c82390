// Metric-learning losses on a batch, with online mining and gradients.
//
// Memory layout (B = batch size, all row-major, 16-byte aligned):
//   D      [B, B] f32  squared Euclidean distances (pairwiseF32 with sqL2)
//   labels [B]    i32
//   W      [B, B] f32  written: W[i, j] = dL/d(d²(i, j)), unnormalized
//   cnt    [B]    f32  scratch (batch-all only)
//   out    [4]    f64  written: loss sum, valid count, active count, 0
//   X, G   [B, dim] f32  embeddings and the gradient (pairGradF32)
//
// Every loss is a function of pair distances only, so each kernel computes
// the weights W = ∂L/∂d²_ij and one shared kernel turns them into the
// gradient: ∂d²_ij/∂x_i = 2(x_i − x_j), hence
//   G_i = 2 · scale · Σ_j (W_ij + W_ji)(x_i − x_j).
// The wrapper sets scale = 1/count for the chosen reduction.
//
// With squared = 0 the losses use d = sqrt(d²), and ∂d/∂d² = 1/(2d)
// (0 at d = 0, where d has no derivative).
//
// Cost: contrastive, batch-hard and the gradient are O(B²) (+ O(B²·dim) for
// the gradient); semi-hard and batch-all are O(B³) scalar comparisons.

// @ts-ignore: decorator
@inline
function at(p: usize, b: i32, i: i32, j: i32): usize {
  return p + ((<usize>i * <usize>b + <usize>j) << 2);
}

// @ts-ignore: decorator
@inline
function lab(labels: usize, i: i32): i32 {
  return load<i32>(labels + (<usize>i << 2));
}

// Distance as the loss sees it: d² (squared) or d.
// @ts-ignore: decorator
@inline
function dist(d2: f32, squared: bool): f32 {
  return squared ? d2 : Mathf.sqrt(d2);
}

// ∂dist/∂d²: 1 for squared, 1/(2d) otherwise.
// @ts-ignore: decorator
@inline
function chain(d2: f32, squared: bool): f32 {
  if (squared) return 1;
  return d2 > 0 ? <f32>0.5 / Mathf.sqrt(d2) : 0;
}

/**
 * One mined triplet (a, p, n) with squared distances dp2, dn2: its loss
 * max(0, D(a,p) − D(a,n) + m), and when positive its pair weights in W.
 */
// @ts-ignore: decorator
@inline
function takeTriplet(w: usize, b: i32, a: i32, p: i32, n: i32, dp2: f32, dn2: f32, margin: f32, sq: bool): f32 {
  const l = dist(dp2, sq) - dist(dn2, sq) + margin;
  if (l <= 0) return 0;
  store<f32>(at(w, b, a, p), load<f32>(at(w, b, a, p)) + chain(dp2, sq));
  store<f32>(at(w, b, a, n), load<f32>(at(w, b, a, n)) - chain(dn2, sq));
  return l;
}

function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

function writeOut(out: usize, loss: f64, valid: f64, active: f64): void {
  store<f64>(out, loss);
  store<f64>(out, valid, 8);
  store<f64>(out, active, 16);
  store<f64>(out, 0, 24);
}

/**
 * Contrastive loss over all B·(B−1)/2 pairs:
 *   y·d² + (1 − y)·max(0, m − d)², y = 1 when the labels match.
 * Active = pairs with a positive loss.
 */
export function contrastiveF32(d: usize, labels: usize, b: i32, margin: f32, w: usize, out: usize): void {
  zero(w, b * b);
  let loss: f64 = 0;
  let active: f64 = 0;
  for (let i = 0; i < b; i++) {
    const li = lab(labels, i);
    for (let j = i + 1; j < b; j++) {
      const d2 = load<f32>(at(d, b, i, j));
      if (lab(labels, j) == li) {
        loss += d2;
        if (d2 > 0) active++;
        store<f32>(at(w, b, i, j), 1);
      } else {
        const dd = Mathf.sqrt(d2);
        if (dd < margin) {
          const h = margin - dd;
          loss += h * h;
          active++;
          // ∂(m − d)²/∂d² = −(m − d)/d
          store<f32>(at(w, b, i, j), dd > 0 ? -h / dd : 0);
        }
      }
    }
  }
  writeOut(out, loss, <f64>b * <f64>(b - 1) / 2, active);
}

/**
 * Triplet loss over ALL valid triplets (a, p, n): labels a = p ≠ n, a ≠ p.
 *   l = max(0, dist(a,p) − dist(a,n) + m)
 * Writes the sum of l and the numbers of valid and active (l > 0) triplets.
 */
export function tripletAllF32(
  d: usize, labels: usize, b: i32, margin: f32, squared: i32, w: usize, cnt: usize, out: usize,
): void {
  const sq = squared != 0;
  zero(w, b * b);
  let loss: f64 = 0;
  let valid: f64 = 0;
  let active: f64 = 0;
  for (let a = 0; a < b; a++) {
    const la = lab(labels, a);
    zero(cnt, b);
    let nneg = 0;
    for (let n = 0; n < b; n++) nneg += i32(lab(labels, n) != la);
    for (let p = 0; p < b; p++) {
      if (p == a || lab(labels, p) != la) continue;
      const dap = dist(load<f32>(at(d, b, a, p)), sq);
      valid += nneg;
      let cp: f32 = 0;
      for (let n = 0; n < b; n++) {
        if (lab(labels, n) == la) continue;
        const l = dap - dist(load<f32>(at(d, b, a, n)), sq) + margin;
        if (l > 0) {
          loss += l;
          cp += 1;
          store<f32>(cnt + (<usize>n << 2), load<f32>(cnt + (<usize>n << 2)) + 1);
        }
      }
      active += cp;
      if (cp > 0) store<f32>(at(w, b, a, p), cp * chain(load<f32>(at(d, b, a, p)), sq));
    }
    for (let n = 0; n < b; n++) {
      const cn = load<f32>(cnt + (<usize>n << 2));
      if (cn > 0) store<f32>(at(w, b, a, n), -cn * chain(load<f32>(at(d, b, a, n)), sq));
    }
  }
  writeOut(out, loss, valid, active);
}

/**
 * Batch-hard triplet loss (Hermans et al. 2017): per anchor, the farthest
 * positive and the closest negative (first index on ties). Valid = anchors
 * with at least one positive and one negative.
 */
export function tripletHardF32(
  d: usize, labels: usize, b: i32, margin: f32, squared: i32, w: usize, out: usize,
): void {
  const sq = squared != 0;
  zero(w, b * b);
  let loss: f64 = 0;
  let valid: f64 = 0;
  let active: f64 = 0;
  for (let a = 0; a < b; a++) {
    const la = lab(labels, a);
    let hp = -1;
    let hn = -1;
    let dp: f32 = -Infinity;
    let dn: f32 = Infinity;
    for (let j = 0; j < b; j++) {
      if (j == a) continue;
      const v = load<f32>(at(d, b, a, j));
      if (lab(labels, j) == la) {
        if (v > dp) { dp = v; hp = j; }
      } else if (v < dn) { dn = v; hn = j; }
    }
    if (hp < 0 || hn < 0) continue;
    valid++;
    const l = takeTriplet(w, b, a, hp, hn, dp, dn, margin, sq);
    loss += l;
    active += f64(l > 0);
  }
  writeOut(out, loss, valid, active);
}

/**
 * Semi-hard triplet loss (Schroff et al. 2015): per positive pair (a, p),
 * the closest negative farther than p (dist(a,n) > dist(a,p)); when there is
 * none, the farthest negative. Valid = positive pairs whose anchor has a
 * negative.
 */
export function tripletSemiHardF32(
  d: usize, labels: usize, b: i32, margin: f32, squared: i32, w: usize, out: usize,
): void {
  const sq = squared != 0;
  zero(w, b * b);
  let loss: f64 = 0;
  let valid: f64 = 0;
  let active: f64 = 0;
  for (let a = 0; a < b; a++) {
    const la = lab(labels, a);
    for (let p = 0; p < b; p++) {
      if (p == a || lab(labels, p) != la) continue;
      const dp2 = load<f32>(at(d, b, a, p));
      let sn = -1; // semi-hard: closest negative beyond p
      let sv: f32 = Infinity;
      let fn = -1; // fallback: farthest negative
      let fv: f32 = -Infinity;
      for (let n = 0; n < b; n++) {
        if (lab(labels, n) == la) continue;
        const v = load<f32>(at(d, b, a, n));
        if (v > dp2 && v < sv) { sv = v; sn = n; }
        if (v > fv) { fv = v; fn = n; }
      }
      if (fn < 0) continue;
      const n = sn >= 0 ? sn : fn;
      const dn2 = sn >= 0 ? sv : fv;
      valid++;
      const l = takeTriplet(w, b, a, p, n, dp2, dn2, margin, sq);
      loss += l;
      active += f64(l > 0);
    }
  }
  writeOut(out, loss, valid, active);
}

/**
 * Gradient from pair weights: G_i = 2·scale·Σ_j (W_ij + W_ji)(x_i − x_j).
 * X, G: [B, dim]; W: [B, B]. Zero weights are skipped, so sparse miners
 * (batch-hard, semi-hard) cost O(B² + active·dim).
 */
export function pairGradF32(x: usize, b: i32, dim: i32, w: usize, g: usize, scale: f32): void {
  const stride = <usize>dim << 2;
  const vecEnd = dim & ~3;
  for (let i = 0; i < b; i++) {
    const gi = g + <usize>i * stride;
    const xi = x + <usize>i * stride;
    memory.fill(gi, 0, stride);
    let s: f32 = 0;
    for (let j = 0; j < b; j++) {
      const wij = load<f32>(at(w, b, i, j)) + load<f32>(at(w, b, j, i));
      if (wij == 0 || j == i) continue;
      s += wij;
      // gi −= wij · x_j
      const xj = x + <usize>j * stride;
      const wv = f32x4.splat(wij);
      let k = 0;
      for (; k < vecEnd; k += 4) {
        const o = <usize>k << 2;
        v128.store(gi + o, f32x4.sub(v128.load(gi + o), f32x4.mul(wv, v128.load(xj + o))));
      }
      for (; k < dim; k++) {
        const o = <usize>k << 2;
        store<f32>(gi + o, load<f32>(gi + o) - wij * load<f32>(xj + o));
      }
    }
    // gi = 2·scale·(s·x_i + gi)
    const f: f32 = <f32>2 * scale;
    const sv = f32x4.splat(s);
    const fv = f32x4.splat(f);
    let k = 0;
    for (; k < vecEnd; k += 4) {
      const o = <usize>k << 2;
      v128.store(gi + o, f32x4.mul(fv, f32x4.add(f32x4.mul(sv, v128.load(xi + o)), v128.load(gi + o))));
    }
    for (; k < dim; k++) {
      const o = <usize>k << 2;
      store<f32>(gi + o, f * (s * load<f32>(xi + o) + load<f32>(gi + o)));
    }
  }
}
