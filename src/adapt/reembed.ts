/**
 * Re-embedding a collection through an adapter, from its stored vectors (no
 * image is decoded: the adapter maps the frozen encoder's vectors), into a
 * new collection; the payloads are copied with `model` set to the adapted
 * model's name. The old collection is left as it was, so switching back is
 * a matter of searching it again (an alias can point at either).
 */

import { InputError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import type { Distance } from "../model/card.js";
import type { QdrantStore } from "../store/qdrant.js";
import { applyAdapter, checkAdapter } from "./adapter.js";
import type { Adapter } from "./types.js";

/** Progress of {@link reembed}, a union on `status`. */
export type ReembedProgress = { status: "points"; done: number; total: number };

/**
 * Copy `from` into `to` with every vector mapped through `adapter`.
 * @returns points written and seconds taken.
 * @throws InputError when `from` is missing, `to` equals `from`, or the adapter's size differs from the collection's.
 * @example
 * await reembed({ store, kernels, adapter, from: "shoes", to: "shoes-adapted", model: "shoes-adapted" });
 */
export async function reembed(o: {
  store: QdrantStore; kernels: Kernels; adapter: Adapter; from: string; to: string; model: string;
  /** Collection metadata of `to` when it is created (the adapted model's identity). */
  metadata?: Record<string, unknown>;
  onProgress?: (e: ReembedProgress) => void;
}): Promise<{ points: number; seconds: number }> {
  const t0 = performance.now();
  const adapter = checkAdapter(o.adapter, "reembed");
  if (o.from === o.to) throw new InputError(`reembed: the new collection must differ from "${o.from}"; pass another name`);
  const info = await o.store.collectionInfo(o.from);
  if (!info) throw new InputError(`reembed: collection "${o.from}" does not exist`);
  if (info.size !== adapter.dim) {
    throw new InputError(`reembed: collection "${o.from}" holds vectors of size ${info.size} but the adapter maps size ${adapter.dim}; train it on this collection`);
  }
  await o.store.ensureCollection({ name: o.to, size: info.size, distance: info.distance as Distance, metadata: o.metadata });
  let done = 0;
  // one upsert in flight while the next page is read: the store works on both at once
  let inFlight: Promise<number> | undefined;
  const settle = async () => {
    if (!inFlight) return;
    done += await inFlight;
    inFlight = undefined;
    o.onProgress?.({ status: "points", done, total: info.points });
  };
  try {
    for await (const page of o.store.scroll(o.from, { withVector: true, pageSize: 2000 })) {
      if (page.length === 0) continue;
      const flat = new Float32Array(page.length * info.size);
      page.forEach((p, i) => flat.set(p.vector!, i * info.size));
      const mapped = applyAdapter(o.kernels, adapter, flat);
      const points = page.map((p, i) => ({
        id: p.id, vector: mapped.subarray(i * info.size, (i + 1) * info.size), payload: { ...p.payload, model: o.model },
      }));
      await settle();
      inFlight = o.store.upsert(o.to, points).then(() => points.length);
    }
    await settle();
  } catch (e) {
    // the first failure is reported; a second one in flight must not go unhandled
    await inFlight?.catch(() => {});
    throw e;
  }
  return { points: done, seconds: (performance.now() - t0) / 1000 };
}
