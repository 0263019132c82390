/**
 * Vectors in request bodies, for collections with named or sparse spaces:
 * a point's VectorStruct (a list for the unnamed vector, or `{"name":
 * [...] | {indices, values}}`), sparse vectors checked as Qdrant checks
 * them (equal lengths and unique indices: 422), and the bodies of PUT
 * /points/vectors (update_vectors) and POST /points/vectors/delete
 * (delete_vectors).
 */

import { show } from "../engine/errors.js";
import { parseId } from "../engine/ids.js";
import { readVector } from "../engine/points.js";
import { MultiVector, type Op, type PointVectors, type SparseVector } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { badRequest, HttpError } from "./errors.js";
import { compileFilter } from "./filter.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Qdrant's answer for a name the collection has no vector of. */
export function noVectorName(col: Collection, name: string, where: string): HttpError {
  const names = [...col.spaces.keys()].map((k) => `"${k}"`).join(", ");
  return badRequest(`Not existing vector name error: ${name} (${where}; collection ${col.name} has ${names || "no vectors"})`);
}

/**
 * A sparse vector `{indices, values}`: equal lengths, unique u32 indices,
 * finite f32 values; stored with indices ascending (values follow them).
 * @throws HttpError 422 for unequal lengths or a repeated index (Qdrant's validation), 400 for wrong types.
 */
export function readSparse(v: unknown, where: string): SparseVector {
  if (!isObject(v) || !Array.isArray(v.indices) || !Array.isArray(v.values)) {
    throw badRequest(`${where} must be a sparse vector {"indices": [u32, ...], "values": [number, ...]}, got ${show(v)}`);
  }
  const { indices, values } = v as { indices: unknown[]; values: unknown[] };
  if (indices.length !== values.length) {
    throw new HttpError(422, `Validation error in JSON body: [${where}: indices and values must be the same length, got ${indices.length} indices and ${values.length} values]`);
  }
  const order = indices.map((x, i) => {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 0xffffffff) throw badRequest(`${where}.indices[${i}] must be an integer from 0 to 4294967295, got ${show(x)}`);
    const y = values[i];
    if (typeof y !== "number" || !Number.isFinite(y) || !Number.isFinite(Math.fround(y))) throw badRequest(`${where}.values[${i}] must be a finite f32 number, got ${show(y)}`);
    return i;
  });
  order.sort((a, b) => (indices[a] as number) - (indices[b] as number));
  const out: SparseVector = { indices: new Uint32Array(order.length), values: new Float32Array(order.length) };
  order.forEach((from, to) => {
    out.indices[to] = indices[from] as number;
    out.values[to] = values[from] as number;
    if (to > 0 && out.indices[to] === out.indices[to - 1]) {
      throw new HttpError(422, `Validation error in JSON body: [${where}.indices: must be unique, ${out.indices[to]} appears more than once]`);
    }
  });
  return out;
}

/** Qdrant's bound on a multivector's values in all (its release build's MAX_MULTIVECTOR_FLATTENED_LEN). */
const MAX_MULTIVECTOR_VALUES = 1024 * 1024;

/**
 * A multivector of space `name`: a non-empty list of vectors of one size
 * (Qdrant's validation, 422 worded as its validation.rs), each checked,
 * normalized and converted as readVector does one (the size against the
 * space's: Qdrant's 400 dimension error).
 */
export function readMulti(col: Collection, name: string, v: unknown, where: string): MultiVector {
  const sp = col.multiSpace(name)!;
  if (!Array.isArray(v) || !v.every(Array.isArray)) throw badRequest(`${where}: vector "${name}" is a multivector: a list of vectors [[...], ...] of ${sp.vectors.dim} numbers each, got ${show(v)}`);
  const lists = v as unknown[][];
  const invalid = (m: string) => new HttpError(422, `Validation error in JSON body: [${where}: ${m}]`);
  if (lists.length === 0) throw invalid("multi vector must not be empty");
  if (lists.some((x) => x.length === 0)) throw invalid("all vectors must be non-empty");
  const flat = lists.reduce((n, x) => n + x.length, 0);
  if (flat >= MAX_MULTIVECTOR_VALUES) throw invalid(`Total size of all vectors (${flat}) must be less than ${MAX_MULTIVECTOR_VALUES}`);
  const bad = lists.find((x) => x.length !== lists[0]!.length);
  if (bad) throw invalid(`all vectors must have the same dimension, found vector with dimension ${bad.length}`);
  const dim = sp.vectors.dim;
  const out = new Float32Array(lists.length * dim);
  const space = { name: col.name, dim, distance: sp.vectors.distance, datatype: sp.config.datatype };
  lists.forEach((x, i) => readVector(space, x, `${where}[${i}]`, out, i * dim));
  return new MultiVector(dim, out);
}

