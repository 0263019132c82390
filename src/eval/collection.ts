/** A labeled collection, read whole from the store for evaluation. */

import { InputError } from "../errors.js";
import { mulberry32, shuffleInPlace } from "../data/random.js";
import type { PointId, QdrantStore } from "../store/qdrant.js";

/** A collection read back whole ({@link loadLabeledSet}): ids, vectors and an integer label per row. */
export interface LabeledSet {
  ids: PointId[];
  /** Row-major `[n, dim]`. */
  vectors: Float32Array;
  dim: number;
  /** Integer label per row, an index into `labelNames`. */
  labels: Int32Array;
  labelNames: string[];
  paths: string[];
  /** Points without a label (left out). */
  unlabeled: number;
}

/**
 * Scroll every point with its vector and payload label.
 * @throws InputError when the collection is missing, empty or has no labels.
 */
export async function loadLabeledSet(store: QdrantStore, collection: string, onPage?: (loaded: number) => void): Promise<LabeledSet> {
  const info = await store.collectionInfo(collection);
  if (!info) throw new InputError(`eval: collection "${collection}" does not exist; ingest a labeled folder first (margin ingest DIR --collection ${collection})`);
  const dim = info.size;
  const ids: PointId[] = [];
  const rows: number[][] = [];
  const names: string[] = [];
  const paths: string[] = [];
  let unlabeled = 0;
  for await (const page of store.scroll(collection, { withVector: true, pageSize: 2000 })) {
    for (const p of page) {
      const label = p.payload?.label;
      if (typeof label !== "string" && typeof label !== "number") {
        unlabeled++;
        continue;
      }
      if (!p.vector || p.vector.length !== dim) {
        throw new InputError(`eval: point ${p.id} of "${collection}" has no ${dim}-d vector; eval needs one unnamed vector per point`);
      }
      ids.push(p.id);
      rows.push(p.vector);
      names.push(String(label));
      paths.push(typeof p.payload?.path === "string" ? p.payload.path : "");
    }
    onPage?.(ids.length + unlabeled);
  }
  if (ids.length === 0) {
    throw new InputError(`eval: collection "${collection}" has ${unlabeled ? `${unlabeled} points but none with a label` : "no points"}; ` +
      `eval needs labeled points: ingest a folder whose sub-folders are the labels`);
  }
  const labelNames = [...new Set(names)].sort();
  if (labelNames.length < 2) {
    throw new InputError(`eval: every labeled point of "${collection}" has the label "${labelNames[0]}"; eval needs at least 2 labels`);
  }
  const index = new Map(labelNames.map((l, i) => [l, i]));
  const vectors = new Float32Array(ids.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim));
  return { ids, vectors, dim, labels: Int32Array.from(names, (l) => index.get(l)!), labelNames, paths, unlabeled };
}

/** The given rows of a row-major `[n, dim]` matrix, packed into a new `[rows, dim]` one. */
export function gatherRows(vectors: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(vectors.subarray(rows[i]! * dim, (rows[i]! + 1) * dim), i * dim);
  return out;
}

/** `count` distinct rows chosen with a seeded shuffle (all rows when count ≥ n), in ascending order. */
export function sampleRows(n: number, count: number, seed: number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (count >= n) return all;
  shuffleInPlace(all, mulberry32(seed));
  return all.subarray(0, count).sort();
}
