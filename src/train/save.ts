/**
 * Writing a trained encoder as `NAME.onnx` + `NAME.json` (the model card,
 * docs/architecture.md) and checkpoints the trainer can resume from.
 */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportOnnx } from "../nn/onnx-export.js";
import { parseModelCard, type ModelCard, type ResizeRule, type TrainingRecord } from "../model/card.js";
import type { NetPlan } from "../nn/plan.js";
import { resolveOptions, type TrainOptions } from "./options.js";
import type { TrainResult } from "./train.js";

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

/** What {@link trainingCard} needs beside the result: how the run was asked for. */
export interface TrainingCardOptions {
  /** The options the run was given (defaults are filled in as {@link train} filled them). */
  options: TrainOptions;
  /** Where the training images came from, e.g. "IDX data/fashion-mnist" or "image folder photos/". */
  source: string;
  /** The exact command that produced the weights. */
  command: string;
  /** Wall-clock seconds of the run. */
  seconds: number;
}

/**
 * The model card's training record and metrics for a finished run, the parts
 * of the card {@link saveModel} takes from the caller: the settings the run
 * used (library defaults filled in), the data, and the untrained, validation
 * and test figures.
 */
export function trainingCard(r: TrainResult, o: TrainingCardOptions): { training: TrainingRecord; metrics: Record<string, unknown> } {
  const opts = o.options;
  const used = resolveOptions(opts);
  const round = (x?: object) => x && Object.fromEntries(Object.entries(x).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 10000) / 10000 : v]));
  const last = r.history[r.history.length - 1];
  const { conv, dense, dim, leak } = r.plan.config;
  return {
    training: {
      loss: used.loss, margin: used.margin, mining: used.mining, squared: used.squared,
      dataset: `${o.source} (${opts.train.count} training images, ${Math.round(100 * used.validation)}% held out for validation)`,
      epochs: r.history.length, seed: used.seed, command: o.command, seconds: o.seconds,
      // the network as planned (defaults filled), not as asked: the card says what was trained
      options: { ...opts, net: { conv, dense, dim, leak }, train: undefined, test: undefined, logger: undefined, onProgress: undefined },
    },
    metrics: {
      protocol: "leave-one-out over the test split: each image queried against all the others by Euclidean distance",
      ...(r.test ? { test: round(r.test) } : {}),
      untrained: { ...(r.baseline.test ? round(r.baseline.test) : {}), validationPrecisionAt1: round({ x: r.baseline.validationPrecisionAt1 })!.x },
      validationPrecisionAt1: last?.validationPrecisionAt1,
      collapsed: r.collapsed,
    },
  };
}
