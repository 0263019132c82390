/**
 * A create body's vector spaces: `vectors` (one unnamed `{size, distance}`
 * or named `{"name": {size, distance, ...}}`) and `sparse_vectors`
 * (`{"name": {index?, modifier?}}`), checked as Qdrant checks them, and the
 * way GET /collections/{name} shows them back (as created).
 *
 * Datatypes float16 and uint8 are converted on the way in (engine/datatype.ts).
 * `multivector_config: {"comparator": "max_sim"}` makes a multivector space
 * (state/multi-vectors.ts). Refused with a 400 naming the field: datatype
 * turbo4, uint8 with Cosine, a multivector with on_disk or quantization.
 * A sparse `modifier` is "none" (the default) or "idf".
 */

import { show } from "../engine/errors.js";
import type { DenseSpaceConfig, Distance, SpacesConfig, SparseSpaceConfig } from "../log/records.js";
import { type Collection, DISTANCES } from "../state/collection.js";
import { DATATYPES, type Datatype } from "../engine/datatype.js";
import { badRequest, HttpError } from "./errors.js";
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
  if (given(v.datatype) && !DATATYPES.includes(v.datatype as Datatype)) {
    if (v.datatype === "turbo4") throw badRequest(`${where}.datatype "turbo4" (a 4-bit quantization) is not supported by the embedded store; use "float32", "float16" or "uint8", or a Qdrant server (QDRANT_URL)`);
    throw badRequest(`${where}.datatype ${show(v.datatype)} is unknown. Should be one of: ${DATATYPES.map((d) => `"${d}"`).join(", ")}`);
  }
  if (v.datatype === "uint8" && v.distance === "Cosine") {
    // Qdrant scores uint8 Cosine on the raw integers (dot / (|a| |b|)); the store's Cosine rows are normalized, which would lose them
    throw badRequest(`${where}: datatype "uint8" with distance "Cosine" is not supported by the embedded store; use "float16" or "float32" for Cosine, or "Dot", "Euclid" or "Manhattan" with "uint8"`);
  }
  if (given(v.memory)) throw badRequest(`${where}.memory is not supported by the embedded store; use on_disk: true (Qdrant's "cold") or false ("cached")`);
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
  if (given(v.multivector_config)) {
    const m = v.multivector_config;
    if (!isObject(m) || m.comparator !== "max_sim") throw badRequest(`${where}.multivector_config must be {"comparator": "max_sim"}, got ${show(m)}`);
    // the multivectors are scored exactly, in the JS heap: no file, no codes
    if (out.on_disk) throw badRequest(`${where}: on_disk is not supported with multivector_config by the embedded store (multivectors stay in memory); leave it out or set false`);
    if (q) throw badRequest(`${where}: quantization_config is not supported with multivector_config by the embedded store (multivectors are scored exactly); leave it out`);
    out.multivector_config = { comparator: "max_sim" };
  }
  if (given(v.datatype)) out.datatype = v.datatype as Datatype; // engine/datatype.ts converts the values
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
    // kept: Qdrant's index datatype applies to the compressed index its optimizer builds; before that (and here) it scores the f32 values
    if (v.index.datatype === "turbo4") throw new HttpError(422, `Validation error in JSON body: [${where}.index.datatype: sparse vectors do not support the \`turbo4\` datatype]`);
    if (given(v.index.datatype) && !DATATYPES.includes(v.index.datatype as Datatype)) throw badRequest(`${where}.index.datatype ${show(v.index.datatype)} is unknown. Should be one of: ${DATATYPES.map((d) => `"${d}"`).join(", ")}`);
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
  const multi = Object.entries(out.dense).find(([, d]) => d.multivector_config);
  if (multi && given(body.quantization_config)) {
    throw badRequest(`quantization_config is not supported by the embedded store on a collection with a multivector (${multi[0] === "" ? "the unnamed vector" : `"${multi[0]}"`}): multivectors are scored exactly; leave it out`);
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
