/**
 * Preprocessing derived from the model card alone: decoded pixels in, one
 * NCHW float tensor out. Pure TypeScript with no Node or DOM imports, so the
 * browser page (canvas RGBA) and ingestion (sharp raw pixels) run the same
 * arithmetic and get bit-identical tensors.
 *
 * Steps, in order:
 * 1. colour: grayscale cards take ITU-R BT.601 luma (0.299 R + 0.587 G +
 *    0.114 B); RGB cards replicate a gray source; alpha is ignored;
 * 2. resize per `card.input.resize` with a separable filter: area averaging
 *    (exact fractional pixel coverage) when shrinking, bilinear with pixel
 *    centres at +0.5 when enlarging;
 * 3. normalise: `(v / 255 − mean[c]) / std[c]`.
 * Cost: one pass over the source pixels (colour conversion fused into the
 * horizontal filter), then O(rows·W + H·W) per channel.
 */

import { InputError } from "../errors.js";
import type { ModelCard, ModelInput } from "./card.js";

/** Decoded pixels, row-major, interleaved channels, 8 bits each. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB, 4 = RGBA (alpha ignored). */
  channels: 1 | 3 | 4;
}

/** One output pixel's source taps along one axis. */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  /** offsets into index/weight, length n + 1 */
  start: Int32Array;
}

/**
 * Turn decoded pixels into the model's input tensor (one image, NCHW, so
 * `channels × height × width` floats), exactly as the card prescribes.
 * @param pixels decoded image: `data.length` must be `width × height × channels`.
 * @param card the model card (only `card.input` is read).
 * @param out optional destination (e.g. a slice of a batch tensor); its length must be C·H·W.
 * @returns `out`, or a new Float32Array of C·H·W values.
 * @throws InputError when the pixel buffer's shape is inconsistent.
 * @example
 * const x = preprocess({ data, width: 28, height: 28, channels: 1 }, card);
 */
export function preprocess(pixels: Pixels, card: Pick<ModelCard, "input">, out?: Float32Array): Float32Array {
  const input = card.input;
  const { width: w, height: h, channels: sc, data } = pixels;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new InputError(`preprocess: image size must be positive integers, got ${w}×${h}`);
  }
  if (sc !== 1 && sc !== 3 && sc !== 4) {
    throw new InputError(`preprocess: channels must be 1, 3 or 4, got ${String(sc)}`);
  }
  if (data.length !== w * h * sc) {
    throw new InputError(`preprocess: ${w}×${h}×${sc} pixels need ${w * h * sc} bytes, got ${data.length}`);
  }
  const C = input.channels, H = input.height, W = input.width;
  if (out && out.length !== C * H * W) {
    throw new InputError(`preprocess: out must hold ${C}×${H}×${W} = ${C * H * W} floats, got ${out.length}`);
  }
  const tensor = out ?? new Float32Array(C * H * W);
  const g = geometry(w, h, input);
  const xt = taps(g.sx, g.sw, g.ow, w);
  const yt = taps(g.sy, g.sh, g.oh, h);
  const pad = input.pad ?? 0;
  const ow = g.ow;
  // horizontal pass, fused with the colour conversion, over the source rows the vertical taps touch:
  // tmp[c][y − y0][x] for y in [y0, y1]
  const y0 = yt.index[0]!, y1 = yt.index[yt.index.length - 1]!;
  const rows = y1 - y0 + 1;
  const tmp = new Float64Array(C * rows * ow);
  const gray = C === 1 && sc !== 1;
  const xoff = xt.index.map((i) => i * sc); // byte offset of each tap within a row
  const xs = xt.start, xw = xt.weight;
  for (let y = y0; y <= y1; y++) {
    const src = y * w * sc;
    for (let c = 0; c < C; c++) {
      const k = src + (sc === 1 ? 0 : c);
      const o = (c * rows + (y - y0)) * ow;
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        const end = xs[x + 1]!;
        if (gray) {
          for (let t = xs[x]!; t < end; t++) {
            const p = src + xoff[t]!;
            acc += xw[t]! * (0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!);
          }
        } else {
          for (let t = xs[x]!; t < end; t++) acc += xw[t]! * data[k + xoff[t]!]!;
        }
        tmp[o + x] = acc;
      }
    }
  }
  // vertical pass, then (v/255 − mean)/std into the tensor; pad outside the content
  const row = new Float64Array(ow);
  for (let c = 0; c < C; c++) {
    const mean = input.mean[c]!, std = input.std[c]!;
    const base = c * H * W;
    tensor.fill((pad / 255 - mean) / std, base, base + H * W);
    for (let y = 0; y < g.oh; y++) {
      row.fill(0);
      for (let t = yt.start[y]!; t < yt.start[y + 1]!; t++) {
        const wt = yt.weight[t]!, r = (c * rows + yt.index[t]! - y0) * ow;
        for (let x = 0; x < ow; x++) row[x]! += wt * tmp[r + x]!;
      }
      const o = base + (g.oy + y) * W + g.ox;
      for (let x = 0; x < ow; x++) tensor[o + x] = (row[x]! / 255 - mean) / std;
    }
  }
  return tensor;
}