/** One named vector of space `name`: dense (checked and normalized as readVector does), sparse or a multivector. */
export function readNamed(col: Collection, name: string, v: unknown, where: string): Float32Array | SparseVector | MultiVector {
  const sp = col.spaces.get(name);
  if (!sp) throw noVectorName(col, name, where);
  if (sp.kind === "sparse") return readSparse(v, where);
  if (sp.kind === "multi") return readMulti(col, name, v, where);
  if (isObject(v)) throw badRequest(`${where}: vector "${name}" is a dense vector of ${sp.vectors.dim} numbers, got ${show(v)}`);
  const out = new Float32Array(sp.vectors.dim);
  readVector({ name: col.name, dim: sp.vectors.dim, distance: sp.vectors.distance, datatype: sp.config.datatype }, v, where, out, 0);
  return out;
}

/** A point's VectorStruct: a list (the unnamed vector) or `{"name": vector, ...}`. */
export function readPointVectors(col: Collection, v: unknown, where: string): PointVectors {
  if (Array.isArray(v)) return { "": readNamed(col, "", v, where) };
  if (!isObject(v)) throw badRequest(`${where} must be a vector or {"name": vector, ...}, got ${show(v)}`);
  const out: PointVectors = {};
  for (const [name, x] of Object.entries(v)) out[name] = readNamed(col, name, x, `${where}.${name === "" ? '""' : name}`);
  return out;
}

/** The batch form's `vectors`: a list (unnamed) or `{"name": [one per id]}`, as one struct per point. */
export function readBatchVectors(col: Collection, vs: unknown, n: number, where: string): PointVectors[] {
  const out: PointVectors[] = Array.from({ length: n }, () => ({}));
  const lists: [string, unknown][] = Array.isArray(vs) ? [["", vs]] : isObject(vs) ? Object.entries(vs) : [];
  if (!Array.isArray(vs) && !isObject(vs)) throw badRequest(`${where} must be a list of ${n} vectors or {"name": [${n} vectors]}, got ${show(vs)}`);
  for (const [name, list] of lists) {
    const at = Array.isArray(vs) ? where : `${where}.${name}`;
    if (!Array.isArray(list) || list.length !== n) throw badRequest(`${at} must be a list of ${n} vectors, one per id, got ${Array.isArray(list) ? `${list.length} vectors` : show(list)}`);
    list.forEach((x, i) => (out[i]![name] = readNamed(col, name, x, `${at}[${i}]`)));
  }
  return out;
}

/** PUT /points/vectors or a batch's `update_vectors`: `{points: [{id, vector}, ...]}`. */
export function parseUpdateVectors(col: Collection, body: Record<string, unknown>, where: string): Op {
  const pts = body.points;
  if (!Array.isArray(pts) || pts.length === 0) throw new HttpError(422, `Validation error in JSON body: [${where}.points: must hold at least 1 point {"id", "vector"}]`);
  const uf = body.update_filter;
  if (uf !== undefined && uf !== null) compileFilter(uf, `${where}.update_filter`);
  const ids = [];
  const named = [];
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    const w = `${where}.points[${i}]`;
    if (!isObject(p) || p.vector === undefined) throw badRequest(`${w} must be {"id", "vector": {"name": vector, ...}}, got ${show(p)}`);
    ids.push(parseId(p.id, `${w}.id`));
    named.push(readPointVectors(col, p.vector, `${w}.vector`));
  }
  if (col.isPlain) throw badRequest(`${where}: collection ${col.name} has one unnamed vector; update it with an upsert of the point`);
  // update_filter: an existing point the filter does not keep is left as it is (resolved when applied, logged as given)
  return { type: "update_vectors", ids, named, ...(uf !== undefined && uf !== null ? { when: { filter: uf } } : {}) };
}

/** The names a delete_vectors body gives (`vector: [names]`), each a vector of the collection. */
export function parseDeleteNames(col: Collection, body: Record<string, unknown>, where: string): string[] {
  const v = body.vector;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) {
    throw new HttpError(422, `Validation error in JSON body: [${where}.vector: must be a list of at least 1 vector name, got ${show(v)}]`);
  }
  if (new Set(v).size !== v.length) throw new HttpError(422, `Validation error in JSON body: [${where}.vector: names must be unique]`);
  for (const name of v as string[]) if (!col.spaces.has(name)) throw noVectorName(col, name, `${where}.vector`);
  if (col.isPlain) throw badRequest(`${where}: every point of collection ${col.name} has its one unnamed vector; delete the points instead`);
  return v as string[];
}
