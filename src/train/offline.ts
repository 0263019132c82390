/**
 * Offline mining: before an epoch, embed the whole training set and pair
 * each anchor with its nearest wrong-label image found in a random pool of
 * the training set. Batches are half P×(K/2) anchors, half those hard
 * negatives (with their true labels), so the online loss sees them.
 */

import type { Kernels } from "../kernels/index.js";
import { pkEpoch } from "../data/sampler.js";
import type { Replica } from "./replica.js";

const POOL = 8192;
const NEIGHBOURS = 16;

/** One epoch of batches built around offline-mined hard negatives. */
export async function offlineBatches(o: {
  k: Kernels; replicas: Replica[]; byClass: Map<number, number[]>; labels: Int32Array;
  P: number; K: number; dim: number; random: () => number;
  embed: (idx: Int32Array) => Promise<Float32Array>;
}): Promise<Int32Array[]> {
  const { k, labels, dim, random } = o;
  const half = Math.max(2, Math.floor(o.K / 2));
  const anchors = pkEpoch(o.byClass, { classesPerBatch: o.P, perClass: half }, random);
  const all = [...o.byClass.values()].flat();
  const pool = Int32Array.from({ length: Math.min(POOL, all.length) }, () => all[Math.floor(random() * all.length)]!);
  const poolEmb = await o.embed(pool);
  const resident = k.allocF32(poolEmb.length, poolEmb);
  try {
    const need = [...new Set(anchors.flatMap((b) => Array.from(b)))].sort((a, b) => a - b);
    const emb = await o.embed(Int32Array.from(need));
    const hardest = new Map<number, number>();
    need.forEach((a, i) => {
      const { indices } = k.nearest({ query: emb.subarray(i * dim, (i + 1) * dim), vectors: resident, dim, k: Math.min(NEIGHBOURS, pool.length) });
      let neg = -1;
      for (const j of indices) if (labels[pool[j]!] !== labels[a]) { neg = pool[j]!; break; }
      if (neg < 0) for (let t = 0; t < pool.length && neg < 0; t++) if (labels[pool[t]!] !== labels[a]) neg = pool[t]!;
      hardest.set(a, neg);
    });
    return anchors.map((b) => {
      const out = new Int32Array(2 * b.length);
      out.set(b);
      b.forEach((a, i) => (out[b.length + i] = hardest.get(a)! >= 0 ? hardest.get(a)! : a));
      return out;
    });
  } finally {
    resident.free();
  }
}
