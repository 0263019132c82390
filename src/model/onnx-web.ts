/**
 * The browser encoder: the only importer of onnxruntime-web. It runs the
 * model card's ONNX file on onnxruntime-web's wasm backend (multi-threaded
 * when the page is cross-origin isolated, i.e. served with COOP/COEP) or on
 * WebGPU when `navigator.gpu` hands out an adapter, and feeds it with the
 * SAME {@link preprocess} function that Node uses, so a canvas's RGBA pixels
 * give the same tensor as sharp's.
 *
 * onnxruntime-web fetches its own wasm (and the glue script its worker
 * threads start from) at run time; `wasmPaths` points it at a local copy so
 * nothing comes from a CDN. The wasm-only build (and its 14 MB wasm) is
 * loaded unless WebGPU is in use, which needs the WebGPU build.
 */

import type * as Ort from "onnxruntime-web";
import { InputError, ModelError } from "../errors.js";
import type { ModelCard } from "./card.js";
import { preprocess, type Pixels } from "./preprocess.js";

/** Where inference runs in the browser: `auto` takes WebGPU when an adapter exists, else wasm. */
export const WEB_BACKENDS = ["auto", "wasm", "webgpu"] as const;
export type WebBackend = (typeof WEB_BACKENDS)[number];

export interface WebEncoderOptions {
  /** The parsed model card (see parseModelCard). */
  card: ModelCard;
  /** The ONNX model: its bytes, or a URL to fetch. */
  model: Uint8Array | ArrayBuffer | string | URL;
  /** URL prefix of onnxruntime-web's `ort-wasm-*.wasm/.mjs` files, ending in "/", e.g. "/ort/". */
  wasmPaths: string;
  /** Default "auto". */
  backend?: WebBackend;
  /** wasm threads; default all cores (at most 8) when crossOriginIsolated, else 1. */
  threads?: number;
}

/** What the environment offers, as found by {@link webCapabilities}. */
export interface WebCapabilities {
  crossOriginIsolated: boolean;
  cores: number;
  webgpu: boolean;
}

/**
 * Probe the browser: cross-origin isolation (needed for wasm threads), cores, a WebGPU adapter.
 * @returns the capabilities; never throws.
 */
export async function webCapabilities(): Promise<WebCapabilities> {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: Navigator & { gpu?: { requestAdapter(): Promise<unknown> } } };
  let webgpu = false;
  try {
    webgpu = !!(await g.navigator?.gpu?.requestAdapter());
  } catch {
    webgpu = false;
  }
  return { crossOriginIsolated: !!g.crossOriginIsolated, cores: g.navigator?.hardwareConcurrency ?? 1, webgpu };
}

/**
 * A model card plus its ONNX session in the browser.
 * @example
 * const enc = await WebEncoder.load({ card, model: "/api/model.onnx", wasmPaths: "/ort/" });
 * const v = await enc.embedPixels([{ data: imageData.data, width, height, channels: 4 }]); // [1 × dim]
 */
export class WebEncoder {
  readonly card: ModelCard;
  /** Embedding size (card.output.dim). */
  readonly dim: number;
  /** Floats per input image: channels × height × width. */
  readonly inputSize: number;
  /** The backend in use after `auto` was resolved. */
  readonly backend: "wasm" | "webgpu";
  /** wasm threads in use (1 without cross-origin isolation). */
  readonly threads: number;
  private readonly session: Ort.InferenceSession;
  private readonly ort: typeof Ort;

  private constructor(ort: typeof Ort, card: ModelCard, session: Ort.InferenceSession, backend: "wasm" | "webgpu", threads: number) {
    this.ort = ort;
    this.card = card;
    this.session = session;
    this.backend = backend;
    this.threads = threads;
    this.dim = card.output.dim;
    this.inputSize = card.input.channels * card.input.height * card.input.width;
  }

