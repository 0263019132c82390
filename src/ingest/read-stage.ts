/**
 * Stage 1, read: each file of a chunk opened once, fstat'ed (regular files
 * only, size capped, under a deadline) and hashed in 256 KiB chunks on the
 * main thread's I/O pool, a few at a time. Files up to `keepBytes` come out
 * with their bytes, so small images are read once.
 */

import type { WalkEntry } from "../data/walk.js";
import { hashImageFile, ImageError } from "../model/decode.js";
import { skippedFile, type ReadFile, type StageOutput } from "./chunk.js";
import { Limiter } from "./limiter.js";

/** Limits of the read stage. */
export interface ReadStageOptions {
  maxBytes: number;
  readTimeoutMs: number;
  /** Files up to this size keep their bytes. */
  keepBytes: number;
  /** Files hashed at once (each holds a 256 KiB buffer at most). */
  parallel: number;
}

/** Hash the chunk's files; unreadable, special, empty and oversized files stop here. */
export async function readChunk(entries: WalkEntry[], o: ReadStageOptions): Promise<StageOutput<ReadFile>> {
  const hashing = new Limiter(o.parallel);
  const out: StageOutput<ReadFile> = { next: [], skipped: [] };
  const read = await Promise.all(entries.map((entry) => hashing.run(async () => {
    try {
      const h = await hashImageFile(entry.path, { maxBytes: o.maxBytes, timeoutMs: o.readTimeoutMs, keepBytes: o.keepBytes });
      return { entry, sha256: h.sha256, identity: h.identity, ...(h.bytes ? { bytes: h.bytes } : {}) } satisfies ReadFile;
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      return skippedFile(entry, err.reason, err.message);
    }
  })));
  for (const r of read) ("entry" in r ? out.next : out.skipped).push(r as never);
  return out;
}
