/**
 * The Node runtime: the only importer of onnxruntime-node. It opens an
 * {@link InferenceSession} on CUDA or the CPU by the device rule of
 * device.ts, and loads an {@link Encoder} from a model card file.
 */

import "./ort-env.js"; // first: telemetry off before onnxruntime can load
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import type * as Ort from "onnxruntime-node";
import { ModelError } from "../errors.js";
import { parseModelCard, type ModelCard } from "./card.js";
import { checkDevice, checkThreads, openOnDevice, type Device, type DeviceOf } from "./device.js";
import { Encoder } from "./encoder.js";
import { firstLine } from "./first-line.js";
import { fromOrt, type InferenceSession, type Logger } from "./session.js";

export { DEVICES, type Device } from "./device.js";
export type { Logger } from "./session.js";

/** Where a Node session runs. */
export type NodeDevice = DeviceOf<"node">;

/** How the Node encoder opens a model: the model, the device, the session's threads and where warnings go. */
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

/** How to install the CUDA provider, for messages. */
const CUDA_HINT = "install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (needs CUDA 12 and cuDNN 9)";

/**
 * The {@link Encoder} with its Node loader (the public API exports it as `Encoder`).
 * @example
 * const enc = await Encoder.load({ model: "models/fashion-mnist-triplet-64.json", device: "auto" });
 * const vectors = await enc.embed([enc.preprocess(pixels)]); // Float32Array [1 × 64]
 */
export class NodeEncoder extends Encoder<NodeDevice> {
  /**
   * Load a model card and its ONNX file.
   * @throws InputError for an unknown device or bad thread count; ModelError when
   *   the card or ONNX file is missing or malformed, or names that the model lacks.
   */
  static async load(options: EncoderOptions): Promise<NodeEncoder> {
    const threads = options.threads === undefined ? undefined : checkThreads(options.threads, 1024);
    // the device is checked before the card is read, so a typo fails first
    const requested = checkDevice("node", options.device ?? "auto");
    const card = await loadModelCard(options.model);
    const onnx = join(dirname(resolve(options.model)), card.onnx ?? `${card.name}.onnx`);
    const session = await createNodeSession(onnx, { device: requested, threads, logger: options.logger });
    try {
      return new NodeEncoder(card, session, options.model);
    } catch (e) {
      await session.release();
      throw e;
    }
  }
}

export interface NodeSessionOptions {
  device: Device;
  /** Intra-op threads on the CPU; default: onnxruntime's choice (all cores). */
  threads?: number;
  logger?: Logger;
}

/**
 * Open a session for the ONNX file at `path`.
 * @throws InputError for an unknown device; ModelError when the file cannot be loaded,
 *   or CUDA was asked for and is not available.
 */
export async function createNodeSession(path: string, o: NodeSessionOptions): Promise<InferenceSession<NodeDevice>> {
  const base: Ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // idle intra-op threads sleep instead of spinning: ingestion decodes on the same cores meanwhile
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
  return openOnDevice({
    runtime: "node",
    requested: o.device,
    model: path,
    hint: CUDA_HINT,
    logger: o.logger,
    unavailable: async () => missingCudaProvider(),
    async open(device) {
      // loaded on first use, so commands that never embed do not pay for the native runtime
      const ort = (await import("onnxruntime-node")) as typeof Ort;
      let s: Ort.InferenceSession;
      try {
        s = await ort.InferenceSession.create(path, { ...base, executionProviders: [device] });
      } catch (e) {
        if (device === "cuda") throw e; // the device rule turns it into a fallback or an error
        throw new ModelError(`model ${path}: onnxruntime cannot load it (${firstLine(e)}); re-export the model or check the file`, { cause: e });
      }
      return fromOrt(s, device, (data, dims) => new ort.Tensor("float32", data, dims));
    },
  });
}

/**
 * What stops the CUDA provider from loading before trying it (onnxruntime
 * logs a loud native error otherwise): the provider libraries that
 * onnxruntime-node's install script, run with ONNXRUNTIME_NODE_INSTALL=cuda12, downloads next to the binding.
 * @returns why CUDA cannot be used, or undefined when its provider is installed.
 */
export function missingCudaProvider(): string | undefined {
  if (process.platform !== "linux" && process.platform !== "win32") return `no CUDA build of onnxruntime-node for ${process.platform}`;
  let bin: string;
  try {
    const main = createRequire(import.meta.url).resolve("onnxruntime-node");
    bin = join(dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return "onnxruntime-node is not installed";
  }
  const lib = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  return existsSync(join(bin, lib)) ? undefined : `${lib} is missing from ${bin}`;
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
