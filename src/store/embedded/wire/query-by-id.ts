/**
 * A query vector named by point id, as every kind of space reads it (dense
 * in query.ts, sparse in query-sparse.ts, multivector in query-multi.ts): a
 * point of this collection, which then joins the plan's `exclude`, or with
 * `lookup_from` a point of that collection, which excludes nothing (as
 * Qdrant). The caller checks the kind of what is stored.
 */

import { type PointId, parseId } from "../engine/ids.js";
import type { MultiVector, SparseVector } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { notFound } from "./errors.js";
import type { ParsedQuery } from "./query.js";

/** What {@link storedById} found: the point, its stored vector of the space asked, and where it came from. */
export interface StoredQuery {
  id: PointId;
  stored: Float32Array | SparseVector | MultiVector | undefined;
  /** The vector's name in its collection (lookup_from.vector, or the stage's `using`). */
  name: string;
  /** The other collection when lookup_from named one; the point is then not excluded. */
  from?: Collection;
  /** " of collection NAME" when it came from another collection, for messages; else "". */
  of: string;
}

/** @throws HttpError 404 when the point does not exist (in the lookup_from collection when one is named). */
export function storedById(col: Collection, v: number | string, where: string, plan: ParsedQuery): StoredQuery {
  const id = parseId(v, where);
  const src = plan.lookup ?? col;
  const r = src.row(id);
  if (r === undefined) throw notFound(`No point with id ${id} found (${where}${plan.lookup ? ` in collection ${src.name}, the lookup_from` : ""})`);
  const name = plan.lookup ? plan.lookupVector ?? "" : plan.using ?? "";
  if (!plan.lookup) plan.exclude.add(id);
  return { id, stored: src.vectorIn(r, name), name, from: plan.lookup, of: plan.lookup ? ` of collection ${src.name}` : "" };
}
