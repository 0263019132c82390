/**
 * First stage lossy, re-rank exact: the collection's vectors are stored
 * again, scalar-quantized to a few bits per value, in a scratch collection;
 * each query searches that collection with its full-precision vector for
 * F × k candidates, which the kernels re-rank exactly with the
 * full-precision vectors. Recall of the exact top-k says how much of the
 * quantization loss the oversampled re-rank wins back.
 */

import type { Kernels } from "../kernels/index.js";
import type { QdrantStore } from "../store/qdrant.js";
import type { LabeledSet } from "./collection.js";

export interface LossyResult {
  bits: number;
  k: number;
  queries: number;
  /** Recall of the exact top-k: the first stage alone, and after re-ranking F × k candidates, per F. */
  rows: Array<{ oversample: number; firstStage: number; reranked: number }>;
}

/** Per-dimension min/max scalar quantization to `bits` bits, returned dequantized. */
export function quantize(vectors: Float32Array, dim: number, bits: number): Float32Array {
  const levels = 2 ** bits - 1;
  const lo = new Float32Array(dim).fill(Infinity);
  const hi = new Float32Array(dim).fill(-Infinity);
  for (let i = 0; i < vectors.length; i++) {
    const d = i % dim;
    lo[d] = Math.min(lo[d]!, vectors[i]!);
    hi[d] = Math.max(hi[d]!, vectors[i]!);
  }
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i++) {
    const d = i % dim;
    const step = (hi[d]! - lo[d]!) / levels || 1;
    out[i] = lo[d]! + Math.round((vectors[i]! - lo[d]!) / step) * step;
  }
  return out;
}

export async function lossyFirstStage(o: {
  store: QdrantStore; collection: string; kernels: Kernels; set: LabeledSet; queries: Int32Array;
  bits: number; k: number; oversamples: number[];
  onProgress?: (done: number, total: number) => void;
}): Promise<LossyResult> {
  const { set, kernels, k } = o;
  const dim = set.dim;
  const n = set.ids.length;
  const scratch = `${o.collection}-q${o.bits}-${process.pid}`;
  const q = quantize(set.vectors, dim, o.bits);
  await o.store.deleteCollection(scratch);
  await o.store.ensureCollection({ name: scratch, size: dim, distance: "Euclid" });
  try {
    // the scratch points are numbered by row, so results map back without a lookup
    const points = Array.from({ length: n }, (_, i) => ({ id: i, vector: q.subarray(i * dim, (i + 1) * dim) }));
    await o.store.upsert(scratch, points);
    const maxF = Math.max(...o.oversamples);
    const sums = o.oversamples.map(() => ({ first: 0, re: 0 }));
    const resident = kernels.allocF32(set.vectors.length, set.vectors);
    try {
      const batch = 32;
      for (let b = 0; b < o.queries.length; b += batch) {
        const qs = Array.from(o.queries.subarray(b, b + batch));
        const results = await o.store.nearestBatch({
          collection: scratch, limit: k * maxF + 1, withPayload: false,
          queries: qs.map((r) => ({ vector: set.vectors.subarray(r * dim, (r + 1) * dim) })),
        });
        qs.forEach((r, qi) => {
          const query = resident.view().subarray(r * dim, (r + 1) * dim);
          const exact = kernels.nearest({ query, vectors: resident, dim, k: k + 1 });
          const truth = new Set(Array.from(exact.indices).filter((i) => i !== r).slice(0, k));
          const pool = results[qi]!.map((h) => Number(h.id)).filter((i) => i !== r);
          o.oversamples.forEach((f, fi) => {
            const cand = pool.slice(0, k * f);
            sums[fi]!.first += cand.slice(0, k).filter((i) => truth.has(i)).length / k;
            const rows = Int32Array.from(cand);
            const top = kernels.nearest({ query, vectors: resident, dim, k, rows });
            sums[fi]!.re += Array.from(top.indices).filter((i) => truth.has(i)).length / k;
          });
        });
        o.onProgress?.(Math.min(b + batch, o.queries.length), o.queries.length);
      }
    } finally {
      resident.free();
    }
    const m = o.queries.length || 1;
    return {
      bits: o.bits, k, queries: o.queries.length,
      rows: o.oversamples.map((f, i) => ({ oversample: f, firstStage: sums[i]!.first / m, reranked: sums[i]!.re / m })),
    };
  } finally {
    await o.store.deleteCollection(scratch);
  }
}
