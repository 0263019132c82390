/**
 * Qdrant's vector datatypes as the store keeps them: a `float16` or `uint8`
 * vector is converted on the way in, as Qdrant converts an f32 vector into
 * its storage type (after the Cosine normalization), and the result is kept
 * in the same f32 rows as every other vector: memory is not saved, but every
 * stored value, every `with_vector` answer and every score (computed on the
 * stored values, the query converted the same way) is Qdrant's.
 *
 * - float16: round to the nearest half-precision value, ties to even
 *   (`half::f16::from_f32`); subnormals kept, magnitudes that round past
 *   65504 (Qdrant would store an infinity) refused.
 * - uint8: Rust's `x as u8`: toward zero, then clamped to [0, 255] (no
 *   validation in Qdrant: -3 is stored as 0, 3.7 as 3, 300 as 255).
 */

import { show, wrongInput } from "./errors.js";

/** The dense datatypes the store speaks (Qdrant also has `turbo4`, a quantization, which it refuses). */
export const DATATYPES = ["float32", "float16", "uint8"] as const;
export type Datatype = (typeof DATATYPES)[number];

/** The largest finite half-precision value, and the magnitude from which f32 → f16 rounds to infinity. */
const F16_MAX = 65504;
const F16_OVERFLOW = 65520;

/** `x` (a finite f32) rounded to the nearest f16, ties to even. */
export function roundF16(x: number): number {
  const a = Math.abs(x);
  if (a === 0) return x;
  if (a >= F16_OVERFLOW) return Math.sign(x) * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const step = 2 ** (Math.max(e, -14) - 10); // 10 fraction bits; below 2^-14 the subnormal step 2^-24
  const v = a / step; // exact: a power-of-two division of an f32
  let r = Math.floor(v);
  const frac = v - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  return Math.sign(x) * r * step;
}

/** `x` converted as Rust's `x as u8` (x finite). */
export function castU8(x: number): number {
  return Math.min(255, Math.max(0, Math.trunc(x))) + 0; // + 0: no -0
}

/**
 * Convert `n` values of `out` from `at` into the datatype's values, in place.
 * @throws EngineError (wrong input) naming `where` for a value past the float16 range.
 */
export function convertTo(datatype: Datatype | undefined, out: Float32Array, at: number, n: number, where: string): void {
  if (datatype === "float16") {
    for (let d = 0; d < n; d++) {
      const h = roundF16(out[at + d]!);
      if (!Number.isFinite(h)) throw wrongInput(`${where}[${d}] is ${show(out[at + d])}, outside the range of a 16-bit float (±${F16_MAX}); this vector's datatype is float16`);
      out[at + d] = h;
    }
  } else if (datatype === "uint8") {
    for (let d = 0; d < n; d++) out[at + d] = castU8(out[at + d]!);
  }
}
