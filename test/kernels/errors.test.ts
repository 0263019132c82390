import { beforeAll, describe, expect, it } from "vitest";
import { InputError, KernelError, Kernels } from "../../src/index.js";

describe("bad input is a typed error that says what is wrong", () => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load({ target: "debug" });
  });
  const x = Float32Array.of(0, 0, 1, 1, 5, 5, 6, 6);
  const labels = [0, 0, 1, 1];

  const cases: Array<[string, () => unknown, RegExp]> = [
    ["dimension mismatch", () => k.distances({ queries: new Float32Array(3), vectors: x, dim: 2 }), /3 values.*not a whole number of rows of dim 2/],
    ["dim not positive", () => k.pairwise({ vectors: x, dim: 0 }), /dim must be a positive integer, got 0/],
    ["empty batch", () => k.tripletLoss({ embeddings: new Float32Array(0), labels: [], dim: 2, margin: 1 }), /embeddings is empty/],
    ["single class", () => k.tripletLoss({ embeddings: x, labels: [3, 3, 3, 3], dim: 2, margin: 1 }), /all 4 labels are 3: a single class/],
    ["no positive pair", () => k.tripletLoss({ embeddings: x, labels: [0, 1, 2, 3], dim: 2, margin: 1 }), /no positive pair/],
    ["labels of the wrong length", () => k.contrastiveLoss({ embeddings: x, labels: [0, 1], dim: 2, margin: 1 }), /labels has length 2 but there are 4 embeddings/],
    ["non-integer label", () => k.contrastiveLoss({ embeddings: x, labels: [0, 1, 0.5, 1], dim: 2, margin: 1 }), /labels\[2\] must be a 32-bit integer, got 0.5/],
    ["NaN embedding", () => k.tripletLoss({ embeddings: Float32Array.of(0, 0, 1, NaN, 5, 5, 6, 6), labels, dim: 2, margin: 1 }), /embeddings\[row 1, col 1\] is NaN/],
    ["NaN vector in distances", () => k.distances({ queries: Float32Array.of(1, 1), vectors: Float32Array.of(0, 0, Infinity, 0), dim: 2 }), /vectors\[row 1, col 0\] is Infinity/],
    ["zero vector under cosine", () => k.distances({ queries: Float32Array.of(1, 1), vectors: Float32Array.of(0, 0), dim: 2, metric: "cosine" }), /zero norm/],
    ["margin ≤ 0", () => k.tripletLoss({ embeddings: x, labels, dim: 2, margin: 0 }), /margin must be a finite number > 0, got 0/],
    ["unknown mining", () => k.tripletLoss({ embeddings: x, labels, dim: 2, margin: 1, mining: "hardest" as never }), /unsupported mining "hardest". Should be one of: "batch-all", "batch-hard", "semi-hard"/],
    ["unknown metric", () => k.distances({ queries: x, vectors: x, dim: 2, metric: "euclid" as never }), /unsupported metric "euclid"/],
    ["k > N", () => k.topK({ scores: Float32Array.of(1, 2, 3), k: 4 }), /k = 4 is larger than the 3 scores/],
    ["k = 0", () => k.topK({ scores: Float32Array.of(1, 2, 3), k: 0 }), /k must be a positive integer, got 0/],
    ["NaN score", () => k.topK({ scores: Float32Array.of(1, NaN, 3), k: 1 }), /scores\[1\] is NaN/],
    ["row out of range", () => k.nearest({ query: Float32Array.of(0, 0), vectors: x, dim: 2, k: 1, rows: Int32Array.of(4) }), /rows\[0\] = 4 is outside the 4 vectors/],
    ["query of the wrong size", () => k.rerank({ mode: "exact", query: x, candidates: x, dim: 2 }), /query must be one vector of dim 2, got 8 values/],
    ["contrastive re-rank without a margin", () => k.rerank({ mode: "contrastive", query: Float32Array.of(0, 0), candidates: x, dim: 2 }), /margin must be a finite number > 0, got undefined/],
    ["overflowing embeddings", () => k.tripletLoss({ embeddings: Float32Array.of(0, 0, 1e30, 1e30, 5, 5, 6, 6), labels, dim: 2, margin: 1 }), /overflows f32/],
  ];

  it.each(cases)("%s", (_name, fn, message) => {
    expect(fn).toThrow(InputError);
    expect(fn).toThrow(message);
  });

  it("a non-wasm source is a KernelError naming the problem", async () => {
    await expect(Kernels.load({ wasm: new Uint8Array([1, 2, 3]) })).rejects.toThrow(KernelError);
    await expect(Kernels.load({ target: "fast" as never })).rejects.toThrow(/unsupported target "fast"/);
  });

  it("after an error the kernels still work and hold no leaked scratch", () => {
    const before = k.allocatedBytes;
    for (let i = 0; i < 100; i++) expect(() => k.tripletLoss({ embeddings: x, labels: [1, 1, 1, 1], dim: 2, margin: 1 })).toThrow();
    expect(k.tripletLoss({ embeddings: x, labels, dim: 2, margin: 1 }).valid).toBe(8);
    expect(k.allocatedBytes).toBe(before);
  });
});
