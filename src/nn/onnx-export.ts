/**
 * ONNX export of a trained {@link NetPlan}, written by margin itself with
 * protobufjs: the subset of onnx.proto (ONNX IR 8) that the encoder needs is
 * declared below and turned into reflection types; nothing is downloaded.
 *
 * Graph: input "input" `[batch, C, H, W]` (NCHW, dynamic "batch") → per conv
 * layer Conv(3×3, pads 1) → LeakyRelu, per block MaxPool(2×2, stride 2) →
 * Flatten(axis 1) → Gemm → LeakyRelu … → Gemm → output "embedding" `[batch, dim]`.
 * The trainer keeps NHWC / HWIO layouts; weights are permuted here to ONNX's
 * OIHW, and the first dense layer's rows from (h, w, c) to (c, h, w) order.
 */

import protobuf from "protobufjs";
import type { NetPlan } from "./plan.js";

const ONNX_SUBSET = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
  optional AttributeType type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string doc_string = 6; optional string domain = 7;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; optional string producer_name = 2;
  optional string producer_version = 3; optional string domain = 4; optional int64 model_version = 5;
  optional string doc_string = 6; optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; optional string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message TensorProto {
  enum DataType { UNDEFINED = 0; FLOAT = 1; INT64 = 7; }
  repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; optional bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
`;

/** The ONNX opset the export targets. */
export const ONNX_OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

let root: protobuf.Root | undefined;
/** The reflection types of the onnx.proto subset (parsed once). */
export function onnxTypes(): { Model: protobuf.Type } {
  root ??= protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;
  return { Model: root.lookupType("onnx.ModelProto") };
}

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** Input tensor name. Default "input". */
  inputName?: string;
  /** Output tensor name. Default "embedding". */
  outputName?: string;
  /** Graph name. Default "margin-encoder". */
  graphName?: string;
  /** Free-form metadata stored as metadata_props (e.g. the training command). */
  metadata?: Record<string, string>;
}

/**
 * Serialize a network and its flat parameter buffer as an ONNX model.
 * @returns the `.onnx` bytes.
 * @example
 * const bytes = exportOnnx(planNet(), params);
 * await writeFile("models/my.onnx", bytes);
 */
export function exportOnnx(plan: NetPlan, params: Float32Array, options: OnnxExportOptions = {}): Uint8Array {
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "embedding";
  const { height, width, channels, leak, dim } = plan.config;
  const nodes: object[] = [];
  const inits: object[] = [];
  let cur = inputName;
  let n = 0;
  const tensor = (name: string, dims: number[], data: Float32Array) => {
    inits.push({ name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() });
    return name;
  };
  const node = (op: string, inputs: string[], attribute: object[] = [], out?: string) => {
    const o = out ?? `${op.toLowerCase()}_${n}`;
    nodes.push({ op_type: op, name: `${op}_${n++}`, input: inputs, output: [o], attribute });
    cur = o;
  };
  const ints = (name: string, v: number[]) => ({ name, type: ATTR.INTS, ints: v });
  const last = plan.layers.length - 1;
  plan.layers.forEach((l, li) => {
    if (l.kind === "conv") {
      const w = new Float32Array(l.cout * l.cin * 9);
      for (let o = 0; o < l.cout; o++) for (let c = 0; c < l.cin; c++) for (let k = 0; k < 9; k++) {
        w[(o * l.cin + c) * 9 + k] = params[l.wOff + (k * l.cin + c) * l.cout + o]!;
      }
      const W = tensor(`conv${li}.weight`, [l.cout, l.cin, 3, 3], w);
      const B = tensor(`conv${li}.bias`, [l.cout], params.slice(l.bOff, l.bOff + l.cout));
      node("Conv", [cur, W, B], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), ints("strides", [1, 1])]);
    } else if (l.kind === "lrelu") {
      node("LeakyRelu", [cur], [{ name: "alpha", type: ATTR.FLOAT, f: leak }]);
    } else if (l.kind === "pool") {
      node("MaxPool", [cur], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]);
    } else {
      let w: Float32Array = params.slice(l.wOff, l.wOff + l.nin * l.nout);
      if (li > 0 && plan.layers.findIndex((x) => x.kind === "dense") === li) {
        node("Flatten", [cur], [{ name: "axis", type: ATTR.INT, i: 1 }]);
        w = hwcToChw(w, plan.flat, l.nout);
      }
      const W = tensor(`dense${li}.weight`, [l.nin, l.nout], w);
      const B = tensor(`dense${li}.bias`, [l.nout], params.slice(l.bOff, l.bOff + l.nout));
      node("Gemm", [cur, W, B], [], li === last ? outputName : undefined);
    }
  });
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => (typeof d === "string" ? { dim_param: d } : { dim_value: d })) } } },
  });
  const { Model } = onnxTypes();
  const model = Model.fromObject({
    ir_version: IR_VERSION,
    opset_import: [{ domain: "", version: ONNX_OPSET }],
    producer_name: "margin",
    producer_version: "0.1.0",
    graph: {
      name: options.graphName ?? "margin-encoder",
      node: nodes,
      initializer: inits,
      input: [valueInfo(inputName, ["batch", channels, height, width])],
      output: [valueInfo(outputName, ["batch", dim])],
    },
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return Model.encode(model).finish();
}

/** Reorder the rows of a `[h·w·c, nout]` matrix from (h, w, c) to (c, h, w). */
function hwcToChw(w: Float32Array, f: { h: number; w: number; c: number }, nout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < f.h; y++) for (let x = 0; x < f.w; x++) for (let c = 0; c < f.c; c++) {
    const src = ((y * f.w + x) * f.c + c) * nout;
    const dst = ((c * f.h + y) * f.w + x) * nout;
    out.set(w.subarray(src, src + nout), dst);
  }
  return out;
}
