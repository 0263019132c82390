/**
 * The query of a stage whose `using` names a multivector (multivector_config
 * max_sim): nearest only, with a list of vectors or a point id (read by
 * query.ts's parseScoring, which sends fusion, order_by, sample and formula
 * its usual way). Scored in engine/search.ts by state/multi-vectors.ts.
 */

import { MultiVector } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { storedById } from "./query-by-id.js";
import type { ParsedQuery } from "./query.js";
import { readMulti } from "./vectors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A multivector query: inline (a list of vectors), or a point's multivector by id (with lookup_from: of that collection's vector, checked as an inline one). */
function multiInput(col: Collection, v: unknown, where: string, plan: ParsedQuery): MultiVector {
  const name = plan.using ?? "";
  if (typeof v !== "number" && typeof v !== "string") return readMulti(col, name, v, where);
  const { id, stored, name: srcName, from, of } = storedById(col, v, where, plan);
  if (!(stored instanceof MultiVector)) throw badRequest(`${where}: point ${id}${of} has no multivector "${srcName}"`);
  if (!from) return stored;
  const lists = Array.from({ length: stored.count }, (_, i) => Array.from(stored.data.subarray(i * stored.dim, (i + 1) * stored.dim)));
  return readMulti(col, name, lists, `${where} (point ${id}${of})`);
}

/** Set the plan's nearest multivector query. @throws HttpError 400 for any other query kind, or mmr. */
export function multiScoring(col: Collection, q: unknown, where: string, plan: ParsedQuery): void {
  const named = plan.using ? `multivector "${plan.using}"` : "the multivector";
  const inner = isObject(q) && "nearest" in q ? q.nearest : q;
  if (isObject(q) && "nearest" in q && q.mmr !== undefined && q.mmr !== null) throw badRequest(`${where}.query.mmr is not supported on ${named} by the embedded store`);
  if (!Array.isArray(inner) && typeof inner !== "number" && typeof inner !== "string") {
    throw badRequest(`${where}.query: on ${named} the embedded store answers nearest queries (a list of vectors [[...], ...] or a point id) only; use a Qdrant server (QDRANT_URL) for the rest`);
  }
  plan.kind = "nearest";
  plan.multi = multiInput(col, inner, `${where}.query${inner === q ? "" : ".nearest"}`, plan);
}
