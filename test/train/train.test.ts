import { describe, expect, it } from "vitest";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../../src/errors.js";
import { loadIdx, type LabeledImages } from "../../src/data/idx.js";
import { train, type TrainProgress } from "../../src/train/index.js";

const FIX = new URL("../fixtures/idx/", import.meta.url).pathname;
const SMALL = { conv: [8, 16], dense: [32], dim: 16 };
const data = await loadIdx({ dir: FIX, split: "train" });
const test = await loadIdx({ dir: FIX, split: "test" });

describe("train() on the committed Fashion-MNIST subset", () => {
  it("the loss falls and test precision@1 rises above the untrained baseline", async () => {
    const events: TrainProgress[] = [];
    const r = await train({
      train: data, test, net: SMALL, epochs: 4, batchSize: 40, classesPerBatch: 10, lr: 3e-3, seed: 3, workers: 2,
      onProgress: (e) => events.push(e),
    });
    expect(events[0]!.status).toBe("baseline");
    expect(events.filter((e) => e.status === "epoch")).toHaveLength(4);
    const first = r.history[0]!, last = r.history[r.history.length - 1]!;
    expect(last.loss).toBeLessThan(first.loss);
    expect(r.test!.precisionAt1).toBeGreaterThan(r.baseline.test!.precisionAt1);
    expect(r.test!.mapAtR).toBeGreaterThan(r.baseline.test!.mapAtR!);
    expect(r.collapsed).toBe(false);
    for (const h of r.history) expect(h.easy + h.semiHard + h.hard).toBeCloseTo(1, 3);
  }, 120_000);

  it("the same seed gives the same weights; resuming from a checkpoint continues exactly", async () => {
    const base = { train: data, net: SMALL, batchSize: 40, classesPerBatch: 10, seed: 5, workers: 2, augment: "shift-flip" as const };
    const a = await train({ ...base, epochs: 2 });
    const b = await train({ ...base, epochs: 2 });
    expect(Buffer.compare(new Uint8Array(a.params.buffer), new Uint8Array(b.params.buffer))).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), "ckpt-"));
    const c = await train({ ...base, epochs: 2, checkpointDir: dir, seed: 5 });
    expect(Buffer.compare(new Uint8Array(c.params.buffer), new Uint8Array(a.params.buffer))).toBe(0);
    // a fresh run of 1 epoch, then resume to 2: the same weights as 2 in one go
    const dir2 = await mkdtemp(join(tmpdir(), "ckpt-"));
    await train({ ...base, epochs: 2, checkpointDir: dir2, resume: false, onProgress: (e) => { if (e.status === "batch" && e.epoch === 2) throw new Stop(); } }).catch((e) => {
      if (!(e instanceof Stop)) throw e;
    });
    const d = await train({ ...base, epochs: 2, checkpointDir: dir2, resume: true });
    expect(d.history).toHaveLength(2);
    expect(Buffer.compare(new Uint8Array(d.params.buffer), new Uint8Array(a.params.buffer))).toBe(0);
  }, 120_000);
});

class Stop extends Error {}

describe("mining choices and collapse detection", () => {
  const base = { train: data, test, net: SMALL, batchSize: 40, seed: 3, workers: 1 };

  it("batch-hard from random weights collapses, and the trainer says so", async () => {
    const warnings: string[] = [];
    const r = await train({ ...base, mining: "batch-hard", epochs: 1, logger: { warn: (m) => warnings.push(m) } });
    expect(r.collapsed).toBe(true);
    expect(warnings[0]).toMatch(/epoch 1: the embeddings have collapsed: spread .* loss 0\.500 ≈ margin 0\.5\. batch-hard from random weights does this; train with --mining batch-all, or warm up with --warmup-epochs 2/);
  });

  it("batch-hard after a batch-all warm start does not collapse and beats the baseline", async () => {
    const r = await train({ ...base, mining: "batch-hard", warmupEpochs: 2, epochs: 4, lr: 3e-3 });
    expect(r.history.map((h) => h.mining)).toEqual(["batch-all", "batch-all", "batch-hard", "batch-hard"]);
    expect(r.collapsed).toBe(false);
    expect(r.test!.precisionAt1).toBeGreaterThan(r.baseline.test!.precisionAt1);
  });

  for (const extra of [{ offlineMining: true }, { loss: "contrastive" as const }, { mining: "semi-hard" as const }]) {
    it(`${JSON.stringify(extra)} trains above the baseline`, async () => {
      const r = await train({ ...base, ...extra, epochs: 2, lr: 3e-3 });
      expect(r.collapsed).toBe(false);
      expect(r.test!.precisionAt1).toBeGreaterThan(r.baseline.test!.precisionAt1);
    });
  }
});

function subset(d: LabeledImages, keep: (label: number, i: number) => boolean): LabeledImages {
  const idx = [...d.labels.keys()].filter((i) => keep(d.labels[i]!, i));
  const pixels = new Uint8Array(idx.length * 784);
  idx.forEach((i, j) => pixels.set(d.pixels.subarray(i * 784, (i + 1) * 784), j * 784));
  return { ...d, count: idx.length, pixels, labels: Int32Array.from(idx, (i) => d.labels[i]!) };
}

describe("train() rejects bad input before any work", () => {
  const cases: [string, Parameters<typeof train>[0], RegExp][] = [
    ["one class", { train: subset(data, (l) => l === 0) }, /has 1 class; triplet and contrastive training need at least 2 labels/],
    ["a class with one image", { train: subset(data, (l, i) => l !== 3 || i === data.labels.indexOf(3)), classesPerBatch: 4, batchSize: 16 }, /class 3 \(1 image\) need at least 2 images/],
    ["margin 0", { train: data, margin: 0 }, /margin must be a number > 0, got 0/],
    ["a negative margin", { train: data, margin: -1 }, /margin must be a number > 0, got -1/],
    ["a batch too small for P×K", { train: data, batchSize: 12, classesPerBatch: 10 }, /batch is too small for P×K mining: 10 classes × 1 images per class/],
    ["more classes per batch than classes", { train: data, classesPerBatch: 12, batchSize: 48 }, /12 classes per batch, but the data has only 10 classes/],
    ["an unknown mining", { train: data, mining: "hardest" as never }, /unsupported mining "hardest". Should be one of: batch-all, batch-hard, semi-hard/],
    ["resume without a folder", { train: data, resume: true }, /resume needs checkpointDir/],
  ];
  for (const [name, opts, msg] of cases) {
    it(name, async () => {
      let events = 0;
      const e = await train({ ...opts, onProgress: () => events++ }).catch((x) => x);
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toMatch(msg);
      expect(events).toBe(0);
    });
  }
});
