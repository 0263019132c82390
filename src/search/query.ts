/**
 * Turning what a user points at (an image file, a stored id, a vector) into
 * vectors for the search and its re-rank.
 */

import { InputError } from "../errors.js";
import { scaleToUnit } from "../kernels/unit-vector.js";
import { decodeFile } from "../model/decode.js";
import type { Encoder } from "../model/encoder.js";
import { pointIdFromText, type PointId } from "../data/point-id.js";
import type { QdrantStore } from "../store/qdrant.js";

/** A query or example: exactly one of an image path, a stored point id, a vector. */
export type QuerySpec = { image: string } | { id: PointId } | { vector: ArrayLike<number> };

export interface ResolvedQuery {
  /** Full-precision vector (normalized for Cosine collections). */
  vector: Float32Array;
  /** Set when the query is a stored point (Qdrant then excludes it from its own results). */
  id?: PointId;
  /** What to hand Qdrant: the id when there is one, else the vector. */
  ref: PointId | number[];
}

/** Parse a CLI-style reference: a UUID or an unsigned integer is an id, anything else an image path. */
export function parseRef(text: string): QuerySpec {
  const id = pointIdFromText(text);
  return id === undefined ? { image: text } : { id };
}

export async function resolveQueries(o: {
  store: QdrantStore; collection: string; dim: number; encoder?: Encoder; normalize: boolean;
  query: QuerySpec; positives: QuerySpec[]; negatives: QuerySpec[];
}) {
  const all = [o.query, ...o.positives, ...o.negatives];
  const ids = all.flatMap((q) => ("id" in q ? [q.id] : []));
  const stored = new Map<string, Float32Array>();
  if (ids.length) {
    for (const p of await o.store.retrieve(o.collection, ids, { withVector: true })) {
      if (p.vector) stored.set(String(p.id), Float32Array.from(p.vector));
    }
  }
  const images = all.flatMap((q) => ("image" in q ? [q.image] : []));
  const embedded = new Map<string, Float32Array>();
  if (images.length) {
    if (!o.encoder) throw new InputError("search: an image query needs an encoder (pass --model, or query by --id / --vector)");
    const enc = o.encoder;
    if (enc.dim !== o.dim) {
      throw new InputError(`search: collection "${o.collection}" has vectors of size ${o.dim} but model "${enc.card.name}" outputs ${enc.dim}; use the --model the collection was ingested with`);
    }
    const tensors = [];
    for (const path of images) tensors.push(enc.preprocess(await decodeFile(path)));
    const out = await enc.embed(tensors);
    images.forEach((p, i) => embedded.set(p, out.slice(i * enc.dim, (i + 1) * enc.dim)));
  }
  const resolve = (q: QuerySpec, role: string): ResolvedQuery => {
    if ("id" in q) {
      const v = stored.get(String(q.id));
      if (!v) throw new InputError(`search: ${role} id ${q.id} is not in collection "${o.collection}"; check the id (margin search prints ids with --json)`);
      return { vector: v, id: q.id, ref: q.id };
    }
    let v: Float32Array;
    if ("image" in q) v = embedded.get(q.image)!;
    else {
      v = Float32Array.from(q.vector as ArrayLike<number>);
      if (v.length !== o.dim) throw new InputError(`search: the ${role} vector has ${v.length} values but collection "${o.collection}" stores ${o.dim}`);
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new InputError(`search: the ${role} vector's value ${bad} is ${q.vector[bad]}; every value must be a finite number`);
    }
    if (o.normalize) v = normalized(v, role);
    return { vector: v, ref: Array.from(v) };
  };
  return {
    query: resolve(o.query, "query"),
    positives: o.positives.map((q) => resolve(q, "positive")),
    negatives: o.negatives.map((q) => resolve(q, "negative")),
  };
}

function normalized(v: Float32Array, role: string): Float32Array {
  const u = v.slice();
  if (scaleToUnit(u) === 0) throw new InputError(`search: the ${role} vector is all zeros, which has no direction in a Cosine collection`);
  return u;
}
