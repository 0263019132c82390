import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { checkPK, pkEpoch } from "../../src/data/sampler.js";
import { mulberry32 as seededRandom } from "../../src/data/random.js";

const labels = Int32Array.from({ length: 120 }, (_, i) => i % 6);

describe("P×K sampler", () => {
  it("every batch has P distinct classes × K images of each", () => {
    const by = checkPK(labels, { classesPerBatch: 4, perClass: 3 });
    const batches = pkEpoch(by, { classesPerBatch: 4, perClass: 3 }, seededRandom(1));
    expect(batches.length).toBe(10);
    for (const b of batches) {
      expect(b.length).toBe(12);
      const counts = new Map<number, number>();
      for (const i of b) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
      expect([...counts.values()]).toEqual([3, 3, 3, 3]);
    }
  });

  it("is deterministic for a seed and differs across seeds", () => {
    const by = checkPK(labels, { classesPerBatch: 3, perClass: 4 });
    const a = pkEpoch(by, { classesPerBatch: 3, perClass: 4 }, seededRandom(7));
    const b = pkEpoch(by, { classesPerBatch: 3, perClass: 4 }, seededRandom(7));
    const c = pkEpoch(by, { classesPerBatch: 3, perClass: 4 }, seededRandom(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("rejects one class, a class with one image, P > classes and K < 2", () => {
    const e1 = (() => { try { checkPK(new Int32Array(5), { classesPerBatch: 2, perClass: 2 }); } catch (e) { return e; } })() as Error;
    expect(e1).toBeInstanceOf(InputError);
    expect(e1.message).toMatch(/the data has 1 class; triplet and contrastive training need at least 2 labels/);
    expect(() => checkPK(Int32Array.from([0, 0, 1, 2, 2]), { classesPerBatch: 2, perClass: 2 })).toThrow(/class 1 \(1 image\) need at least 2 images each/);
    expect(() => checkPK(labels, { classesPerBatch: 8, perClass: 2 })).toThrow(/8 classes per batch, but the data has only 6 classes/);
    expect(() => checkPK(labels, { classesPerBatch: 4, perClass: 1 })).toThrow(/batch is too small for P×K mining: 4 classes × 1 images per class.*batch size ≥ 8/);
  });
});
