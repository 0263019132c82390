import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Encoder, ModelError, decodeFile, identityAdapter, loadModelCard, saveAdaptedModel, type Adapter,
} from "../../src/index.js";
import { applyAdapterReference } from "../../src/adapt/adapter.js";
import { appendAdapterToOnnx } from "../../src/nn/onnx-adapter.js";
import { rng } from "../helpers/random.js";

const BASE = "models/fashion-mnist-triplet-64.json";

/** An adapter well away from the identity, so every weight shows in the output. */
function randomAdapter(kind: "linear" | "mlp", seed: number): Adapter {
  const a = identityAdapter({ kind, dim: 64, hidden: 48, seed });
  const r = rng(seed + 1);
  for (let i = 0; i < a.params.length; i++) a.params[i] = a.params[i]! + 0.3 * (r() - 0.5);
  return a;
}

describe("encoder + adapter as one ONNX model", () => {
  let dir: string;
  let base: Encoder;
  const tensors: Float32Array[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-adapt-onnx-"));
    base = await Encoder.load({ model: BASE, device: "cpu" });
    for (const cls of ["bag", "sneaker", "trouser"]) {
      const folder = join("samples/fashion-mnist", cls);
      for (const f of (await readdir(folder)).slice(0, 4)) tensors.push(base.preprocess(await decodeFile(join(folder, f))));
    }
  });
  afterAll(async () => {
    await base?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["linear", "mlp"] as const)("onnxruntime's output of the combined %s model equals adapter(encoder(x)) within 1e-5", async (kind) => {
    const adapter = randomAdapter(kind, kind === "linear" ? 3 : 4);
    const { cardPath, card } = await saveAdaptedModel({ baseCard: BASE, adapter, name: `fm-${kind}`, dir });
    const combined = await Encoder.load({ model: cardPath, device: "cpu" });
    try {
      const got = await combined.embed(tensors);
      const want = applyAdapterReference(adapter, await base.embed(tensors));
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
      expect(err).toBeLessThan(1e-5);
      expect(got.length).toBe(tensors.length * 64);
    } finally {
      await combined.close();
    }
    const baseCard = await loadModelCard(BASE);
    const sha = (await import("node:crypto")).createHash("sha256").update(await readFile("models/fashion-mnist-triplet-64.onnx")).digest("hex");
    expect(card.adapter).toMatchObject({ kind, dim: 64, base: { name: "fashion-mnist-triplet-64", onnxSha256: sha } });
    expect(card.input).toEqual(baseCard.input);
    expect(card.output).toEqual(baseCard.output);
    expect(card.training).toEqual(baseCard.training);
  });

  it("an identity adapter leaves the encoder's output unchanged", async () => {
    const { cardPath } = await saveAdaptedModel({ baseCard: BASE, adapter: identityAdapter({ kind: "linear", dim: 64 }), name: "fm-id", dir });
    const combined = await Encoder.load({ model: cardPath, device: "cpu" });
    try {
      expect(Array.from(await combined.embed(tensors))).toEqual(Array.from(await base.embed(tensors)));
    } finally {
      await combined.close();
    }
  });

  it("refuses bad models and mismatched adapters with messages that say what to do", async () => {
    const a = identityAdapter({ kind: "linear", dim: 64 });
    expect(() => appendAdapterToOnnx(Uint8Array.of(1, 2, 3), a, { outputName: "embedding", where: "x.onnx" })).toThrow(ModelError);
    const bytes = new Uint8Array(await readFile("models/fashion-mnist-triplet-64.onnx"));
    expect(() => appendAdapterToOnnx(bytes, a, { outputName: "emb", where: "x.onnx" }))
      .toThrow(new ModelError('x.onnx has no output "emb" (outputs: embedding); fix output.name in the card'));
    await expect(saveAdaptedModel({ baseCard: BASE, adapter: identityAdapter({ kind: "linear", dim: 8 }), name: "x", dir }))
      .rejects.toThrow(/maps vectors of size 8 but model "fashion-mnist-triplet-64" outputs 64; train the adapter on this model's vectors/);
    await expect(saveAdaptedModel({ baseCard: BASE, adapter: a, name: "../up", dir })).rejects.toThrow(/name must be a word/);
    // a field outside margin's onnx.proto subset (ModelProto.training_info = 20) would be lost: refused
    const extra = new Uint8Array([...bytes, 0xa2, 0x01, 0]); // tag (20 << 3) | 2 as a varint, empty
    await writeFile(join(dir, "extra.onnx"), extra);
    expect(() => appendAdapterToOnnx(extra, a, { outputName: "embedding", where: "extra.onnx" })).toThrow(/uses ONNX fields that margin's exporter does not write/);
  });
});
