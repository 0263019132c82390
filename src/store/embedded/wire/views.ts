/** Points as the API returns them: Qdrant's Record and ScoredPoint shapes, and the one `with_vector` parser. */

import { show } from "../engine/errors.js";
import type { Payload, PointId } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import type { PayloadSelector } from "./with-payload.js";

/** A Record (`score` absent) or a ScoredPoint; `payload` and `vector` only when asked for, as Qdrant omits them. */
export interface PointView {
  id: PointId;
  version?: number;
  score?: number;
  payload?: Payload;
  vector?: number[];
  /** The value an order_by query listed it by. */
  order_value?: number;
}

/**
 * The shortest decimal that reads back as the same f32, as Qdrant prints its f32 values.
 * A finite score beyond the f32 range (engine/wide-scan.ts) stays the double it is: JSON would write Infinity as null.
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

/**
 * A body's `with_vector` (or `with_vectors`): true, false, or a list of vector
 * names, where this store's one vector is the unnamed `""`. Absent is false.
 * @throws HttpError 400 for anything else.
 */
export function parseWithVector(body: Record<string, unknown>, where: string): boolean {
  const wv = body.with_vector ?? body.with_vectors ?? false;
  if (typeof wv === "boolean") return wv;
  if (Array.isArray(wv) && wv.every((x) => x === "")) return wv.length > 0;
  throw badRequest(`${where} must be true or false (this collection has only the unnamed vector), got ${show(wv)}`);
}
