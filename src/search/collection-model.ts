/** The model a collection was made by, from its metadata: what search and serve load when --model is not given. */

import { identityFromMetadata, type ModelIdentity } from "../model/identity.js";
import type { QdrantStore } from "../store/qdrant.js";

/**
 * The identity ingest recorded in `collection`'s metadata (name, version,
 * preprocessing); undefined when the collection does not exist or has none
 * (made by hand, before margin recorded it, or on a Qdrant before 1.16).
 * `collection` may be an alias.
 */
export async function collectionModel(store: QdrantStore, collection: string): Promise<ModelIdentity | undefined> {
  const info = await store.collectionInfo(collection);
  return identityFromMetadata(info?.metadata);
}
