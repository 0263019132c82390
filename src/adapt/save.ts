/**
 * Encoder + adapter saved as one model: `NAME.onnx` (the base graph with
 * the adapter's nodes appended) and `NAME.json`, a model card with the base
 * card's input contract and an `adapter` record: the base model's name and
 * the SHA-256 of its ONNX bytes, the adapter's shape, its training record
 * and the gate's verdict.
 */

import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { InputError, ModelError } from "../errors.js";
import { loadModelCard } from "../model/session-node.js";
import { appendAdapterToOnnx } from "../nn/onnx-adapter.js";
import type { ModelCard } from "../model/card.js";
import { checkAdapter } from "./adapter.js";
import type { AdaptResult } from "./adapt.js";
import type { Adapter } from "./types.js";

/** The card's `adapter` record. */
export interface AdapterRecord {
  kind: Adapter["kind"];
  dim: number;
  hidden: number;
  /** The frozen encoder: its card name and the SHA-256 of its ONNX file. */
  base: { name: string; onnxSha256: string };
  training?: AdaptResult["training"];
  gate?: AdaptResult["gate"];
  validation?: AdaptResult["validation"];
}

/** A model card with the adapter it carries. */
export type AdaptedModelCard = ModelCard & { adapter: AdapterRecord };

/**
 * Write `dir/NAME.onnx` and `dir/NAME.json` for the base model `baseCard`
 * followed by `adapter`.
 * @returns the card path and the card.
 * @throws InputError for a bad name or an adapter whose dim differs from the model's; ModelError for an unreadable base.
 * @example
 * await saveAdaptedModel({ baseCard: "models/fashion-mnist-triplet-64.json", adapter: r.adapter, result: r, name: "shoes-adapted", dir: "models" });
 */
export async function saveAdaptedModel(o: {
  baseCard: string; adapter: Adapter; name: string; dir: string; result?: AdaptResult;
}): Promise<{ cardPath: string; card: AdaptedModelCard }> {
  if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new InputError(`saveAdaptedModel: name must be a word of letters, digits, . _ -, got ${JSON.stringify(o.name)}`);
  const base = await loadModelCard(o.baseCard);
  const adapter = checkAdapter(o.adapter, "saveAdaptedModel");
  if (adapter.dim !== base.output.dim) {
    throw new InputError(`saveAdaptedModel: the adapter maps vectors of size ${adapter.dim} but model "${base.name}" outputs ${base.output.dim}; train the adapter on this model's vectors`);
  }
  const onnxPath = join(dirname(resolve(o.baseCard)), base.onnx ?? `${base.name}.onnx`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(onnxPath));
  } catch (cause) {
    throw new ModelError(`cannot read the base model ${onnxPath}: ${(cause as Error).message}`, { cause });
  }
  const onnxSha256 = createHash("sha256").update(bytes).digest("hex");
  const combined = appendAdapterToOnnx(bytes, adapter, {
    outputName: base.output.name, where: onnxPath,
    metadata: { "margin.base": `${base.name} sha256:${onnxSha256}`, ...(o.result ? { "margin.gate": o.result.gate.reason } : {}) },
  });
  const record: AdapterRecord = { kind: adapter.kind, dim: adapter.dim, hidden: adapter.hidden, base: { name: base.name, onnxSha256 } };
  if (o.result) Object.assign(record, { training: o.result.training, gate: o.result.gate, validation: o.result.validation });
  const { metrics: _baseMetrics, ...rest } = base;
  const card: AdaptedModelCard = { ...rest, name: o.name, onnx: `${o.name}.onnx`, adapter: record };
  await mkdir(o.dir, { recursive: true });
  await writeFile(join(o.dir, `${o.name}.onnx`), combined);
  const cardPath = join(o.dir, `${o.name}.json`);
  await writeFile(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  return { cardPath, card };
}
