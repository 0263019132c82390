/**
 * The last step before a write is logged: everything that could still fail
 * while applying it is done or checked here, so that once the record is in
 * the log, applying it in memory cannot throw (a throw there would leave a
 * logged request half-applied, and replay would apply it whole).
 *
 * What can fail in `Collection.apply` on parsed input is the growth of the
 * wasm block (memory), so the rows every upsert of the request may add are
 * reserved now; and the size limit, which per operation would let a batch of
 * several upserts pass it together.
 */

import type { Op, PointId } from "../log/records.js";
import type { Collection } from "../state/collection.js";
import { wrongInput } from "./errors.js";

/** Vector bytes one collection may hold: leaves room in 4 GiB of wasm memory to grow its block. */
export const MAX_VECTOR_BYTES = 1.5 * 2 ** 30;

/**
 * Check the request as a whole against the collection and reserve the rows it may add.
 * Reserving only grows capacity, so a request refused later leaves no trace.
 * @throws EngineError (wrong input) when the collection would pass its size limit.
 */
export function prepareWrite(col: Collection, ops: Op[]): void {
  const fresh = new Set<PointId>();
  for (const op of ops) if (op.type === "upsert") for (const id of op.ids) if (!col.has(id)) fresh.add(id);
  const rows = col.count + fresh.size;
  let perPoint = 0;
  for (const sp of col.spaces.values()) if (sp.kind === "dense") perPoint += sp.vectors.dim * 4;
  const bytes = rows * perPoint;
  if (bytes > MAX_VECTOR_BYTES) {
    throw wrongInput(
      `collection ${col.name} would hold ${bytes} bytes of vectors; the embedded store keeps at most ${MAX_VECTOR_BYTES} per collection ` +
        `(32-bit WebAssembly memory); use a Qdrant server (set QDRANT_URL)`,
    );
  }
  try {
    col.reserveFor(ops);
  } catch (cause) {
    throw wrongInput(`collection ${col.name} cannot grow to ${rows} points: ${(cause as Error).message}; use a Qdrant server (set QDRANT_URL)`);
  }
}
