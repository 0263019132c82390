/**
 * L2 normalisation, written once: Qdrant keeps Cosine vectors at unit length,
 * so the embedded store (points and recommend queries), the search's queries
 * and the page's re-rank all scale a vector the same way, with the same
 * rounding (a multiply by 1/‖v‖ in f64, each result rounded to f32).
 * Plain TypeScript, no wasm: the browser bundle imports it too.
 */

/**
 * Scale `v[at, at + dim)` in place to unit L2 length. An all-zero span has no
 * direction and is left as it is; the caller decides whether that is an error.
 * @returns the squared norm before scaling (0 for an all-zero span).
 */
export function scaleToUnit(v: Float32Array, at = 0, dim = v.length - at): number {
  let s = 0;
  for (let d = at; d < at + dim; d++) s += v[d]! * v[d]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let d = at; d < at + dim; d++) v[d] = v[d]! * inv;
  }
  return s;
}
