/**
 * Which collection an ingest writes, so that searches never see a half-built
 * one. The name the user gives (`--collection photos`) is an alias; the
 * points go into a versioned collection `photos-v<first 8 hex digits of the
 * model version>`, and the alias is pointed at it only when the ingest is
 * done. Re-ingesting with the same model adds to the collection the alias
 * points to; with another model it fills a new versioned collection and then
 * switches the alias in one atomic request. The old collection stays until
 * `prune`.
 */

import { InputError } from "../errors.js";
import { checkModelMatches, describeModel, identityFromMetadata, type ModelIdentity, sameModel } from "../model/identity.js";
import type { QdrantStore } from "../store/qdrant.js";

/** Where an ingest writes, and what it does with the alias at the end. */
export interface IngestTarget {
  /** The collection the points go into. */
  collection: string;
  /** The alias to point at it when done (undefined: `collection` is a plain collection the user named). */
  alias?: string;
  /** The collection the alias pointed to before, when it changes. */
  previous?: string;
}

/** The versioned collection of a name and model: photos-v0123abcd. */
export function versionedName(name: string, m: ModelIdentity): string {
  return `${name.slice(0, 240)}-v${m.version.slice(0, 8)}`;
}

/**
 * Decide where to ingest `name` with model `m`.
 * @throws InputError when `name` is a plain collection (not an alias) made by another model.
 */
export async function ingestTarget(store: QdrantStore, name: string, m: ModelIdentity): Promise<IngestTarget> {
  const current = await store.aliasTarget(name);
  if (current !== undefined) {
    const info = await store.collectionInfo(current);
    const stored = identityFromMetadata(info?.metadata);
    if (info && stored && sameModel(stored, m)) return { collection: current, alias: name };
    return { collection: versionedName(name, m), alias: name, previous: current };
  }
  const plain = await store.collectionInfo(name);
  if (plain) {
    // a collection made before aliases (or by hand): keep adding to it while the model matches
    const stored = identityFromMetadata(plain.metadata);
    try {
      checkModelMatches(name, stored, m);
    } catch {
      throw new InputError(
        `collection "${name}" was made by model ${describeModel(stored!)}, not ${describeModel(m)}, and it is a plain collection, ` +
        `so margin cannot switch an alias "${name}" over it; ingest into another name (--collection ${name}-new) or delete it first`);
    }
    return { collection: name };
  }
  return { collection: versionedName(name, m), alias: name };
}
