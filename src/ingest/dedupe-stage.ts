/**
 * Stage 2, dedupe: a file's point id is its bytes' SHA-256 as a UUID. A file
 * whose id this run has seen already is a duplicate (the first in walk order
 * is kept); one whose id the collection holds already is present (one
 * existence query per chunk), unless `force`.
 */

import type { QdrantStore } from "../store/qdrant.js";
import type { FreshFile, ReadFile } from "./chunk.js";
import { pointIdFromSha256 } from "./point-id.js";

/** What dedupe needs: the run's seen ids (shared by all chunks), the store and collection, `force`. */
export interface DedupeStageOptions {
  seen: Set<string>;
  store: QdrantStore;
  collection: string;
  force: boolean;
}

/** The chunk's new files, and how many were duplicates or already present. */
export interface DedupeOutput {
  next: FreshFile[];
  duplicates: number;
  alreadyPresent: number;
}

/** Drop files seen earlier in this run or stored already. */
export async function dedupeChunk(files: ReadFile[], o: DedupeStageOptions): Promise<DedupeOutput> {
  const fresh: FreshFile[] = [];
  let duplicates = 0;
  for (const f of files) {
    const id = pointIdFromSha256(f.sha256);
    if (o.seen.has(id)) { duplicates++; continue; }
    o.seen.add(id);
    fresh.push({ ...f, id });
  }
  const present = o.force || fresh.length === 0 ? new Set<string>() : await o.store.existingIds(o.collection, fresh.map((f) => f.id));
  const next = fresh.filter((f) => !present.has(f.id));
  return { next, duplicates, alreadyPresent: fresh.length - next.length };
}
