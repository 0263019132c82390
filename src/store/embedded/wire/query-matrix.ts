/** POST /points/search/matrix/pairs and /offsets: the body read, engine/matrix.ts run, the answer in Qdrant's two shapes. */

import { show } from "../engine/errors.js";
import type { PointId } from "../engine/ids.js";
import { searchMatrix } from "../engine/matrix.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { compileFilter } from "./filter.js";
import { f32 } from "./views.js";

function int(v: unknown, dflt: number, min: number, where: string): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw badRequest(`${where} must be an integer >= ${min}, got ${show(v)}`);
  return v;
}

function run(col: Collection, body: Record<string, unknown>) {
  const using = body.using ?? "";
  if (typeof using === "string" && col.multiSpace(using)) throw badRequest(`the distance matrix on multivector "${using}" is not supported by the embedded store; use a Qdrant server (QDRANT_URL)`);
  if (typeof using !== "string" || !col.denseSpace(using)) {
    const names = [...col.spaces.values()].filter((s) => s.kind === "dense").map((s) => `"${s.name}"`).join(", ");
    throw badRequest(`Not existing vector name error: ${String(using)} (the distance matrix is computed on a dense vector of collection ${col.name}: ${names || "it has none"})`);
  }
  return searchMatrix(col, {
    using,
    filter: compileFilter(body.filter, "body.filter"),
    sample: int(body.sample, 10, 2, "body.sample"), // Qdrant's defaults: 10 sampled, 3 nearest each
    limit: int(body.limit, 3, 1, "body.limit"),
  });
}

/** `{"pairs": [{a, b, score}, ...]}`: each sampled point `a` with its nearest `b`, rows in id order. */
export function matrixPairs(col: Collection, body: Record<string, unknown>): { pairs: Array<{ a: PointId; b: PointId; score: number }> } {
  const m = run(col, body);
  return { pairs: m.nearest.flatMap((row, i) => row.map((n) => ({ a: m.ids[i]!, b: m.ids[n.offset]!, score: f32(n.score) }))) };
}

/** `{"offsets_row", "offsets_col", "scores", "ids"}`: the same as a sparse matrix over `ids`. */
export function matrixOffsets(col: Collection, body: Record<string, unknown>): { offsets_row: number[]; offsets_col: number[]; scores: number[]; ids: PointId[] } {
  const m = run(col, body);
  const out = { offsets_row: [] as number[], offsets_col: [] as number[], scores: [] as number[], ids: m.ids };
  m.nearest.forEach((row, i) => {
    for (const n of row) {
      out.offsets_row.push(i);
      out.offsets_col.push(n.offset);
      out.scores.push(f32(n.score));
    }
  });
  return out;
}
