/**
 * The P×K batch sampler: each batch holds P classes × K images of each, so
 * every anchor has positives and negatives to mine inside the batch.
 */

import { InputError } from "../errors.js";
import { shuffleInPlace } from "./random.js";

/** Checked sampler settings. */
export interface PKOptions {
  /** Classes per batch (P), ≥ 2. */
  classesPerBatch: number;
  /** Images per class (K), ≥ 2. */
  perClass: number;
}

/**
 * Check that a labeled set and P×K allow mining: ≥ 2 classes, ≥ 2 images in
 * every class, 2 ≤ P ≤ classes, K ≥ 2.
 * @returns the row indices of each class, by class in ascending label order.
 * @throws InputError saying which condition fails and how to fix it.
 */
export function checkPK(labels: Int32Array, o: PKOptions, where = "train"): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => {
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  });
  const sorted = new Map([...byClass.entries()].sort((a, b) => a[0] - b[0]));
  if (sorted.size < 2) {
    throw new InputError(`${where}: the data has ${sorted.size} class${sorted.size === 1 ? "" : "es"}; triplet and contrastive training need at least 2 labels`);
  }
  const small = [...sorted.entries()].filter(([, v]) => v.length < 2);
  if (small.length) {
    throw new InputError(
      `${where}: class${small.length > 1 ? "es" : ""} ${small.map(([l, v]) => `${l} (${v.length} image)`).join(", ")} ` +
        `need at least 2 images each to form a positive pair; add images or drop the class`,
    );
  }
  const { classesPerBatch: P, perClass: K } = o;
  if (!Number.isInteger(P) || P < 2) throw new InputError(`${where}: classes per batch must be an integer ≥ 2, got ${P}`);
  if (!Number.isInteger(K) || K < 2) {
    throw new InputError(`${where}: the batch is too small for P×K mining: ${P} classes × ${K} images per class; each class needs ≥ 2 images per batch, so use a batch size ≥ ${2 * P} or fewer classes per batch`);
  }
  if (P > sorted.size) throw new InputError(`${where}: ${P} classes per batch, but the data has only ${sorted.size} classes; lower --classes-per-batch`);
  return sorted;
}

/**
 * One epoch of P×K batches, about `labels.length / (P·K)` of them. Classes
 * are drawn uniformly without repeats inside a batch; images cycle through a
 * per-class shuffled pool, so every image appears about once per epoch.
 * Deterministic for a given `random`.
 */
export function pkEpoch(byClass: Map<number, number[]>, o: PKOptions, random: () => number): Int32Array[] {
  const { classesPerBatch: P, perClass: K } = o;
  const classes = [...byClass.keys()];
  const pools = new Map<number, { items: number[]; at: number }>();
  for (const [c, items] of byClass) pools.set(c, { items: shuffleInPlace([...items], random), at: 0 });
  const total = [...byClass.values()].reduce((a, v) => a + v.length, 0);
  const batches = Math.max(1, Math.floor(total / (P * K)));
  const out: Int32Array[] = [];
  for (let b = 0; b < batches; b++) {
    const chosen = shuffleInPlace([...classes], random).slice(0, P);
    const batch = new Int32Array(P * K);
    let j = 0;
    for (const c of chosen) {
      const pool = pools.get(c)!;
      for (let r = 0; r < K; r++) {
        if (pool.at >= pool.items.length) {
          shuffleInPlace(pool.items, random);
          pool.at = 0;
        }
        batch[j++] = pool.items[pool.at++]!;
      }
    }
    out.push(batch);
  }
  return out;
}
