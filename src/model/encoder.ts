/**
 * The Encoder: a model card plus an {@link InferenceSession} on any runtime
 * (session-node.ts, session-web.ts). It preprocesses decoded pixels exactly
 * as the card says ({@link preprocess}), embeds batches, and checks the
 * model against the card: its input and output names once, each output's
 * shape and values on every batch. Runtime-neutral: Node and the page use
 * this same class.
 */

import { InputError, ModelError } from "../errors.js";
import type { ModelCard } from "./card.js";
import { preprocess, type Pixels } from "./preprocess.js";
import type { InferenceSession } from "./session.js";

export type { Device, WebBackend } from "./device.js";
export type { InferenceSession, Logger, SessionOutput } from "./session.js";

/**
 * A model card and its session. Node loads one with `Encoder.load` (session-node.ts),
 * the page with `WebEncoder.load` (session-web.ts); any other runtime passes its own session.
 * @example
 * const enc = new Encoder(card, session);
 * const vectors = await enc.embed([enc.preprocess(pixels)]); // Float32Array [n × card.output.dim]
 */
export class Encoder<D extends string = string> {
  /** The parsed model card. */
  readonly card: ModelCard;
  /** Where the card came from, for messages: its path in Node, its name in the page. */
  readonly cardPath: string;
  /** Where inference runs, after `auto` was resolved: "cuda" | "cpu" in Node, "webgpu" | "wasm" in the page. */
  readonly device: D;
  /** Embedding size (card.output.dim). */
  readonly dim: number;
  /** Floats per input image: channels × height × width. */
  readonly inputSize: number;
  private readonly session: InferenceSession<D>;

  /**
   * @param source the card's path (or name), for messages. Default: the card's name.
   * @throws ModelError when the model lacks the card's input or output name (the session is left open: release it).
   */
  constructor(card: ModelCard, session: InferenceSession<D>, source: string = card.name) {
    if (!session.inputNames.includes(card.input.name) || !session.outputNames.includes(card.output.name)) {
      throw new ModelError(`model ${source}: the card names input "${card.input.name}" and output "${card.output.name}" ` +
        `but the model has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]; fix the card`);
    }
    this.card = card;
    this.cardPath = source;
    this.session = session;
    this.device = session.device;
    this.dim = card.output.dim;
    this.inputSize = card.input.channels * card.input.height * card.input.width;
  }

  /** The model's input tensor for one decoded image (see {@link preprocess}). */
  preprocess(pixels: Pixels, out?: Float32Array): Float32Array {
    return preprocess(pixels, this.card, out);
  }

  /**
   * Preprocess and embed decoded images (canvas RGBA works as is) in one batch.
   * @returns `[n × dim]` row-major embeddings.
   * @throws InputError for an empty batch or bad pixels; ModelError when the output does not match the card.
   */
  async embedPixels(images: readonly Pixels[]): Promise<Float32Array> {
    if (images.length === 0) throw new InputError("embedPixels: the batch is empty; pass at least one image");
    const size = this.inputSize;
    const batch = new Float32Array(images.length * size);
    images.forEach((p, i) => this.preprocess(p, batch.subarray(i * size, (i + 1) * size)));
    return this.embed(batch);
  }

  /**
   * Embed a batch of preprocessed images.
   * @param tensors one tensor per image (each {@link inputSize} floats), or one packed `[n × inputSize]` array.
   * @returns `[n × dim]` row-major embeddings.
   * @throws InputError for an empty batch or a wrong tensor size; ModelError when the output does not match the card.
   */
  async embed(tensors: readonly Float32Array[] | Float32Array): Promise<Float32Array> {
    const { batch, n } = this.pack(tensors);
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

  /** One packed `[n × inputSize]` batch from either form {@link embed} takes. */
  private pack(tensors: readonly Float32Array[] | Float32Array): { batch: Float32Array; n: number } {
    const size = this.inputSize;
    if (tensors instanceof Float32Array) {
      if (tensors.length === 0 || tensors.length % size !== 0) {
        throw new InputError(`embed: a packed batch must hold a positive multiple of ${size} floats, got ${tensors.length}`);
      }
      return { batch: tensors, n: tensors.length / size };
    }
    const n = tensors.length;
    if (n === 0) throw new InputError("embed: the batch is empty; pass at least one tensor");
    const batch = new Float32Array(n * size);
    tensors.forEach((t, i) => {
      if (t.length !== size) throw new InputError(`embed: tensor ${i} has ${t.length} floats, expected ${size} (${this.card.input.channels}×${this.card.input.height}×${this.card.input.width})`);
      batch.set(t, i * size);
    });
    return { batch, n };
  }
}
