/**
 * Encoder + adapter as one ONNX model: the adapter's MatMul / Add / Relu
 * nodes are appended to an existing model's graph, so the output keeps its
 * name and the model card's input contract is unchanged.
 *
 *   linear  embedding = MatMul(encoder_out, I + Wt)
 *   mlp     embedding = Add(encoder_out, Add(MatMul(Relu(Add(MatMul(encoder_out, W1t), b1)), W2t), b2))
 *
 * The graph is read and written with the onnx.proto subset of
 * onnx-export.ts; a model that uses fields outside it is refused rather than
 * re-written with those fields lost.
 */

import { ModelError } from "../errors.js";
import { adapterLayout, type AdapterShape } from "../kernels/index.js";
import { onnxTypes } from "./onnx-export.js";

/** An adapter's weights, laid out as src/kernels/adapter.ts says. */
export interface AdapterWeights extends AdapterShape {
  params: Float32Array;
}

const FLOAT = 1;

interface Graph {
  node: { input: string[]; output: string[]; name?: string; op_type: string; attribute?: object[] }[];
  initializer: { name: string }[];
  output: { name: string }[];
  name?: string;
}

/**
 * Append `adapter` to the ONNX model `onnx` after its output `outputName`.
 * @param o.metadata Extra metadata_props (e.g. the base model and the gate's verdict).
 * @returns the combined model's bytes.
 * @throws ModelError when the model cannot be read, lacks the output, or uses ONNX fields this writer does not carry.
 */
export function appendAdapterToOnnx(
  onnx: Uint8Array, adapter: AdapterWeights, o: { outputName: string; where?: string; metadata?: Record<string, string> },
): Uint8Array {
  const where = o.where ?? "the model";
  const { Model } = onnxTypes();
  let model: Record<string, any>;
  try {
    model = Model.toObject(Model.decode(onnx), { defaults: false, arrays: true, longs: Number }) as Record<string, any>;
  } catch (cause) {
    throw new ModelError(`${where} is not a readable ONNX model: ${(cause as Error).message}`, { cause });
  }
  const again = Model.encode(Model.fromObject(model)).finish();
  if (again.length !== onnx.length || !again.every((b, i) => b === onnx[i])) {
    throw new ModelError(
      `${where} uses ONNX fields that margin's exporter does not write, so adding the adapter would drop them; ` +
        `re-embed with the adapter in margin instead (margin adapt re-embeds stored vectors)`,
    );
  }
  const graph = model.graph as Graph;
  const out = graph?.output?.find((v) => v.name === o.outputName);
  const producer = graph?.node?.find((n) => n.output.includes(o.outputName));
  if (!out || !producer) {
    throw new ModelError(`${where} has no output "${o.outputName}" (outputs: ${graph?.output?.map((v) => v.name).join(", ") || "none"}); fix output.name in the card`);
  }
  const { dim, hidden: h, kind, params } = adapter;
  const L = adapterLayout(adapter);
  if (params.length !== L.params) throw new ModelError(`the ${kind} adapter needs ${L.params} parameters, got ${params.length}`);
  const base = "encoder_embedding";
  producer.output = producer.output.map((x) => (x === o.outputName ? base : x));
  for (const n of graph.node) n.input = n.input.map((x) => (x === o.outputName ? base : x));
  const tensor = (name: string, dims: number[], data: Float32Array) => {
    graph.initializer.push({ name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) } as never);
    return name;
  };
  let k = 0;
  const node = (op: string, inputs: string[], output?: string) => {
    const name = output ?? `adapter_${op.toLowerCase()}_${k}`;
    graph.node.push({ op_type: op, name: `Adapter${op}_${k++}`, input: inputs, output: [name] });
    return name;
  };
  if (kind === "linear") {
    const m = params.slice(L.w1, L.w1 + dim * dim);
    for (let i = 0; i < dim; i++) m[i * dim + i] = m[i * dim + i]! + 1;
    node("MatMul", [base, tensor("adapter.weight", [dim, dim], m)], o.outputName);
  } else {
    const W1 = tensor("adapter.w1", [dim, h], params.slice(L.w1, L.w1 + dim * h));
    const B1 = tensor("adapter.b1", [h], params.slice(L.b1, L.b1 + h));
    const W2 = tensor("adapter.w2", [h, dim], params.slice(L.w2, L.w2 + h * dim));
    const B2 = tensor("adapter.b2", [dim], params.slice(L.b2, L.b2 + dim));
    const hid = node("Relu", [node("Add", [node("MatMul", [base, W1]), B1])]);
    const res = node("Add", [node("MatMul", [hid, W2]), B2]);
    node("Add", [base, res], o.outputName);
  }
  const meta = new Map<string, string>((model.metadata_props ?? []).map((p: { key: string; value: string }) => [p.key, p.value]));
  for (const [key, value] of Object.entries(o.metadata ?? {})) meta.set(key, value);
  meta.set("margin.adapter", JSON.stringify({ kind, dim, hidden: h }));
  model.metadata_props = [...meta].map(([key, value]) => ({ key, value }));
  graph.name = `${graph.name ?? "encoder"}+adapter`;
  return Model.encode(Model.fromObject(model)).finish();
}
