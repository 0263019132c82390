/**
 * Re-embedding a collection through an adapter, from its stored vectors (no
 * image is decoded: the adapter maps the frozen encoder's vectors), into a
 * new collection; the payloads are copied with `model` set to the adapted
 * model's name. The old collection is left as it was, so switching back is
 * a matter of searching it again (an alias can point at either).
 */

import { InputError } from "../errors.js";
import type { Kernels } from "../kernels/index.js";
import type { PointId } from "../data/point-id.js";
import type { Distance } from "../model/card.js";
import type { QdrantStore } from "../store/qdrant.js";
import { applyAdapter, checkAdapter } from "./adapter.js";
import type { Adapter } from "./types.js";

/** Points per scroll request: fewer, larger pages cost the store less per point. */
const SCROLL_POINTS = 5000;
/** Points per upsert request. */
const UPSERT_POINTS = 1000;
/** Upsert requests in flight at once. */
const IN_FLIGHT = 3;

/**
 * `n` f32 values from `v` at `at` as the doubles whose JSON text is at most 9
 * significant digits: the same f32 when read back (9 digits always suffice),
 * but about half the text of the double a Float32Array element widens to
 * (0.1f: 0.100000001, not 0.10000000149011612), which the client writes and the store parses.
 */
export function shortF32(v: Float32Array, at: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    const x = v[at + j]!;
    // small integers print exactly as they are; anything else as 9 significant digits
    out[j] = Number.isInteger(x) && Math.abs(x) < 16777216 ? x : Number(x.toPrecision(9));
  }
  return out;
}

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
  // upserts of UPSERT_POINTS in flight (at most IN_FLIGHT) while the next page is read and mapped;
  // every one is wait=true and all are awaited before this returns, so a caller switching an alias
  // afterwards never points it at a collection missing points
  const inFlight: Promise<void>[] = [];
  let failure: unknown;
  const send = (points: { id: PointId; vector: number[]; payload: Record<string, unknown> }[]) => {
    const p = o.store.upsert(o.to, points).then(
      () => {
        done += points.length;
        o.onProgress?.({ status: "points", done, total: info.points });
      },
      (e: unknown) => { failure ??= e; },
    );
    inFlight.push(p);
  };
  for await (const page of o.store.scroll(o.from, { withVector: true, pageSize: SCROLL_POINTS })) {
    if (failure) break;
    if (page.length === 0) continue;
    const flat = new Float32Array(page.length * info.size);
    page.forEach((p, i) => flat.set(p.vector!, i * info.size));
    const mapped = applyAdapter(o.kernels, adapter, flat);
    for (let b = 0; b < page.length; b += UPSERT_POINTS) {
      const points = page.slice(b, b + UPSERT_POINTS).map((p, j) => ({
        id: p.id, vector: shortF32(mapped, (b + j) * info.size, info.size), payload: { ...p.payload, model: o.model },
      }));
      while (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      send(points);
    }
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { points: done, seconds: (performance.now() - t0) / 1000 };
}