  /**
   * Fetch (when given a URL) and load the model.
   * @throws InputError for an unknown backend or thread count; ModelError when the model
   *   cannot be fetched or loaded, lacks the card's input/output names, or WebGPU was asked for and is missing.
   */
  static async load(o: WebEncoderOptions): Promise<WebEncoder> {
    const backend = o.backend ?? "auto";
    if (!WEB_BACKENDS.includes(backend)) {
      throw new InputError(`Unsupported backend ${JSON.stringify(backend)}. Should be one of: ${WEB_BACKENDS.join(", ")}`);
    }
    const caps = await webCapabilities();
    const threads = o.threads ?? (caps.crossOriginIsolated ? Math.min(8, Math.max(1, caps.cores)) : 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new InputError(`threads must be an integer in [1, 64], got ${threads}`);
    }
    if (backend === "webgpu" && !caps.webgpu) {
      throw new ModelError("backend \"webgpu\" was asked for but navigator.gpu gives no adapter in this browser; use backend \"wasm\" or \"auto\"");
    }
    const use: "wasm" | "webgpu" = backend === "webgpu" || (backend === "auto" && caps.webgpu) ? "webgpu" : "wasm";
    const ort = await runtime(use);
    // global settings: read by onnxruntime-web when its first session starts
    ort.env.wasm.wasmPaths = o.wasmPaths;
    ort.env.wasm.numThreads = caps.crossOriginIsolated ? threads : 1;
    ort.env.logLevel = "error";
    const bytes = await fetchModel(o.model, o.card.name);
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: [use], graphOptimizationLevel: "all" });
    } catch (e) {
      throw new ModelError(`model "${o.card.name}": onnxruntime-web (${use}) cannot load it: ${firstLine(e)}; re-export the model or check the file`, { cause: e });
    }
    if (!session.inputNames.includes(o.card.input.name) || !session.outputNames.includes(o.card.output.name)) {
      await session.release();
      throw new ModelError(`model "${o.card.name}": the card names input "${o.card.input.name}" and output "${o.card.output.name}" ` +
        `but the model has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]; fix the card`);
    }
    return new WebEncoder(ort, o.card, session, use, ort.env.wasm.numThreads ?? 1);
  }

  /** The model's input tensor for one decoded image (the shared {@link preprocess}). */
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
    const batch = new Float32Array(images.length * this.inputSize);
    images.forEach((p, i) => this.preprocess(p, batch.subarray(i * this.inputSize, (i + 1) * this.inputSize)));
    return this.embed(batch);
  }

  /**
   * Embed a packed batch of preprocessed tensors, `[n × inputSize]`.
   * @throws InputError for a wrong size; ModelError for an output that does not match the card.
   */
  async embed(batch: Float32Array): Promise<Float32Array> {
    const size = this.inputSize;
    if (batch.length === 0 || batch.length % size !== 0) {
      throw new InputError(`embed: a packed batch must hold a positive multiple of ${size} floats, got ${batch.length}`);
    }
    const n = batch.length / size;
    const { channels, height, width } = this.card.input;
    const feeds = { [this.card.input.name]: new this.ort.Tensor("float32", batch, [n, channels, height, width]) };
    const res = await this.session.run(feeds, [this.card.output.name]);
    const t = res[this.card.output.name];
    if (!t || t.type !== "float32") throw new ModelError(`model "${this.card.name}": output "${this.card.output.name}" is missing or not float32`);
    if (t.dims.length !== 2 || t.dims[0] !== n || t.dims[1] !== this.dim) {
      throw new ModelError(`model "${this.card.name}" output has shape [${t.dims.join(", ")}] but the card says [${n}, ${this.dim}]; fix output.dim in the card`);
    }
    const data = (await t.getData()) as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new ModelError(`model "${this.card.name}" produced a non-finite value for image ${Math.floor(i / this.dim)} of the batch`);
    }
    t.dispose();
    return data;
  }

  /** Free the session. */
  async close(): Promise<void> {
    await this.session.release();
  }
}

/** onnxruntime-web's wasm-only or WebGPU build, each fetching its own wasm from `wasmPaths`. */
async function runtime(backend: "wasm" | "webgpu"): Promise<typeof Ort> {
  try {
    return (backend === "webgpu" ? await import("onnxruntime-web/webgpu") : await import("onnxruntime-web/wasm")) as typeof Ort;
  } catch (e) {
    throw new ModelError(`onnxruntime-web (${backend}) could not be loaded: ${firstLine(e)}; reload the page`, { cause: e });
  }
}

async function fetchModel(model: WebEncoderOptions["model"], name: string): Promise<Uint8Array> {
  if (model instanceof Uint8Array) return model;
  if (model instanceof ArrayBuffer) return new Uint8Array(model);
  const url = String(model);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ModelError(`model "${name}": cannot fetch ${url} (${firstLine(e)}); is the server running?`, { cause: e });
  }
  if (!res.ok) throw new ModelError(`model "${name}": fetching ${url} gave HTTP ${res.status}; check that the .onnx file sits beside the card`);
  return new Uint8Array(await res.arrayBuffer());
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split("\n").find((l) => l.trim()) ?? m).trim().slice(0, 300);
}
