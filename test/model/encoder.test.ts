import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Encoder, InputError, ModelError } from "../../src/index.js";
import { missingCudaProvider } from "../../src/model/session-node.js";
import { rng } from "../helpers/random.js";

const MODEL = "models/fashion-mnist-triplet-64.json";
let enc: Encoder;
let tmp: string;

beforeAll(async () => {
  enc = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
  tmp = await mkdtemp(join(tmpdir(), "margin-encoder-"));
});
afterAll(async () => {
  await enc?.close();
  await rm(tmp, { recursive: true, force: true });
});

function images(n: number, seed: number): Float32Array[] {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const data = Uint8Array.from({ length: 28 * 28 }, () => Math.floor(rand() * 256));
    return enc.preprocess({ data, width: 28, height: 28, channels: 1 });
  });
}

describe("Encoder", () => {
  it("loads the card and its ONNX file and embeds batches", async () => {
    expect(enc.card.name).toBe("fashion-mnist-triplet-64");
    expect([enc.device, enc.dim, enc.inputSize]).toEqual(["cpu", 64, 784]);
    const xs = images(5, 7);
    const batch = await enc.embed(xs);
    expect(batch.length).toBe(5 * 64);
    // a batch gives what one-by-one gives
    for (let i = 0; i < 5; i++) {
      const one = await enc.embed([xs[i]!]);
      for (let d = 0; d < 64; d++) expect(one[d]).toBeCloseTo(batch[i * 64 + d]!, 4);
    }
    const packed = new Float32Array(2 * 784);
    packed.set(xs[0]!, 0);
    packed.set(xs[1]!, 784);
    expect(Array.from(await enc.embed(packed))).toEqual(Array.from(await enc.embed(xs.slice(0, 2))));
  });

  it("falls back from auto to the CPU with one warning naming what is missing", async () => {
    const missing = missingCudaProvider();
    const warnings: string[] = [];
    const e = await Encoder.load({ model: MODEL, device: "auto", threads: 1, logger: { warn: (m) => warnings.push(m) } });
    await e.close();
    if (!missing) {
      console.warn("encoder test: a CUDA provider is installed here; the fallback warning was not exercised");
      return;
    }
    expect(e.device).toBe("cpu");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("libonnxruntime_providers_cuda.so is missing");
    expect(warnings[0]).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js");
    await expect(Encoder.load({ model: MODEL, device: "cuda" })).rejects.toThrow(ModelError);
  });

  it("refuses bad options, batches and cards with clear errors", async () => {
    await expect(Encoder.load({ model: MODEL, device: "gpu" as "cpu" })).rejects.toThrow('Unsupported device "gpu". Should be one of: auto, cuda, cpu');
    await expect(Encoder.load({ model: MODEL, threads: 0 })).rejects.toThrow(InputError);
    await expect(Encoder.load({ model: "models/nope.json" })).rejects.toThrow(/model card models\/nope.json cannot be read \(ENOENT\)/);
    await expect(Encoder.load({ model: "models/fashion-mnist-triplet-64.onnx" })).rejects.toThrow(/expected the model card/);
    await expect(enc.embed([])).rejects.toThrow("embed: the batch is empty");
    await expect(enc.embed([new Float32Array(10)])).rejects.toThrow("embed: tensor 0 has 10 floats, expected 784 (1×28×28)");
    await expect(enc.embed(new Float32Array(785))).rejects.toThrow(InputError);
  });

  it("checks the output size and the names against the card", async () => {
    const card = JSON.parse(await readFile(MODEL, "utf8"));
    await copyFile("models/fashion-mnist-triplet-64.onnx", join(tmp, "fashion-mnist-triplet-64.onnx"));
    await writeFile(join(tmp, "wrong-dim.json"), JSON.stringify({ ...card, output: { ...card.output, dim: 32 } }));
    const wrong = await Encoder.load({ model: join(tmp, "wrong-dim.json"), device: "cpu", threads: 1 });
    await expect(wrong.embed(images(1, 1))).rejects.toThrow(/has shape \[1, 64\] but the card says \[1, 32\]; fix output.dim/);
    await wrong.close();
    await writeFile(join(tmp, "wrong-name.json"), JSON.stringify({ ...card, output: { ...card.output, name: "features" } }));
    await expect(Encoder.load({ model: join(tmp, "wrong-name.json"), device: "cpu" })).rejects.toThrow(/names input "input" and output "features" but the model has inputs \[input\] and outputs \[embedding\]/);
    await writeFile(join(tmp, "broken.onnx"), "not onnx");
    await writeFile(join(tmp, "broken.json"), JSON.stringify({ ...card, name: "broken", onnx: "broken.onnx" }));
    await expect(Encoder.load({ model: join(tmp, "broken.json"), device: "cpu" })).rejects.toThrow(/onnxruntime cannot load it/);
  });
});
