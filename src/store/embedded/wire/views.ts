/** Points as the API returns them: Qdrant's Record and ScoredPoint shapes, and the one `with_vector` parser. */

import { show } from "../engine/errors.js";
import { MultiVector, type Payload, type PointId, type SparseVector } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import type { PayloadSelector } from "./with-payload.js";

/** A Record (`score` absent) or a ScoredPoint; `payload` and `vector` only when asked for, as Qdrant omits them. */
export interface PointView {
  id: PointId;
  version?: number;
  score?: number;
  payload?: Payload;
  /** Qdrant's VectorStructOutput: a list in single-vector mode, else `{"name": [...] | {indices, values}}`. */
  vector?: number[] | number[][] | Record<string, number[] | number[][] | { indices: number[]; values: number[] }>;
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

/** Which vectors an answered point carries: none, all, or these names. */
export type VectorSelector = boolean | string[];

function sparseOut(v: SparseVector): { indices: number[]; values: number[] } {
  return { indices: Array.from(v.indices), values: Array.from(v.values, f32) };
}

/** A multivector as Qdrant answers it: a list of vectors. */
function multiOut(v: MultiVector): number[][] {
  return Array.from({ length: v.count }, (_, i) => Array.from(v.data.subarray(i * v.dim, (i + 1) * v.dim), f32));
}

/** The vectors of the point at `row` the selector asks for, in Qdrant's output shape. */
function vectorOut(col: Collection, row: number, sel: VectorSelector): PointView["vector"] {
  if (col.isPlain) return Array.from(col.vectorAt(row), f32);
  const names = sel === true ? [...col.spaces.keys()] : (sel as string[]);
  const out: Record<string, number[] | number[][] | { indices: number[]; values: number[] }> = {};
  for (const name of names) {
    const v = col.vectorIn(row, name);
    if (v) out[name] = v instanceof Float32Array ? Array.from(v, f32) : v instanceof MultiVector ? multiOut(v) : sparseOut(v);
  }
  const keys = Object.keys(out);
  // single-vector mode: the unnamed vector alone is answered as a plain list, as Qdrant does
  if (!col.spacesConfig.named && keys.length === 1 && keys[0] === "") return out[""] as number[] | number[][];
  return out;
}

/** One point of `col` at `row`, with the payload and vectors the request asked for. */
export function pointView(col: Collection, row: number, withPayload: PayloadSelector, withVector: VectorSelector, score?: number): PointView {
  const v: PointView = { id: col.idAt(row) };
  if (score !== undefined) {
    v.version = col.versionAt(row);
    v.score = f32(score);
  }
  const payload = withPayload(col.payloadAt(row));
  if (payload) v.payload = payload;
  if (withVector === true || (Array.isArray(withVector) && withVector.length > 0)) v.vector = vectorOut(col, row, withVector);
  return v;
}

/**
 * A body's `with_vector` (or `with_vectors`): true, false, or a list of the
 * collection's vector names ("" the unnamed one). Absent is false.
 * @throws HttpError 400 for anything else, or a name the collection lacks.
 */
export function parseWithVector(col: Collection, body: Record<string, unknown>, where: string): VectorSelector {
  const wv = body.with_vector ?? body.with_vectors ?? false;
  if (typeof wv === "boolean") return wv;
  if (Array.isArray(wv) && wv.every((x) => typeof x === "string")) {
    for (const name of wv) {
      if (!col.spaces.has(name)) {
        throw badRequest(`Not existing vector name error: ${name} (${where}; collection ${col.name} has ${[...col.spaces.keys()].map((k) => `"${k}"`).join(", ")})`);
      }
    }
    return wv.length > 0 ? (col.isPlain ? true : wv) : false;
  }
  throw badRequest(`${where} must be true, false or a list of vector names, got ${show(wv)}`);
}
