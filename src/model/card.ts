/**
 * The model card: `models/NAME.json` beside `NAME.onnx`. Everything needed
 * to feed the model and to store its vectors is derived from the card alone,
 * identically in Node and in the browser.
 */

import { ModelError } from "../errors.js";

/**
 * Qdrant's distance names, in Qdrant's order (its error messages list them so):
 * the one table the card, the client and the embedded store all check against.
 */
export const DISTANCES = ["Cosine", "Euclid", "Dot", "Manhattan"] as const;
/** How a collection compares vectors, in Qdrant's names: one of {@link DISTANCES}. */
export type Distance = (typeof DISTANCES)[number];

/**
 * How an image is brought to the input size:
 * `fill` stretches to width × height; `contain` letterboxes (pads with the
 * card's `pad` value); `cover` scales to cover and centre-crops.
 */
export const RESIZE_RULES = ["fill", "contain", "cover"] as const;
/** How an image is fitted to the model's input size: one of {@link RESIZE_RULES}. */
export type ResizeRule = (typeof RESIZE_RULES)[number];

/** The losses a model card may name as the one its weights were trained with. */
export const LOSSES = ["triplet", "contrastive"] as const;
/** One of {@link LOSSES}. */
export type LossName = (typeof LOSSES)[number];

/** What a model takes: its input tensor's name, size, channels, resize rule and normalisation. */
export interface ModelInput {
  /** ONNX input name. */
  name: string;
  layout: "NCHW";
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  height: number;
  width: number;
  resize: ResizeRule;
  /** Pixel value (0..255) used to pad with `contain`. Default 0. */
  pad?: number;
  /** Per channel, applied to pixel/255: (v − mean) / std. */
  mean: number[];
  std: number[];
}

/** What a model gives: its output tensor's name and the embedding's dimension. */
export interface ModelOutput {
  /** ONNX output name. */
  name: string;
  dim: number;
}

/** How a model's weights were produced (loss, margin, mining, data set, epochs, seed, command). */
export interface TrainingRecord {
  loss: LossName;
  margin: number;
  mining: string;
  squared: boolean;
  dataset: string;
  epochs: number;
  seed: number;
  /** The exact command that produced the weights. */
  command?: string;
  [key: string]: unknown;
}

/** The JSON card beside an ONNX file: what the model takes, what it gives and how it was trained. */
export interface ModelCard {
  /** Model name, also stored in every point's payload. */
  name: string;
  /** ONNX file name, relative to the card. Default `NAME.onnx`. */
  onnx?: string;
  input: ModelInput;
  output: ModelOutput;
  /** How vectors are compared, as a Qdrant distance name. */
  distance: Distance;
  training?: TrainingRecord;
  /** Measured metrics, e.g. { test: { precisionAt1, rPrecision, mapAtR }, untrained: {...} }. */
  metrics?: Record<string, unknown>;
}

/**
 * Check a parsed card; `where` names its file in messages.
 * @throws ModelError naming the field, its value and what is expected.
 */
export function parseModelCard(json: unknown, where: string): ModelCard {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new ModelError(`model card ${where}: ${field} must be ${want}, got ${JSON.stringify(got)}`);
  };
  if (!json || typeof json !== "object") bad("the file", "a JSON object", json);
  const c = json as Record<string, any>;
  if (typeof c.name !== "string" || !/^[A-Za-z0-9._-]+$/.test(c.name)) bad("name", "a word of letters, digits, . _ -", c.name);
  const i = c.input;
  if (!i || typeof i !== "object") bad("input", "an object", i);
  if (typeof i.name !== "string" || !i.name) bad("input.name", "the ONNX input name", i.name);
  if (i.layout !== "NCHW") bad("input.layout", '"NCHW"', i.layout);
  if (i.channels !== 1 && i.channels !== 3) bad("input.channels", "1 or 3", i.channels);
  for (const f of ["height", "width"] as const) {
    if (!Number.isInteger(i[f]) || i[f] < 1 || i[f] > 4096) bad(`input.${f}`, "an integer in [1, 4096]", i[f]);
  }
  if (!RESIZE_RULES.includes(i.resize)) bad("input.resize", `one of ${RESIZE_RULES.join(", ")}`, i.resize);
  if (i.pad !== undefined && !(Number.isFinite(i.pad) && i.pad >= 0 && i.pad <= 255)) bad("input.pad", "a number in [0, 255]", i.pad);
  for (const f of ["mean", "std"] as const) {
    const v = i[f];
    if (!Array.isArray(v) || v.length !== i.channels || !v.every((x: unknown) => typeof x === "number" && Number.isFinite(x))) {
      bad(`input.${f}`, `an array of ${i.channels} finite numbers`, v);
    }
  }
  if (!i.std.every((x: number) => x > 0)) bad("input.std", "positive numbers", i.std);
  const o = c.output;
  if (!o || typeof o !== "object") bad("output", "an object", o);
  if (typeof o.name !== "string" || !o.name) bad("output.name", "the ONNX output name", o.name);
  if (!Number.isInteger(o.dim) || o.dim < 1 || o.dim > 65536) bad("output.dim", "an integer in [1, 65536]", o.dim);
  if (!DISTANCES.includes(c.distance)) bad("distance", `one of ${DISTANCES.join(", ")}`, c.distance);
  if (c.onnx !== undefined && (typeof c.onnx !== "string" || c.onnx.includes("/") || c.onnx.includes("\\"))) {
    bad("onnx", "a file name beside the card", c.onnx);
  }
  return c as ModelCard;
}
