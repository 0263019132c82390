// Element-wise and pooling layers of the trainer, plus the small matrix
// helpers the dense layers need.
//
// Memory layout (f32, 16-byte aligned, owned by src/nn/wasm-net.ts):
//   LeakyReLU: y [len] in place over its input; backward scales dy [len]
//              in place by 1 where y > 0 and by `leak` elsewhere (the sign of
//              y equals the sign of the input for leak > 0, so no copy of
//              the input is kept).
//   Max-pool:  x [n, h, w, c] → y [n, h/2, w/2, c] (floor); the backward
//              pass recomputes the arg-max from x and y and routes dy to the
//              first maximal element of each 2×2 window; dx [n, h, w, c] is
//              written whole (zeros elsewhere).
//   transpose: a [rows, cols] → out [cols, rows].
// Channels are the inner dimension, so every loop runs f32x4 over channels
// with a scalar tail. Cost: O(len), memory bound.

/** y = max(x, leak·x) in place over `len` floats. */
export function leakyReluF32(y: usize, len: i32, leak: f32): void {
  const l = f32x4.splat(leak);
  const z = f32x4.splat(0);
  const end = y + (<usize>len << 2);
  let p = y;
  for (; p + 16 <= end; p += 16) {
    const v = v128.load(p);
    v128.store(p, v128.bitselect(v, f32x4.mul(v, l), f32x4.gt(v, z)));
  }
  for (; p < end; p += 4) {
    const v = load<f32>(p);
    store<f32>(p, v > 0 ? v : v * leak);
  }
}

/** dy *= (y > 0 ? 1 : leak) in place over `len` floats. */
export function leakyReluBackF32(y: usize, dy: usize, len: i32, leak: f32): void {
  const l = f32x4.splat(leak);
  const z = f32x4.splat(0);
  const n = <usize>len << 2;
  let o: usize = 0;
  for (; o + 16 <= n; o += 16) {
    const g = v128.load(dy + o);
    v128.store(dy + o, v128.bitselect(g, f32x4.mul(g, l), f32x4.gt(v128.load(y + o), z)));
  }
  for (; o < n; o += 4) {
    const g = load<f32>(dy + o);
    store<f32>(dy + o, load<f32>(y + o) > 0 ? g : g * leak);
  }
}

/** 2×2 max-pool, stride 2, of n maps [h, w, c]. */
export function maxPool2F32(x: usize, n: i32, h: i32, w: i32, c: i32, y: usize): void {
  const ho = h >> 1, wo = w >> 1;
  const rc = <usize>c << 2;
  const rw = <usize>w * rc;
  let dst = y;
  for (let i = 0; i < n; i++) {
    const xi = x + <usize>i * <usize>h * rw;
    for (let yy = 0; yy < ho; yy++) {
      for (let xx = 0; xx < wo; xx++) {
        const s = xi + <usize>(2 * yy) * rw + <usize>(2 * xx) * rc;
        let o: usize = 0;
        for (; o + 16 <= rc; o += 16) {
          const m = f32x4.max(f32x4.max(v128.load(s + o), v128.load(s + rc + o)), f32x4.max(v128.load(s + rw + o), v128.load(s + rw + rc + o)));
          v128.store(dst + o, m);
        }
        for (; o < rc; o += 4) {
          store<f32>(dst + o, max(max(load<f32>(s + o), load<f32>(s + rc + o)), max(load<f32>(s + rw + o), load<f32>(s + rw + rc + o))));
        }
        dst += rc;
      }
    }
  }
}

/** dx of the 2×2 max-pool: dy routed to the first arg-max of each window. */
export function maxPool2BackF32(x: usize, y: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, dx: usize): void {
  const ho = h >> 1, wo = w >> 1;
  const rc = <usize>c << 2;
  const rw = <usize>w * rc;
  memory.fill(dx, 0, <usize>n * <usize>h * rw);
  let q: usize = 0;
  for (let i = 0; i < n; i++) {
    const base = <usize>i * <usize>h * rw;
    for (let yy = 0; yy < ho; yy++) {
      for (let xx = 0; xx < wo; xx++) {
        const off = base + <usize>(2 * yy) * rw + <usize>(2 * xx) * rc;
        const s = x + off;
        const d = dx + off;
        for (let o: usize = 0; o < rc; o += 4) {
          const m = load<f32>(y + q + o);
          const g = load<f32>(dy + q + o);
          if (load<f32>(s + o) == m) store<f32>(d + o, g);
          else if (load<f32>(s + rc + o) == m) store<f32>(d + rc + o, g);
          else if (load<f32>(s + rw + o) == m) store<f32>(d + rw + o, g);
          else store<f32>(d + rw + rc + o, g);
        }
        q += rc;
      }
    }
  }
}

/** out [cols, rows] = aᵀ for a [rows, cols]. */
export function transposeF32(a: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(out + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(a + ((<usize>r * <usize>cols + <usize>c) << 2)));
    }
  }
}
