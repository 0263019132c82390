/**
 * Marks recorded durably with the collection: one point per search session
 * in the sidecar collection `<name>__marks`, written through the store
 * wrapper with `wait: true` (so on the embedded store it is on disk before
 * the call returns, and it works unchanged on a Qdrant server). The point's
 * vector is the query vector (the frozen encoder's); its payload holds the
 * query id (when the query was a stored point), the right and wrong ids, the
 * model name and the time.
 *
 * Deleting a point removes it from the records in two ways: {@link forgetPoints}
 * rewrites every record that names it (and deletes a record left without a
 * mark), and {@link listMarks} drops ids that are no longer in the collection,
 * so marks never outlive their points even when points are deleted by another
 * Qdrant client.
 */

import { randomUUID } from "node:crypto";
import { InputError } from "../errors.js";
import type { Distance } from "../model/card.js";
import { isPointId, type PointId } from "../data/point-id.js";
import type { QdrantStore } from "../store/qdrant.js";
import type { MarkSession, SessionSet } from "./types.js";

/** The sidecar collection's name for `collection`. */
export function marksCollection(collection: string): string {
  return `${collection}__marks`;
}

/** One recorded session of marks. */
export interface MarkRecord {
  /** The record's own id in the sidecar collection. */
  id: string;
  /** The stored point the user searched with, or null for a query by vector (or a query point since deleted). */
  queryId: PointId | null;
  /** The query vector of the frozen encoder. */
  queryVector: Float32Array;
  right: PointId[];
  wrong: PointId[];
  /** The model whose vectors the marks were made on. */
  model: string;
  /** ISO 8601. */
  time: string;
}

function checkIds(ids: unknown, name: string): PointId[] {
  if (!Array.isArray(ids)) throw new InputError(`recordMarks: ${name} must be an array of point ids, got ${typeof ids}`);
  for (const id of ids) {
    if (!isPointId(id)) throw new InputError(`recordMarks: ${name} holds ${JSON.stringify(id)}, which is not a point id (a UUID string or an unsigned integer)`);
  }
  return [...new Set(ids as PointId[])];
}

/**
 * Record one session of marks on `collection`.
 * @param o.query the query: the id of a stored point, or its vector.
 * @throws InputError for a missing collection, unknown ids, an id marked both ways, no mark, a vector of the wrong size.
 * @example
 * await recordMarks(store, { collection: "shoes", query: { id }, right: [a, b], wrong: [c], model: "fashion-mnist-triplet-64" });
 */
export async function recordMarks(store: QdrantStore, o: {
  collection: string; query: { id?: PointId; vector?: ArrayLike<number> }; right: readonly PointId[]; wrong: readonly PointId[];
  model: string; time?: Date;
}): Promise<MarkRecord> {
  const info = await store.collectionInfo(o.collection);
  if (!info) throw new InputError(`recordMarks: collection "${o.collection}" does not exist; ingest into it first`);
  const right = checkIds(o.right, "right");
  const wrong = checkIds(o.wrong, "wrong");
  if (right.length + wrong.length === 0) throw new InputError("recordMarks: no marks; mark at least one result right or wrong");
  const both = right.filter((id) => wrong.includes(id));
  if (both.length) throw new InputError(`recordMarks: ${JSON.stringify(both[0])} is marked both right and wrong; keep one mark`);
  const hasId = o.query?.id !== undefined, hasVector = o.query?.vector !== undefined;
  if (hasId === hasVector) throw new InputError("recordMarks: query must have exactly one of id or vector");
  const known = await store.existingIds(o.collection, [...right, ...wrong, ...(hasId ? [o.query.id!] : [])]);
  const missing = [...right, ...wrong].filter((id) => !known.has(id));
  if (missing.length) throw new InputError(`recordMarks: marked point ${JSON.stringify(missing[0])} is not in collection "${o.collection}"; mark results of this collection`);
  let vector: Float32Array;
  if (hasId) {
    if (!isPointId(o.query.id) || !known.has(o.query.id)) throw new InputError(`recordMarks: query point ${JSON.stringify(o.query.id)} is not in collection "${o.collection}"`);
    const [hit] = await store.retrieve(o.collection, [o.query.id], { withVector: true });
    vector = Float32Array.from(hit!.vector!);
  } else {
    vector = Float32Array.from(o.query.vector!);
    if (vector.length !== info.size || !vector.every(Number.isFinite)) {
      throw new InputError(`recordMarks: the query vector has ${vector.length} values (finite: ${vector.every(Number.isFinite)}) but collection "${o.collection}" holds vectors of size ${info.size}`);
    }
  }
  const record: MarkRecord = {
    id: randomUUID(), queryId: hasId ? o.query.id! : null, queryVector: vector, right, wrong, model: o.model,
    time: (o.time ?? new Date()).toISOString(),
  };
  const side = marksCollection(o.collection);
  await store.ensureCollection({ name: side, size: info.size, distance: info.distance as Distance });
  await store.upsert(side, [toPoint(o.collection, record)]);
  return record;
}