/** Where the source rectangle lands in the output, per resize rule. */
interface Geometry { sx: number; sy: number; sw: number; sh: number; ox: number; oy: number; ow: number; oh: number }

function geometry(w: number, h: number, input: ModelInput): Geometry {
  const W = input.width, H = input.height;
  switch (input.resize) {
    case "fill":
      return { sx: 0, sy: 0, sw: w, sh: h, ox: 0, oy: 0, ow: W, oh: H };
    case "contain": {
      const s = Math.min(W / w, H / h);
      const ow = Math.min(W, Math.max(1, Math.round(w * s)));
      const oh = Math.min(H, Math.max(1, Math.round(h * s)));
      return { sx: 0, sy: 0, sw: w, sh: h, ox: Math.floor((W - ow) / 2), oy: Math.floor((H - oh) / 2), ow, oh };
    }
    case "cover": {
      const s = Math.max(W / w, H / h);
      const sw = Math.min(w, W / s), sh = Math.min(h, H / s);
      return { sx: (w - sw) / 2, sy: (h - sh) / 2, sw, sh, ox: 0, oy: 0, ow: W, oh: H };
    }
    default:
      throw new InputError(`preprocess: unknown resize rule ${JSON.stringify(input.resize)}; should be one of fill, contain, cover`);
  }
}

/**
 * Filter taps mapping `n` outputs onto the source span [s0, s0 + span) of a
 * `size`-pixel axis: box coverage when shrinking, bilinear when enlarging.
 */
function taps(s0: number, span: number, n: number, size: number): Taps {
  const scale = span / n;
  const index: number[] = [], weight: number[] = [];
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    start[i] = index.length;
    if (scale >= 1) {
      const a = s0 + i * scale, b = s0 + (i + 1) * scale;
      for (let k = Math.floor(a); k < b; k++) {
        const cover = Math.min(b, k + 1) - Math.max(a, k);
        if (cover <= 1e-12) continue;
        index.push(Math.min(size - 1, Math.max(0, k)));
        weight.push(cover / scale);
      }
    } else {
      const centre = s0 + (i + 0.5) * scale - 0.5;
      const k = Math.floor(centre), t = centre - k;
      const k0 = Math.min(size - 1, Math.max(0, k)), k1 = Math.min(size - 1, Math.max(0, k + 1));
      if (t === 0 || k0 === k1) {
        index.push(t === 0 ? k0 : k1);
        weight.push(1);
      } else {
        index.push(k0, k1);
        weight.push(1 - t, t);
      }
    }
  }
  start[n] = index.length;
  return { index: Int32Array.from(index), weight: Float64Array.from(weight), start };
}

/** How much finer than the card's output a shrunk decode stays (per axis), at least. */
export const DECODE_OVERSAMPLE = 2;

/**
 * The largest whole factor an image can be shrunk by so that
 * {@link preprocess} still averages at least `oversample` source pixels per
 * output pixel along each axis of the region it samples (the whole image for
 * `fill` and `contain`, the centre crop for `cover`); 1 when it is not larger
 * than that already.
 */
export function shrinkFactor(width: number, height: number, input: ModelInput, oversample = DECODE_OVERSAMPLE): number {
  const W = input.width, H = input.height;
  // the scale preprocess applies to the source: per axis for fill and cover (the finer one decides)
  const scale = input.resize === "contain" ? Math.min(W / width, H / height) : Math.max(W / width, H / height);
  return Math.max(1, Math.floor(1 / (oversample * scale)));
}

/**
 * The size to decode a `width` × `height` image to before {@link preprocess}'s
 * exact area resize, or undefined for full size. One uniform scale, so the
 * aspect ratio and with it the resize geometry are kept.
 * - JPEG: the decoder's own shrink by 2, 4 or 8 (the largest that keeps
 *   {@link DECODE_OVERSAMPLE}× the card's resolution): libjpeg then averages
 *   each block while it decodes, which is an area average, so the tensor
 *   stays within about one gray level of a full decode.
 * - anything else: shrunk by the whole factor that keeps 4× the card's
 *   resolution (a filtered reduction, hence the finer margin), so a huge PNG
 *   is never held whole.
 * @param format sharp's format name ("jpeg", "png", …) or a MIME type.
 * @example
 * decodeSize(4000, 3000, card.input, "jpeg"); // { width: 500, height: 375 } for a 28 × 28 card
 */
export function decodeSize(width: number, height: number, input: ModelInput, format: string): { width: number; height: number } | undefined {
  if (/jpe?g/i.test(format)) {
    const k = shrinkFactor(width, height, input);
    const s = k >= 8 ? 8 : k >= 4 ? 4 : k >= 2 ? 2 : 1;
    return s === 1 ? undefined : { width: Math.ceil(width / s), height: Math.ceil(height / s) };
  }
  const k = shrinkFactor(width, height, input, 2 * DECODE_OVERSAMPLE);
  return k === 1 ? undefined : { width: Math.max(1, Math.floor(width / k)), height: Math.max(1, Math.floor(height / k)) };
}
