import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { parseModelCard } from "../../src/model/card.js";
import { loadIdx } from "../../src/data/idx.js";
import { Kernels } from "../../src/kernels/index.js";
import { retrievalMetrics } from "../../src/train/metrics.js";

const MODELS = new URL("../../models/", import.meta.url);

describe("the shipped models/fashion-mnist-triplet-64", () => {
  it("has a valid card with the command, the test metrics and the untrained baseline", async () => {
    const card = parseModelCard(JSON.parse(await readFile(new URL("fashion-mnist-triplet-64.json", MODELS), "utf8")), "fashion-mnist-triplet-64.json");
    expect(card.training!.command).toMatch(/^margin train /);
    const m = card.metrics as { test: Record<string, number>; untrained: Record<string, number> };
    for (const k of ["precisionAt1", "rPrecision", "mapAtR"]) {
      expect(m.test[k]).toBeGreaterThan(m.untrained[k]!);
    }
    expect(m.test.queries).toBe(10000);
  });

  it("embeds the committed test subset well in onnxruntime-node, preprocessed from the card alone", async () => {
    const card = parseModelCard(JSON.parse(await readFile(new URL("fashion-mnist-triplet-64.json", MODELS), "utf8")), "card");
    const s = await ort.InferenceSession.create(new URL("fashion-mnist-triplet-64.onnx", MODELS).pathname);
    const test = await loadIdx({ dir: new URL("../fixtures/idx/", import.meta.url).pathname, split: "test" });
    const x = Float32Array.from(test.pixels, (p) => (p / 255 - card.input.mean[0]!) / card.input.std[0]!);
    const r = await s.run({ [card.input.name]: new ort.Tensor("float32", x, [test.count, 1, 28, 28]) });
    const emb = r[card.output.name]!.data as Float32Array;
    expect(emb.length).toBe(test.count * card.output.dim);
    const k = await Kernels.load();
    const got = retrievalMetrics(k, { embeddings: emb, labels: test.labels, dim: card.output.dim });
    expect(got.precisionAt1).toBeGreaterThan(0.8);
  });
});
