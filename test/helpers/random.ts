/** Seeded random numbers for tests (the library's mulberry32, Box-Muller for Gaussians). */

import { mulberry32 } from "../../src/data/random.js";

/** The library's seeded generator (uniform in [0, 1)). */
export const rng = mulberry32;

export function gaussian(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

/** `classes` labels, each repeated `perClass` times, shuffled with the seed. */
export function labels(classes: number, perClass: number, seed: number): Int32Array {
  const out = new Int32Array(classes * perClass);
  for (let i = 0; i < out.length; i++) out[i] = i % classes;
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** max |a − b| / max(1, max |b|): a relative error that is safe near zero. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(1, scale);
}
