/**
 * The sessions an adapter for a collection is trained and judged on: the
 * recorded marks of the name users search (NAME__marks stays with the
 * alias), kept only when they were made on the model the collection is
 * searched with now. Marks made on an earlier model (before an adapter was
 * shipped) rank vectors that are no longer stored, so they are counted and
 * left out. `margin adapt` and serve's GET /api/marks and POST /api/adapter
 * all read through here, so the page trains on exactly the sessions the CLI
 * would.
 */

import { InputError } from "../errors.js";
import type { QdrantStore } from "../store/qdrant.js";
import { listMarks, sessionsFromMarks, type MarkRecord } from "./marks.js";
import type { SessionSet } from "./types.js";

/** What {@link markedSessions} found. */
export interface MarkedSessions {
  set: SessionSet;
  /** The records used, oldest first. */
  records: MarkRecord[];
  /** Marked ids dropped because their points are gone. */
  dropped: number;
  /** Records left out because they were made on another model, by model name. */
  otherModels: Record<string, number>;
}

/**
 * The sessions of `collection` made on model `model`.
 * @throws InputError when no record was made on `model` (naming the models that were used).
 */
export async function markedSessions(store: QdrantStore, collection: string, model: string): Promise<MarkedSessions> {
  const { records: all, dropped } = await listMarks(store, collection);
  const otherModels: Record<string, number> = {};
  const records = all.filter((r) => r.model === model || ((otherModels[r.model] = (otherModels[r.model] ?? 0) + 1), false));
  if (records.length === 0) {
    const others = Object.entries(otherModels).map(([m, n]) => `${n} on "${m}"`).join(", ");
    throw new InputError(
      `adapt: collection "${collection}" has no marks made on model "${model}"${others ? ` (${others})` : ""}; ` +
      "mark results of its current model in margin search, serve or the page first");
  }
  return { set: await sessionsFromMarks(store, collection, records), records, dropped, otherModels };
}
