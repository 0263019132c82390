/**
 * The Encoder: a model card plus its ONNX file on onnxruntime-node. It
 * preprocesses decoded pixels exactly as the card says ({@link preprocess})
 * and embeds batches, checking the output against the card.
 */

import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError, ModelError } from "../errors.js";
import { parseModelCard, type ModelCard } from "./card.js";
import { createNodeSession, DEVICES, type Device, type Logger, type NodeSession } from "./onnx-node.js";
import { preprocess, type Pixels } from "./preprocess.js";

export { DEVICES, missingCudaProvider, type Device, type Logger } from "./onnx-node.js";

export interface EncoderOptions {
  /** Path of the model card, e.g. "models/fashion-mnist-triplet-64.json"; the ONNX file sits beside it. */
  model: string;
  /** "auto" (default) tries CUDA and falls back to the CPU with one warning; "cuda" fails without it. */
  device?: Device;
  /** CPU intra-op threads. Default: onnxruntime's choice (all cores). */
  threads?: number;
  /** Receives the CUDA fallback warning. Default: none (silent). */
  logger?: Logger;
}

/**
 * A loaded encoder.
 * @example
 * const enc = await Encoder.load({ model: "models/fashion-mnist-triplet-64.json", device: "auto" });
 * const vectors = await enc.embed([enc.preprocess(pixels)]); // Float32Array [1 × 64]
 */
export class Encoder {
  /** The parsed model card. */
  readonly card: ModelCard;
  /** The card's path, as given. */
  readonly cardPath: string;
  /** Where inference runs after the fallback: "cuda" or "cpu". */
  readonly device: "cuda" | "cpu";
  /** Embedding size (card.output.dim). */
  readonly dim: number;
  /** Floats per input image: channels × height × width. */
  readonly inputSize: number;
  private readonly session: NodeSession;

  private constructor(card: ModelCard, cardPath: string, session: NodeSession) {
    this.card = card;
    this.cardPath = cardPath;
    this.session = session;
    this.device = session.provider;
    this.dim = card.output.dim;
    this.inputSize = card.input.channels * card.input.height * card.input.width;
  }

  /**
   * Load a model card and its ONNX file.
   * @throws InputError for an unknown device or bad thread count; ModelError when
   *   the card or ONNX file is missing or malformed, or names that the model lacks.
   */
  static async load(options: EncoderOptions): Promise<Encoder> {
    const device = options.device ?? "auto";
    if (!DEVICES.includes(device)) {
      throw new InputError(`Unsupported device ${JSON.stringify(device)}. Should be one of: ${DEVICES.join(", ")}`);
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1 && options.threads <= 1024)) {
      throw new InputError(`threads must be an integer in [1, 1024], got ${options.threads}`);
    }
    const card = await loadModelCard(options.model);
    const onnx = join(dirname(resolve(options.model)), card.onnx ?? `${card.name}.onnx`);
    const session = await createNodeSession(onnx, { device, threads: options.threads, logger: options.logger });
    if (!session.inputNames.includes(card.input.name) || !session.outputNames.includes(card.output.name)) {
      await session.release();
      throw new ModelError(`model ${onnx}: the card names input "${card.input.name}" and output "${card.output.name}" ` +
        `but the model has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]; fix the card`);
    }
    return new Encoder(card, options.model, session);
  }

  /** The model's input tensor for one decoded image (see {@link preprocess}). */
  preprocess(pixels: Pixels, out?: Float32Array): Float32Array {
    return preprocess(pixels, this.card, out);
  }

  /**
   * Embed a batch of preprocessed images.
   * @param tensors one tensor per image (each {@link inputSize} floats), or one packed `[n × inputSize]` array.
   * @returns `[n × dim]` row-major embeddings.
   * @throws InputError for an empty batch or a wrong tensor size; ModelError when the output does not match the card.
   */
  async embed(tensors: readonly Float32Array[] | Float32Array): Promise<Float32Array> {
    const size = this.inputSize;
    let batch: Float32Array;
    let n: number;
    if (tensors instanceof Float32Array) {
      if (tensors.length === 0 || tensors.length % size !== 0) {
        throw new InputError(`embed: a packed batch must hold a positive multiple of ${size} floats, got ${tensors.length}`);
      }
      batch = tensors;
      n = tensors.length / size;
    } else {
      n = tensors.length;
      if (n === 0) throw new InputError("embed: the batch is empty; pass at least one tensor");
      batch = new Float32Array(n * size);
      tensors.forEach((t, i) => {
        if (t.length !== size) throw new InputError(`embed: tensor ${i} has ${t.length} floats, expected ${size} (${this.card.input.channels}×${this.card.input.height}×${this.card.input.width})`);
        batch.set(t, i * size);
      });
    }
    const { channels, height, width } = this.card.input;
    const out = await this.session.run(this.card.input.name, this.card.output.name, batch, [n, channels, height, width]);
    if (out.dims.length !== 2 || out.dims[0] !== n || out.dims[1] !== this.dim) {
      throw new ModelError(`model "${this.card.name}" output "${this.card.output.name}" has shape [${out.dims.join(", ")}] but the card says [${n}, ${this.dim}]; fix output.dim in ${this.cardPath}`);
    }
    for (let i = 0; i < out.data.length; i++) {
      if (!Number.isFinite(out.data[i]!)) throw new ModelError(`model "${this.card.name}" produced a non-finite value for image ${Math.floor(i / this.dim)} of the batch`);
    }
    return out.data;
  }

  /** Free the session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Read and check a model card file.
 * @throws ModelError when it is missing, not JSON, or malformed.
 */
export async function loadModelCard(path: string): Promise<ModelCard> {
  if (!path.endsWith(".json")) {
    throw new ModelError(`model ${path}: expected the model card (NAME.json beside NAME.onnx), e.g. models/fashion-mnist-triplet-64.json`);
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new ModelError(`model card ${path} cannot be read (${(e as NodeJS.ErrnoException).code}); check the --model path`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`model card ${path} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return parseModelCard(json, basename(path));
}
