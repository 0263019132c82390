// 3×3 convolution, padding "same", stride 1, over batches in NHWC.
//
// Memory layout (f32, 16-byte aligned, owned by src/nn/wasm-net.ts):
//   x    [n, h, w, cin]    input maps
//   wt   [3, 3, cin, cout] weights (HWIO): row (dy·3 + dx)·cin + c of a [9·cin, cout] matrix
//   bias [cout] (0 = none)
//   y    [n, h, w, cout]   output maps
//   col  [h·w, 9·cin]      scratch: the im2col patches of ONE image
// Forward: per image, im2col then y_img = col · wt (gemm.ts).
// Backward: dW += colᵀ · dy_img per image; the input gradient is itself a
// "same" convolution of dy with the flipped, transposed weights
// (flipConvF32: [3,3,cout,cin]), so it reuses the forward kernel.
// Cost: 2·n·h·w·9·cin·cout flops per pass.

import { gemmF32 } from "./gemm";

/** Patches of one `[h, w, cin]` image into `col` `[h·w, 9·cin]`, zeros outside. */
function im2col(x: usize, h: i32, w: i32, cin: i32, col: usize): void {
  const run = <usize>cin << 2;
  const vec = (cin & 3) == 0;
  let dst = col;
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const sy = yy + dy;
        for (let dx = -1; dx <= 1; dx++) {
          const sx = xx + dx;
          if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
            if (vec) for (let o: usize = 0; o < run; o += 16) v128.store(dst + o, f32x4.splat(0));
            else for (let o: usize = 0; o < run; o += 4) store<f32>(dst + o, 0);
          } else {
            const src = x + (<usize>(sy * w + sx)) * run;
            if (vec) for (let o: usize = 0; o < run; o += 16) v128.store(dst + o, v128.load(src + o));
            else for (let o: usize = 0; o < run; o += 4) store<f32>(dst + o, load<f32>(src + o));
          }
          dst += run;
        }
      }
    }
  }
}

/** Add `bias` [c] to every row of `y` [rows, c]. */
export function addBiasF32(y: usize, rows: i32, c: i32, bias: usize): void {
  const rb = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

/** db[c] += column sums of dy [rows, c]. */
export function colSumF32(dy: usize, rows: i32, c: i32, db: usize): void {
  const rb = <usize>c << 2;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(dy + <usize>r * rb + o));
    v128.store(db + o, f32x4.add(v128.load(db + o), s));
  }
  for (; j < c; j++) {
    const o = <usize>j << 2;
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(dy + <usize>r * rb + o);
    store<f32>(db + o, load<f32>(db + o) + s);
  }
}

/** y = conv3x3(x, wt) + bias for n images. */
export function conv3x3F32(x: usize, n: i32, h: i32, w: i32, cin: i32, cout: i32, wt: usize, bias: usize, y: usize, col: usize): void {
  assert(n >= 0 && h > 0 && w > 0 && cin > 0 && cout > 0);
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    const xi = x + <usize>i * <usize>hw * (<usize>cin << 2);
    const yi = y + <usize>i * <usize>hw * (<usize>cout << 2);
    im2col(xi, h, w, cin, col);
    gemmF32(hw, cout, 9 * cin, col, 9 * cin, 1, wt, yi, 0);
  }
  if (bias) addBiasF32(y, n * hw, cout, bias);
}

/** dw [9·cin, cout] += Σ_images colᵀ·dy; db [cout] += Σ dy (db = 0: skip). */
export function conv3x3GradWF32(x: usize, dy: usize, n: i32, h: i32, w: i32, cin: i32, cout: i32, dw: usize, db: usize, col: usize): void {
  assert(n >= 0 && h > 0 && w > 0 && cin > 0 && cout > 0);
  const hw = h * w;
  for (let i = 0; i < n; i++) {
    const xi = x + <usize>i * <usize>hw * (<usize>cin << 2);
    const di = dy + <usize>i * <usize>hw * (<usize>cout << 2);
    im2col(xi, h, w, cin, col);
    gemmF32(9 * cin, cout, hw, col, 1, 9 * cin, di, dw, 1);
  }
  if (db) colSumF32(dy, n * hw, cout, db);
}

/** out [3, 3, cout, cin] = wt [3, 3, cin, cout] flipped in space and transposed in channels. */
export function flipConvF32(wt: usize, cin: i32, cout: i32, out: usize): void {
  for (let k = 0; k < 9; k++) {
    for (let c = 0; c < cin; c++) {
      for (let o = 0; o < cout; o++) {
        const v = load<f32>(wt + ((<usize>(k * cin + c) * <usize>cout + <usize>o) << 2));
        store<f32>(out + ((<usize>((8 - k) * cout + o) * <usize>cin + <usize>c) << 2), v);
      }
    }
  }
}
