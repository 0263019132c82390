/**
 * Stage 3, decode: every new file of the chunk decoded and preprocessed to
 * the model's input tensor on the decode workers (small files' bytes
 * transferred to them, large files read there from their own checked open).
 * Corrupt, unsupported, too-large-in-pixels and changed files stop here.
 */

import { skippedFile, type DecodedFile, type FreshFile, type StageOutput } from "./chunk.js";
import type { DecodePool } from "./decode-pool.js";

/** Decode the chunk's files on the pool; the output keeps the input's order. */
export async function decodeChunk(files: FreshFile[], pool: DecodePool): Promise<StageOutput<DecodedFile>> {
  const results = await Promise.all(files.map((f) => pool.decode(f.entry.path, f.identity, f.bytes)));
  const out: StageOutput<DecodedFile> = { next: [], skipped: [] };
  results.forEach((r, i) => {
    const f = files[i]!;
    if (r.ok) out.next.push({ entry: f.entry, id: f.id, sha256: f.sha256, tensor: r.tensor, width: r.width, height: r.height });
    else out.skipped.push(skippedFile(f.entry, r.reason, r.message));
  });
  return out;
}
