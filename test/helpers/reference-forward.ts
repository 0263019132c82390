/**
 * A plain TypeScript forward pass of a {@link NetPlan}: slow and obvious,
 * the yardstick the wasm network and the ONNX export are tested against.
 * Test support only: not part of the library.
 */

import type { NetPlan } from "../../src/nn/plan.js";

/**
 * Embed `n` images (NHWC = NCHW for one channel; otherwise NHWC floats).
 * @returns `[n, dim]` embeddings.
 */
export function referenceForward(plan: NetPlan, params: Float32Array, images: Float32Array, n: number): Float32Array {
  const { dim } = plan.config;
  const out = new Float32Array(n * dim);
  const per = plan.sizes[0]!;
  for (let i = 0; i < n; i++) {
    let x = images.subarray(i * per, (i + 1) * per) as Float32Array;
    for (const l of plan.layers) {
      if (l.kind === "conv") x = conv(x, params, l.h, l.w, l.cin, l.cout, l.wOff, l.bOff);
      else if (l.kind === "lrelu") x = x.map((v) => (v > 0 ? v : v * plan.config.leak));
      else if (l.kind === "pool") x = pool(x, l.h, l.w, l.c);
      else {
        const y = new Float32Array(l.nout);
        for (let o = 0; o < l.nout; o++) {
          let s = params[l.bOff + o]!;
          for (let k = 0; k < l.nin; k++) s += x[k]! * params[l.wOff + k * l.nout + o]!;
          y[o] = s;
        }
        x = y;
      }
    }
    out.set(x, i * dim);
  }
  return out;
}

function conv(x: Float32Array, p: Float32Array, h: number, w: number, cin: number, cout: number, wOff: number, bOff: number) {
  const y = new Float32Array(h * w * cout);
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      for (let o = 0; o < cout; o++) {
        let s = p[bOff + o]!;
        for (let dy = 0; dy < 3; dy++) {
          const sy = yy + dy - 1;
          if (sy < 0 || sy >= h) continue;
          for (let dx = 0; dx < 3; dx++) {
            const sx = xx + dx - 1;
            if (sx < 0 || sx >= w) continue;
            for (let c = 0; c < cin; c++) s += x[(sy * w + sx) * cin + c]! * p[wOff + ((dy * 3 + dx) * cin + c) * cout + o]!;
          }
        }
        y[(yy * w + xx) * cout + o] = s;
      }
    }
  }
  return y;
}

function pool(x: Float32Array, h: number, w: number, c: number) {
  const ho = h >> 1, wo = w >> 1;
  const y = new Float32Array(ho * wo * c);
  for (let yy = 0; yy < ho; yy++) {
    for (let xx = 0; xx < wo; xx++) {
      for (let k = 0; k < c; k++) {
        let m = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) m = Math.max(m, x[((2 * yy + dy) * w + 2 * xx + dx) * c + k]!);
        y[(yy * wo + xx) * c + k] = m;
      }
    }
  }
  return y;
}
