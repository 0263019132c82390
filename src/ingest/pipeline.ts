/**
 * The chunk scheduler under {@link ingest}: the walk is cut into chunks of
 * `batchSize` files, and at most `inFlight` chunks run at once (one decoding
 * ahead, one embedding, the rest upserting), so memory stays flat however
 * large the folder is while the stages of different chunks overlap. The
 * first failure stops new chunks; the running ones finish, then it is thrown.
 */

import type { WalkEntry } from "../data/walk.js";
import { Limiter } from "./limiter.js";

/** How the walk is cut and how many chunks run at once. */
export interface PipelineOptions {
  batchSize: number;
  inFlight: number;
  /** Called for every file the walk yields, before it joins a chunk. */
  onFile: () => void;
  /** Called after each full chunk is launched (for progress). */
  onChunk: () => void;
}

/** Run `runChunk` over the walk in chunks; resolves when every chunk has finished. */
export async function runChunks(
  walk: AsyncIterator<WalkEntry>, first: IteratorResult<WalkEntry>,
  runChunk: (entries: WalkEntry[]) => Promise<void>, o: PipelineOptions,
): Promise<void> {
  const slots = new Limiter(o.inFlight);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const launch = async (entries: WalkEntry[]) => {
    await slots.acquire();
    if (failure) { slots.release(); return; }
    const p = runChunk(entries).catch((error: unknown) => { failure ??= { error }; })
      .finally(() => { slots.release(); running.delete(p); });
    running.add(p);
  };
  let chunk: WalkEntry[] = [];
  for (let it = first; !it.done && !failure; it = await walk.next()) {
    o.onFile();
    chunk.push(it.value);
    if (chunk.length === o.batchSize) { await launch(chunk); chunk = []; o.onChunk(); }
  }
  if (chunk.length > 0 && !failure) await launch(chunk);
  await Promise.all(running);
  if (failure) throw failure.error;
}
