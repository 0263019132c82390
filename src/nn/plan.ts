/**
 * The encoder architecture the trainer builds (the seed's ConvEmbedding):
 * blocks of two 3×3 "same" convolutions with LeakyReLU, each block ending in
 * a 2×2 max-pool; flatten; dense layers with LeakyReLU between them; the
 * last dense layer is the embedding (no activation).
 *
 * Parameters live in ONE flat f32 buffer (so Adam is one kernel call and a
 * gradient exchange is one copy). Layouts inside it, channel-last like the
 * activations (NHWC):
 *  - conv weight `[3, 3, cin, cout]` (row index (dy·3 + dx)·cin + c), then bias `[cout]`;
 *  - dense weight `[in, out]`, then bias `[out]`; the first dense layer reads
 *    the flattened NHWC map in (h, w, c) order.
 * Every tensor starts at a multiple of 4 floats (16 bytes, for v128 loads).
 */

import { InputError } from "../errors.js";
import { mulberry32 } from "../data/random.js";

/** Shape and widths of the encoder. */
export interface NetConfig {
  /** Input height, width and channels. Default 28 × 28 × 1. */
  height: number;
  width: number;
  channels: number;
  /** Output channels of each double-conv block. Default [32, 48]. */
  conv: number[];
  /** Hidden dense widths before the embedding. Default [64]. */
  dense: number[];
  /** Embedding size. Default 64. */
  dim: number;
  /** LeakyReLU negative slope. Default 0.01. */
  leak: number;
}

/** The seed's architecture for 28×28 grayscale images. */
export const DEFAULT_NET: NetConfig = { height: 28, width: 28, channels: 1, conv: [32, 48], dense: [64], dim: 64, leak: 0.01 };

/** One layer of the planned network, with where its parameters sit. */
export type Layer =
  | { kind: "conv"; h: number; w: number; cin: number; cout: number; wOff: number; bOff: number }
  | { kind: "lrelu"; size: number }
  | { kind: "pool"; h: number; w: number; c: number }
  | { kind: "dense"; nin: number; nout: number; wOff: number; bOff: number };

/** A network plan: layers in order, parameter count and activation sizes per image. */
export interface NetPlan {
  config: NetConfig;
  layers: Layer[];
  /** Total floats in the parameter buffer (with 16-byte padding). */
  params: number;
  /** Floats per image of each layer's output; `sizes[0]` is the input. */
  sizes: number[];
  /** Flattened size after the conv blocks: h·w·c. */
  flat: { h: number; w: number; c: number };
}

const pad4 = (n: number) => (n + 3) & ~3;

/**
 * Check a config and lay the network out.
 * @throws InputError naming the field when a width or size is not a positive integer.
 */
export function planNet(partial: Partial<NetConfig> = {}): NetPlan {
  const config: NetConfig = { ...DEFAULT_NET, ...partial };
  const posInt = (v: unknown, name: string) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 4096) {
      throw new InputError(`network: ${name} must be an integer in [1, 4096], got ${String(v)}`);
    }
  };
  posInt(config.height, "height");
  posInt(config.width, "width");
  posInt(config.channels, "channels");
  posInt(config.dim, "dim");
  config.conv.forEach((c, i) => posInt(c, `conv[${i}]`));
  config.dense.forEach((c, i) => posInt(c, `dense[${i}]`));
  if (!(config.leak >= 0 && config.leak < 1)) throw new InputError(`network: leak must be in [0, 1), got ${config.leak}`);
  const layers: Layer[] = [];
  let h = config.height, w = config.width, c = config.channels, off = 0;
  const sizes = [h * w * c];
  for (const cout of config.conv) {
    if (h < 2 || w < 2) throw new InputError(`network: ${config.conv.length} conv blocks shrink a ${config.height}×${config.width} input below 2×2; use fewer blocks`);
    for (let r = 0; r < 2; r++) {
      const wOff = off;
      off = pad4(off + 9 * c * cout);
      layers.push({ kind: "conv", h, w, cin: c, cout, wOff, bOff: off });
      off = pad4(off + cout);
      c = cout;
      sizes.push(h * w * c);
      layers.push({ kind: "lrelu", size: h * w * c });
      sizes.push(h * w * c);
    }
    layers.push({ kind: "pool", h, w, c });
    h = h >> 1;
    w = w >> 1;
    sizes.push(h * w * c);
  }
  const flat = { h, w, c };
  let nin = h * w * c;
  const outs = [...config.dense, config.dim];
  outs.forEach((nout, i) => {
    const wOff = off;
    off = pad4(off + nin * nout);
    layers.push({ kind: "dense", nin, nout, wOff, bOff: off });
    off = pad4(off + nout);
    sizes.push(nout);
    if (i < outs.length - 1) {
      layers.push({ kind: "lrelu", size: nout });
      sizes.push(nout);
    }
    nin = nout;
  });
  return { config, layers, params: off, sizes, flat };
}

/**
 * Initial weights and biases uniform in ±1/√fan_in (PyTorch's default for
 * Conv2d and Linear, which the seed's reference trainer used; He-scaled
 * weights start with embeddings ~100× larger and a loss far above the
 * margin). The same seed gives the same buffer.
 */
export function initParams(plan: NetPlan, seed: number): Float32Array {
  const p = new Float32Array(plan.params);
  const r = mulberry32(seed);
  for (const l of plan.layers) {
    if (l.kind !== "conv" && l.kind !== "dense") continue;
    const fanIn = l.kind === "conv" ? 9 * l.cin : l.nin;
    const n = l.kind === "conv" ? 9 * l.cin * l.cout : l.nin * l.nout;
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < n; i++) p[l.wOff + i] = (2 * r() - 1) * bound;
    const nb = l.kind === "conv" ? l.cout : l.nout;
    for (let i = 0; i < nb; i++) p[l.bOff + i] = (2 * r() - 1) * bound;
  }
  return p;
}
