import { describe, expect, it } from "vitest";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { planNet, initParams } from "../../src/nn/plan.js";
import { referenceForward } from "../helpers/reference-forward.js";
import { exportOnnx, onnxTypes, ONNX_OPSET } from "../../src/nn/onnx-export.js";
import { gaussian } from "../helpers/random.js";
import { Kernels } from "../../src/kernels/index.js";
import { WasmNet } from "../../src/nn/wasm-net.js";

const N = 64;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

describe("exportOnnx", () => {
  const plan = planNet();
  // trained-looking scale: small weights so activations stay O(1)
  const params = initParams(plan, 7);
  for (let i = 0; i < params.length; i++) params[i]! *= 0.7;
  const images = gaussian(N * 28 * 28, 11);
  const want = referenceForward(plan, params, images, N);
  const bytes = exportOnnx(plan, params, { metadata: { note: "test" } });

  it("writes a model with opset >= 13, a dynamic batch dim and the expected ops", () => {
    const m = onnxTypes().Model.toObject(onnxTypes().Model.decode(bytes), { longs: Number }) as any;
    expect(m.opset_import[0].version).toBeGreaterThanOrEqual(13);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(13);
    expect(m.graph.input[0].name).toBe("input");
    expect(m.graph.output[0].name).toBe("embedding");
    expect(m.graph.input[0].type.tensor_type.shape.dim[0].dim_param).toBe("batch");
    const ops = new Set(m.graph.node.map((n: any) => n.op_type));
    expect([...ops].sort()).toEqual(["Conv", "Flatten", "Gemm", "LeakyRelu", "MaxPool"]);
  });

  it("onnxruntime-node reproduces the reference forward pass within 1e-4 on 64 images", async () => {
    const s = await ortNode.InferenceSession.create(bytes);
    const r = await s.run({ input: new ortNode.Tensor("float32", images, [N, 1, 28, 28]) });
    expect(r.embedding!.dims).toEqual([N, 64]);
    expect(maxAbs(r.embedding!.data as Float32Array, want)).toBeLessThan(1e-4);
    // the batch dimension is dynamic
    const one = await s.run({ input: new ortNode.Tensor("float32", images.slice(0, 784), [1, 1, 28, 28]) });
    expect(maxAbs(one.embedding!.data as Float32Array, want.subarray(0, 64))).toBeLessThan(1e-4);
  });

  it("the trainer's wasm forward pass agrees with the reference (so with both runtimes)", async () => {
    const net = new WasmNet(await Kernels.load(), plan, N);
    net.setParams(params);
    expect(maxAbs(net.forward(images, N), want)).toBeLessThan(1e-4);
    net.free();
  });

  it("onnxruntime-web (wasm backend) reproduces it within 1e-4 on 64 images", async () => {
    ortWeb.env.wasm.numThreads = 1;
    const s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
    const r = await s.run({ input: new ortWeb.Tensor("float32", images, [N, 1, 28, 28]) });
    expect(maxAbs(r.embedding!.data as Float32Array, want)).toBeLessThan(1e-4);
  });

  it("exports a 2-D embedding with hidden widths of any size", async () => {
    const p2 = planNet({ conv: [8, 12], dense: [16], dim: 2 });
    const w2 = initParams(p2, 3);
    const x = images.slice(0, 4 * 784);
    const s = await ortNode.InferenceSession.create(exportOnnx(p2, w2));
    const r = await s.run({ input: new ortNode.Tensor("float32", x, [4, 1, 28, 28]) });
    expect(maxAbs(r.embedding!.data as Float32Array, referenceForward(p2, w2, x, 4))).toBeLessThan(1e-4);
  });
});
