/**
 * A create body's vector spaces: `vectors` (one unnamed `{size, distance}`
 * or named `{"name": {size, distance, ...}}`) and `sparse_vectors`
 * (`{"name": {index?, modifier?}}`), checked as Qdrant checks them, and the
 * way GET /collections/{name} shows them back (as created).
 *
 * Refused with a 400 naming the field: datatypes other than float32 and
 * multivector_config. A sparse `modifier` is "none" (the default) or "idf".
 */

import { show } from "../engine/errors.js";
import type { DenseSpaceConfig, Distance, SpacesConfig, SparseSpaceConfig } from "../log/records.js";
import { type Collection, DISTANCES } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { parseQuantizationConfig } from "./quantization.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const given = (v: unknown) => v !== undefined && v !== null;

/** One VectorParams. */
function dense(v: unknown, where: string): DenseSpaceConfig {
  if (!isObject(v)) throw badRequest(`${where} must be {"size": n, "distance": "Cosine" | "Euclid" | "Dot" | "Manhattan"}, got ${show(v)}`);
  if (typeof v.size !== "number" || !Number.isInteger(v.size) || v.size < 1 || v.size > 65536) throw badRequest(`${where}.size must be an integer in [1, 65536], got ${show(v.size)}`);
  if (!DISTANCES.includes(v.distance as Distance)) throw badRequest(`unsupported ${where}.distance ${show(v.distance)}. Should be one of: ${DISTANCES.map((d) => `"${d}"`).join(", ")}`);
  if (given(v.datatype) && v.datatype !== "float32") {
    throw badRequest(`${where}.datatype ${show(v.datatype)} is not supported by the embedded store, which keeps float32 vectors; leave it out or set "float32"`);
  }
  if (given(v.multivector_config)) throw badRequest(`${where}.multivector_config is not supported by the embedded store; use a Qdrant server (QDRANT_URL) for multivectors`);
  const out: DenseSpaceConfig = { size: v.size, distance: v.distance as Distance };
  if (given(v.on_disk)) {
    if (typeof v.on_disk !== "boolean") throw badRequest(`${where}.on_disk must be true or false, got ${show(v.on_disk)}`);
    out.on_disk = v.on_disk;
  }
  if (given(v.hnsw_config)) {
    if (!isObject(v.hnsw_config)) throw badRequest(`${where}.hnsw_config must be an object, got ${show(v.hnsw_config)}`);
    out.hnsw_config = structuredClone(v.hnsw_config);
  }
  const q = parseQuantizationConfig(v.quantization_config, `${where}.quantization_config`);
  if (q) out.quantization_config = { scalar: q };
  if (given(v.datatype)) out.datatype = "float32";
  return out;
}

/** One SparseVectorParams. */
function sparse(v: unknown, where: string): SparseSpaceConfig {
  if (v === null || v === undefined) return {};
  if (!isObject(v)) throw badRequest(`${where} must be {"index"?: {...}, "modifier"?: "none" | "idf"}, got ${show(v)}`);
  const out: SparseSpaceConfig = {};
  if (given(v.modifier)) {
    if (v.modifier !== "none" && v.modifier !== "idf") throw badRequest(`${where}.modifier ${show(v.modifier)} is unknown. Should be one of: "none", "idf"`);
    out.modifier = v.modifier;
  }
  if (given(v.index)) {
    if (!isObject(v.index)) throw badRequest(`${where}.index must be an object, got ${show(v.index)}`);
    if (given(v.index.datatype) && v.index.datatype !== "float32") throw badRequest(`${where}.index.datatype ${show(v.index.datatype)} is not supported by the embedded store; leave it out or set "float32"`);
    out.index = structuredClone(v.index);
  }
  return out;
}

/** The spaces of a create body. @throws HttpError 400 naming the field. */
export function parseSpaces(body: Record<string, unknown>): SpacesConfig {
  const v = body.vectors;
  const sv = body.sparse_vectors;
  const out: SpacesConfig = { named: true, dense: {}, sparse: {} };
  if (isObject(v) && ("size" in v || "distance" in v)) {
    out.named = false;
    out.dense[""] = dense(v, "vectors");
  } else if (isObject(v)) {
    for (const [name, p] of Object.entries(v)) out.dense[name] = dense(p, `vectors.${name}`);
  } else if (given(v)) {
    throw badRequest(`vectors must be {"size": n, "distance": ...} or {"name": {"size": n, "distance": ...}, ...}, got ${show(v)}`);
  }
  if (given(sv)) {
    if (!isObject(sv)) throw badRequest(`sparse_vectors must be {"name": {"index"?, "modifier"?}, ...}, got ${show(sv)}`);
    for (const [name, p] of Object.entries(sv)) {
      if (name in out.dense) throw badRequest(`sparse_vectors.${name}: the name is already used by a dense vector; give it another name`);
      out.sparse[name] = sparse(p, `sparse_vectors.${name}`);
    }
  }
  if (Object.keys(out.dense).length + Object.keys(out.sparse).length === 0) {
    throw badRequest(`the body must hold "vectors": {"size": n, "distance": "Cosine" | "Euclid" | "Dot" | "Manhattan"} (or named vectors), or "sparse_vectors"`);
  }
  return out;
}

/** `params.vectors` and `params.sparse_vectors` as GET /collections/{name} answers them. */
export function spacesView(col: Collection): { vectors: unknown; sparse_vectors?: unknown } {
  const sp = col.spacesConfig;
  const vectors = sp.named ? structuredClone(sp.dense) : structuredClone(sp.dense[""]);
  return Object.keys(sp.sparse).length ? { vectors, sparse_vectors: structuredClone(sp.sparse) } : { vectors };
}
