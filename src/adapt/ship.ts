/**
 * Shipping an adapter: encoder + adapter written as one model, the
 * collection re-embedded from its stored vectors into a new versioned
 * collection whose metadata names the adapted model, and the alias users
 * search switched to it only once every point is acknowledged, exactly as
 * ingest does for a new model (src/ingest/versioned.ts). The collection the
 * alias pointed to is kept until `prune`. The marks sidecar belongs to the
 * alias name (NAME__marks), so marks keep being recorded where they were.
 *
 * A plain collection (made before aliases, or by hand) cannot get an alias
 * of its own name, so it is re-embedded into `into` (default NAME-adapted)
 * and left as it was.
 */

import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import { checkModelMatches, identityFromMetadata, MODEL_METADATA_KEY, modelIdentity, type ModelIdentity } from "../model/identity.js";
import { loadModelCard } from "../model/session-node.js";
import { versionedName } from "../ingest/versioned.js";
import type { QdrantStore } from "../store/qdrant.js";
import { checkAdapter } from "./adapter.js";
import type { AdaptResult } from "./adapt.js";
import { reembed, type ReembedProgress } from "./reembed.js";
import { saveAdaptedModel, type AdaptedModelCard } from "./save.js";
import type { Adapter } from "./types.js";

/** Options of {@link shipAdapter}. */
export interface ShipAdapterOptions {
  store: QdrantStore;
  kernels: Kernels;
  adapter: Adapter;
  /** The name users search: an alias (switched) or a plain collection (copied into `into`). */
  collection: string;
  /** Card path of the model the collection is searched with now (the adapter's base). */
  baseCard: string;
  /** Where encoder + adapter is written. */
  modelsDir: string;
  /** The training and gate record, for the card. */
  result?: Pick<AdaptResult, "training" | "gate" | "validation">;
  /** For a plain collection: the new collection. Default `${collection}-adapted`. */
  into?: string;
  /** Delete the collection the alias pointed to after the switch. */
  prune?: boolean;
  onProgress?: (e: ReembedProgress) => void;
}

/** What {@link shipAdapter} did. */
export interface ShipResult {
  /** The adapted model: name, card path, identity. */
  model: { name: string; cardPath: string; identity: ModelIdentity; card: AdaptedModelCard };
  collection: string;
  /** The collection re-embedded into. */
  target: string;
  /** Whether `collection` is an alias that now points to `target`. */
  switched: boolean;
  /** The collection the alias pointed to before (kept unless pruned). */
  previous?: string;
  pruned: string[];
  points: number;
  reembedSeconds: number;
}

/** The adapted model's name: base, collection and the first 8 hex digits of the parameters' hash (two adapters never share a file). */
export function adaptedModelName(base: string, collection: string, adapter: Adapter): string {
  const p = adapter.params;
  const h = createHash("sha256").update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength)).digest("hex").slice(0, 8);
  return `${base}.${collection}-a${h}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Save, re-embed and switch.
 * @throws InputError when the collection is missing or was made by another model than `baseCard`'s.
 * @example
 * const r = await shipAdapter({ store, kernels, adapter, collection: "photos", baseCard, modelsDir });
 * // searches of "photos" now use r.model.name
 */
export async function shipAdapter(o: ShipAdapterOptions): Promise<ShipResult> {
  const adapter = checkAdapter(o.adapter, "shipAdapter");
  const base = await loadModelCard(o.baseCard);
  const baseId = await modelIdentity(o.baseCard, base);
  const current = await o.store.aliasTarget(o.collection);
  const source = current ?? o.collection;
  const info = await o.store.collectionInfo(source);
  if (!info) throw new InputError(`adapt: collection "${o.collection}" does not exist; ingest into it first`);
  checkModelMatches(o.collection, identityFromMetadata(info.metadata), baseId);
  const name = adaptedModelName(base.name, o.collection, adapter);
  const saved = await saveAdaptedModel({ baseCard: o.baseCard, adapter, name, dir: o.modelsDir, result: o.result as AdaptResult | undefined });
  const identity = await modelIdentity(saved.cardPath, saved.card);
  const target = current !== undefined ? versionedName(o.collection, identity) : (o.into ?? `${o.collection}-adapted`);
  if (current === undefined && target === o.collection) throw new InputError(`adapt: --into must differ from "${o.collection}"`);
  const r = await reembed({
    store: o.store, kernels: o.kernels, adapter, from: source, to: target, model: name,
    metadata: { [MODEL_METADATA_KEY]: identity }, onProgress: o.onProgress,
  });
  const pruned: string[] = [];
  if (current !== undefined) {
    // every upsert was acknowledged (wait=true) before this: the alias never points at a partial collection
    await o.store.switchAlias(o.collection, target);
    if (o.prune && current !== target && (await o.store.deleteCollection(current))) pruned.push(current);
  }
  return {
    model: { name, cardPath: saved.cardPath, identity, card: saved.card }, collection: o.collection, target,
    switched: current !== undefined, ...(current !== undefined && current !== target ? { previous: current } : {}), pruned,
    points: r.points, reembedSeconds: r.seconds,
  };
}
