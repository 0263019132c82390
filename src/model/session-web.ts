/**
 * The browser runtime: the only importer of onnxruntime-web. It opens an
 * {@link InferenceSession} on onnxruntime-web's wasm backend (multi-threaded
 * when the page is cross-origin isolated, i.e. served with COOP/COEP) or on
 * WebGPU when `navigator.gpu` hands out an adapter, by the device rule of
 * device.ts; the {@link Encoder} on it feeds the SAME preprocess function
 * that Node uses, so a canvas's RGBA pixels give the same tensor as sharp's.
 *
 * onnxruntime-web fetches its own wasm (and the glue script its worker
 * threads start from) at run time; `wasmPaths` points it at a local copy so
 * nothing comes from a CDN. The wasm-only build (and its 14 MB wasm) is
 * loaded unless WebGPU is in use, which needs the WebGPU build.
 */

import type * as Ort from "onnxruntime-web";
import { ModelError } from "../errors.js";
import type { ModelCard } from "./card.js";
import { checkDevice, checkThreads, openOnDevice, type DeviceOf, type WebBackend } from "./device.js";
import { Encoder } from "./encoder.js";
import { firstLine } from "./first-line.js";
import { fromOrt, type InferenceSession, type Logger } from "./session.js";

export { WEB_BACKENDS, type WebBackend } from "./device.js";

/** Where a browser session runs. */
export type WebDevice = DeviceOf<"web">;

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
  /** Receives the WebGPU fallback warning of `auto`. Default: none (silent). */
  logger?: Logger;
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
 * The {@link Encoder} in the browser, with its loader and the wasm threads in use.
 * @example
 * const enc = await WebEncoder.load({ card, model: "/api/model.onnx", wasmPaths: "/ort/" });
 * const v = await enc.embedPixels([{ data: imageData.data, width, height, channels: 4 }]); // [1 × dim]
 */
export class WebEncoder extends Encoder<WebDevice> {
  /** wasm threads in use (1 without cross-origin isolation). */
  readonly threads: number;

  private constructor(card: ModelCard, session: InferenceSession<WebDevice>, threads: number) {
    super(card, session);
    this.threads = threads;
  }

  /** The device in use after `auto` was resolved (the page's name for {@link device}). */
  get backend(): WebDevice {
    return this.device;
  }

  /**
   * Fetch (when given a URL) and load the model.
   * @throws InputError for an unknown backend or thread count; ModelError when the model
   *   cannot be fetched or loaded, lacks the card's input/output names, or WebGPU was asked for and is missing.
   */
  static async load(o: WebEncoderOptions): Promise<WebEncoder> {
    const requested = checkDevice("web", o.backend ?? "auto");
    const caps = await webCapabilities();
    const threads = checkThreads(o.threads ?? (caps.crossOriginIsolated ? Math.min(8, Math.max(1, caps.cores)) : 1), 64);
    let bytes: Uint8Array | undefined;
    let inUse = 1;
    const session = await openOnDevice({
      runtime: "web",
      requested,
      model: `"${o.card.name}"`,
      logger: o.logger,
      unavailable: async () => (caps.webgpu ? undefined : "navigator.gpu gives no adapter in this browser"),
      async open(device) {
        const ort = await runtime(device);
        // global settings: read by onnxruntime-web when its first session starts
        ort.env.wasm.wasmPaths = o.wasmPaths;
        ort.env.wasm.numThreads = caps.crossOriginIsolated ? threads : 1;
        ort.env.logLevel = "error";
        bytes ??= await fetchModel(o.model, o.card.name);
        let s: Ort.InferenceSession;
        try {
          s = await ort.InferenceSession.create(bytes, { executionProviders: [device], graphOptimizationLevel: "all" });
        } catch (e) {
          throw new ModelError(`model "${o.card.name}": onnxruntime-web (${device}) cannot load it: ${firstLine(e)}; re-export the model or check the file`, { cause: e });
        }
        inUse = ort.env.wasm.numThreads ?? 1;
        return fromOrt(s, device, (data, dims) => new ort.Tensor("float32", data, dims));
      },
    });
    try {
      return new WebEncoder(o.card, session, inUse);
    } catch (e) {
      await session.release();
      throw e;
    }
  }
}

/** onnxruntime-web's wasm-only or WebGPU build, each fetching its own wasm from `wasmPaths`. */
async function runtime(device: WebDevice): Promise<typeof Ort> {
  try {
    return (device === "webgpu" ? await import("onnxruntime-web/webgpu") : await import("onnxruntime-web/wasm")) as typeof Ort;
  } catch (e) {
    throw new ModelError(`onnxruntime-web (${device}) could not be loaded: ${firstLine(e)}; reload the page`, { cause: e });
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
