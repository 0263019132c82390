/**
 * PATCH /collections/{name} `vectors`: Qdrant's VectorsConfigDiff, a map
 * from an existing dense vector's name ("" the unnamed one) to its
 * VectorParamsDiff. The store acts on `on_disk` (the vectors move between
 * memory and their file) and keeps `hnsw_config` (merged over the vector's
 * own); a per-vector `quantization_config` and `memory` are refused naming
 * them, never ignored.
 */

import { show } from "../engine/errors.js";
import type { SpaceDiff } from "../engine/store.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const given = (v: unknown) => v !== undefined && v !== null;

/** The diff of a PATCH body's `vectors` (absent or null: none). @throws HttpError 400 naming the field. */
export function parseVectorsDiff(col: Collection, v: unknown): Record<string, SpaceDiff> | null {
  if (!given(v)) return null;
  if (!isObject(v)) throw badRequest(`vectors must be {"name": {"on_disk"?, "hnsw_config"?}, ...} ("" for the unnamed vector), got ${show(v)}`);
  const out: Record<string, SpaceDiff> = {};
  for (const [name, d] of Object.entries(v)) {
    const where = `vectors.${name === "" ? '""' : name}`;
    if (col.multiSpace(name)) throw badRequest(`${where}: the params of multivector "${name}" cannot be changed by the embedded store (its multivectors stay in memory, unquantized)`);
    if (!col.denseSpace(name)) {
      const names = [...col.spaces.values()].filter((s) => s.kind === "dense").map((s) => `"${s.name}"`).join(", ");
      throw badRequest(`Not existing vector name error: ${name} (at ${where}; collection ${col.name} has dense vectors ${names || "none"})`);
    }
    if (d === null || d === undefined) continue;
    if (!isObject(d)) throw badRequest(`${where} must be {"on_disk"?: bool, "hnsw_config"?: {...}}, got ${show(d)}`);
    const diff: SpaceDiff = {};
    if (given(d.on_disk)) {
      if (typeof d.on_disk !== "boolean") throw badRequest(`${where}.on_disk must be true or false, got ${show(d.on_disk)}`);
      diff.onDisk = d.on_disk;
    }
    if (given(d.hnsw_config)) {
      if (!isObject(d.hnsw_config)) throw badRequest(`${where}.hnsw_config must be an object, got ${show(d.hnsw_config)}`);
      diff.hnswConfig = Object.fromEntries(Object.entries(d.hnsw_config).filter(([, x]) => given(x)));
    }
    const q = d.quantization_config ?? d.quantization;
    if (given(q)) throw badRequest(`${where}.quantization_config is not supported by the embedded store on update; set the collection's top-level quantization_config instead`);
    if (given(d.memory)) throw badRequest(`${where}.memory is not supported by the embedded store; use on_disk: true (Qdrant's "cold") or false ("cached")`);
    out[name] = diff;
  }
  return out;
}
