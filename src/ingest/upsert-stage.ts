/**
 * Stage 5, upsert: the chunk's points written with `wait: true` (the store
 * splits large requests and retries failures), a few chunks at once
 * (`streams`). A point counts as ingested only once this returns.
 */

import type { QdrantStore, StorePoint } from "../store/qdrant.js";
import type { EmbeddedChunk } from "./chunk.js";
import type { Limiter } from "./limiter.js";

/** Where the points go, and the model name the payload records. */
export interface UpsertStageOptions {
  store: QdrantStore;
  collection: string;
  model: string;
  streams: Limiter;
}

/**
 * Store the chunk's points; payload `{ path, label?, sha256, width, height, model }`.
 * @returns the number of points stored.
 */
export async function upsertChunk(chunk: EmbeddedChunk, o: UpsertStageOptions): Promise<number> {
  const { files, vectors, dim } = chunk;
  const points: StorePoint[] = files.map((f, i) => ({
    id: f.id,
    vector: vectors.subarray(i * dim, (i + 1) * dim),
    payload: {
      path: f.entry.relativePath, ...(f.entry.label !== undefined ? { label: f.entry.label } : {}),
      sha256: f.sha256, width: f.width, height: f.height, model: o.model,
    },
  }));
  await o.streams.run(() => o.store.upsert(o.collection, points));
  return points.length;
}