function toPoint(collection: string, r: MarkRecord) {
  return {
    id: r.id, vector: r.queryVector,
    payload: { collection, queryId: r.queryId, right: r.right, wrong: r.wrong, model: r.model, time: r.time },
  };
}

/** Every record of the sidecar, as stored (no existence check). */
async function readRecords(store: QdrantStore, collection: string): Promise<MarkRecord[]> {
  const side = marksCollection(collection);
  if (!(await store.collectionInfo(side))) return [];
  const out: MarkRecord[] = [];
  for await (const page of store.scroll(side, { withVector: true })) {
    for (const p of page) {
      const pl = (p.payload ?? {}) as Record<string, unknown>;
      const ids = (v: unknown) => (Array.isArray(v) ? v.filter(isPointId) : []);
      out.push({
        id: String(p.id), queryId: isPointId(pl.queryId) ? pl.queryId : null, queryVector: Float32Array.from(p.vector ?? []),
        right: ids(pl.right), wrong: ids(pl.wrong), model: String(pl.model ?? ""), time: String(pl.time ?? ""),
      });
    }
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

/**
 * The recorded sessions of `collection`, oldest first, without the ids that
 * are no longer stored in it.
 * @returns the records and how many marked ids were dropped as deleted.
 */
export async function listMarks(store: QdrantStore, collection: string): Promise<{ records: MarkRecord[]; dropped: number }> {
  const records = await readRecords(store, collection);
  const all = [...new Set(records.flatMap((r) => [...r.right, ...r.wrong, ...(r.queryId === null ? [] : [r.queryId])]))];
  const known = all.length ? await store.existingIds(collection, all) : new Set<PointId>();
  let dropped = 0;
  const keep = (ids: PointId[]) => ids.filter((id) => known.has(id) || (dropped++, false));
  const out = records.map((r) => ({
    ...r, queryId: r.queryId !== null && known.has(r.queryId) ? r.queryId : null, right: keep(r.right), wrong: keep(r.wrong),
  }));
  return { records: out.filter((r) => r.right.length + r.wrong.length > 0), dropped };
}

/**
 * Remove deleted points from the records: each record that names one is
 * rewritten without it, and deleted when no mark is left.
 * @returns how many records were rewritten and deleted.
 */
export async function forgetPoints(store: QdrantStore, collection: string, ids: readonly PointId[]): Promise<{ updated: number; deleted: number }> {
  const gone = new Set(ids);
  const side = marksCollection(collection);
  let updated = 0;
  const rewrite = [];
  const remove: string[] = [];
  for (const r of await readRecords(store, collection)) {
    const touched = r.right.some((id) => gone.has(id)) || r.wrong.some((id) => gone.has(id)) || (r.queryId !== null && gone.has(r.queryId));
    if (!touched) continue;
    const next = { ...r, queryId: r.queryId !== null && gone.has(r.queryId) ? null : r.queryId, right: r.right.filter((id) => !gone.has(id)), wrong: r.wrong.filter((id) => !gone.has(id)) };
    if (next.right.length + next.wrong.length === 0) remove.push(r.id);
    else {
      rewrite.push(toPoint(collection, next));
      updated++;
    }
  }
  if (rewrite.length) await store.upsert(side, rewrite);
  await store.deletePoints(side, remove);
  return { updated, deleted: remove.length };
}

/**
 * Sessions for {@link adapt} from records: the marked points' vectors are
 * read from the collection, each query's vector from its record.
 */
export async function sessionsFromMarks(store: QdrantStore, collection: string, records: readonly MarkRecord[]): Promise<SessionSet> {
  const ids = [...new Set(records.flatMap((r) => [...r.right, ...r.wrong]))];
  const row = new Map<PointId, number>();
  const vectors: number[][] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    for (const hit of await store.retrieve(collection, ids.slice(i, i + 1000), { withVector: true })) {
      row.set(hit.id, vectors.length);
      vectors.push(hit.vector!);
    }
  }
  const sessions: MarkSession[] = [];
  for (const r of records) {
    const query = vectors.length;
    vectors.push(Array.from(r.queryVector));
    const rows = (list: PointId[]) => list.filter((id) => row.has(id)).map((id) => row.get(id)!);
    sessions.push({ query, right: rows(r.right), wrong: rows(r.wrong) });
  }
  const dim = vectors[0]?.length ?? 0;
  if (dim === 0) throw new InputError(`adapt: collection "${collection}" has no recorded marks; mark results in margin search, serve or the page first`);
  const flat = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => flat.set(v, i * dim));
  return { vectors: flat, dim, sessions };
}
