/**
 * Turning 8-bit images into the network's input: normalization
 * ((pixel/255 − mean)/std) and the light augmentation (shift by whole
 * pixels with background fill, optional horizontal flip).
 */

/** Pixels the replicas read; `pixels` may be a SharedArrayBuffer view so workers share one copy. */
export interface ImageSource {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Augmentations: none, random shifts, random shifts and horizontal flips. */
export const AUGMENTS = ["none", "shift", "shift-flip"] as const;
/** An augmentation applied to training images: one of {@link AUGMENTS}. */
export type Augment = (typeof AUGMENTS)[number];

/**
 * Fill `out` with images `indices`, NHWC floats. `aug` holds (dx, dy, flip)
 * per image or is null.
 */
export function fillBatch(src: ImageSource, indices: Int32Array, aug: Int8Array | null, mean: number, std: number, out: Float32Array): void {
  const { height: h, width: w, channels: c, pixels } = src;
  const per = h * w * c;
  const scale = 1 / (255 * std), bias = -mean / std;
  for (let i = 0; i < indices.length; i++) {
    const base = indices[i]! * per;
    const o = i * per;
    if (!aug || (aug[3 * i] === 0 && aug[3 * i + 1] === 0 && aug[3 * i + 2] === 0)) {
      for (let j = 0; j < per; j++) out[o + j] = pixels[base + j]! * scale + bias;
      continue;
    }
    const dx = aug[3 * i]!, dy = aug[3 * i + 1]!, flip = aug[3 * i + 2]!;
    for (let y = 0; y < h; y++) {
      const sy = y - dy;
      for (let x = 0; x < w; x++) {
        const sx0 = x - dx;
        const sx = flip ? w - 1 - sx0 : sx0;
        for (let ch = 0; ch < c; ch++) {
          const v = sy >= 0 && sy < h && sx >= 0 && sx < w ? pixels[base + (sy * w + sx) * c + ch]! : 0;
          out[o + (y * w + x) * c + ch] = v * scale + bias;
        }
      }
    }
  }
}

/** Random augmentation triples for `n` images: shifts in [−shift, shift], flips with probability ½. */
export function drawAugment(kind: Augment, n: number, shift: number, random: () => number): Int8Array | null {
  if (kind === "none") return null;
  const a = new Int8Array(3 * n);
  for (let i = 0; i < n; i++) {
    a[3 * i] = Math.floor(random() * (2 * shift + 1)) - shift;
    a[3 * i + 1] = Math.floor(random() * (2 * shift + 1)) - shift;
    a[3 * i + 2] = kind === "shift-flip" && random() < 0.5 ? 1 : 0;
  }
  return a;
}

/** Mean and standard deviation of pixel/255 over a set (the card's normalization). */
export function pixelStats(pixels: Uint8Array): { mean: number; std: number } {
  let s = 0, s2 = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]! / 255;
    s += v;
    s2 += v * v;
  }
  const mean = s / pixels.length;
  return { mean, std: Math.sqrt(Math.max(s2 / pixels.length - mean * mean, 1e-12)) };
}
