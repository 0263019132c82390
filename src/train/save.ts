/**
 * Writing a trained encoder as `NAME.onnx` + `NAME.json` (the model card,
 * docs/architecture.md) and checkpoints the trainer can resume from.
 */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportOnnx } from "../nn/onnx-export.js";
import { parseModelCard, type ModelCard, type ResizeRule, type TrainingRecord } from "../model/card.js";
import type { NetPlan } from "../nn/plan.js";

/** Fashion-MNIST's pixel mean and standard deviation (of pixel/255), used by the trainer's input normalization. */
export const FASHION_MNIST_NORM = { mean: 0.2860, std: 0.3530 } as const;

/** What {@link saveModel} writes next to the ONNX file. */
export interface SaveModelOptions {
  /** Folder, e.g. "models". */
  dir: string;
  /** Model name: files NAME.onnx and NAME.json. */
  name: string;
  plan: NetPlan;
  params: Float32Array;
  /** Normalization applied to pixel/255. */
  mean: number;
  std: number;
  /** How images are brought to the input size (as the training data was). Default "fill". */
  resize?: ResizeRule;
  training?: TrainingRecord;
  metrics?: Record<string, unknown>;
}

/**
 * Export the network to ONNX and write its card beside it.
 * @returns the paths written and the card.
 */
export async function saveModel(o: SaveModelOptions): Promise<{ onnx: string; card: string; modelCard: ModelCard }> {
  const { config } = o.plan;
  const card: ModelCard = {
    name: o.name,
    onnx: `${o.name}.onnx`,
    input: {
      name: "input", layout: "NCHW", channels: config.channels as 1 | 3, height: config.height, width: config.width,
      resize: o.resize ?? "fill", pad: 0, mean: Array(config.channels).fill(o.mean), std: Array(config.channels).fill(o.std),
    },
    output: { name: "embedding", dim: config.dim },
    distance: "Euclid",
    ...(o.training ? { training: o.training } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  };
  parseModelCard(card, `${o.name}.json`);
  await mkdir(o.dir, { recursive: true });
  const onnx = join(o.dir, `${o.name}.onnx`);
  const cardPath = join(o.dir, `${o.name}.json`);
  const metadata: Record<string, string> = { architecture: JSON.stringify(config) };
  if (o.training?.command) metadata.command = o.training.command;
  await writeFile(onnx, exportOnnx(o.plan, o.params, { metadata }));
  await writeFile(cardPath, JSON.stringify({ ...card, architecture: config }, null, 2) + "\n");
  return { onnx, card: cardPath, modelCard: card };
}
