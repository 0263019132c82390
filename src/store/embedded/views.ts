/** Points as the API returns them: Qdrant's Record and ScoredPoint shapes. */

import type { Collection } from "./collection.js";
import type { PointId } from "./ids.js";
import type { Payload, PayloadSelector } from "./payload.js";

/** A Record (`score` absent) or a ScoredPoint; `payload` and `vector` only when asked for, as Qdrant omits them. */
export interface PointView {
  id: PointId;
  version?: number;
  score?: number;
  payload?: Payload;
  vector?: number[];
}

/**
 * The shortest decimal that reads back as the same f32, as Qdrant prints its f32 values.
 * A finite score beyond the f32 range (wide-scan.ts) stays the double it is: JSON would write Infinity as null.
 */
export function f32(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return Number.isFinite(x) ? x : f;
  if (Number.isInteger(f)) return f;
  for (let p = 6; p < 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return Number(f.toPrecision(9));
}

/** One point of `col` at `row`, with the payload and vector the request asked for. */
export function pointView(col: Collection, row: number, withPayload: PayloadSelector, withVector: boolean, score?: number): PointView {
  const v: PointView = { id: col.idAt(row) };
  if (score !== undefined) {
    v.version = col.versionAt(row);
    v.score = f32(score);
  }
  const payload = withPayload(col.payloadAt(row));
  if (payload) v.payload = payload;
  if (withVector) v.vector = Array.from(col.vectorAt(row), f32);
  return v;
}
