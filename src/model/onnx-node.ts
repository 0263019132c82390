/**
 * The only importer of onnxruntime-node. Creates an inference session on
 * CUDA or the CPU and runs one float32 tensor through it. `auto` tries the
 * CUDA execution provider first and falls back to the CPU with one warning
 * that says what was missing.
 */

import "./ort-env.js"; // first: telemetry off before onnxruntime can load
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Ort from "onnxruntime-node";
import { ModelError } from "../errors.js";

/** Where inference runs. */
export const DEVICES = ["auto", "cuda", "cpu"] as const;
export type Device = (typeof DEVICES)[number];

/** Receives warnings (the library never prints). */
export interface Logger {
  warn(message: string): void;
}

/** A loaded session: one input, one output. */
export interface NodeSession {
  /** The execution provider in use. */
  readonly provider: "cuda" | "cpu";
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Run `data` shaped `dims` through the model; returns the named output. */
  run(input: string, output: string, data: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }>;
  release(): Promise<void>;
}

export interface NodeSessionOptions {
  device: Device;
  /** Intra-op threads on the CPU; default: onnxruntime's choice (all cores). */
  threads?: number;
  logger?: Logger;
}

/** How to install the CUDA provider, for messages. */
export const CUDA_HINT =
  "install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA 12 and cuDNN 9), or use --device cpu";

/**
 * Create a session for the ONNX file at `path`.
 * @throws ModelError when the file cannot be loaded, or CUDA was asked for and is not available.
 */
export async function createNodeSession(path: string, o: NodeSessionOptions): Promise<NodeSession> {
  // loaded on first use, so commands that never embed do not pay for the native runtime
  const ort = (await import("onnxruntime-node")) as typeof Ort;
  const base: Ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    ...(o.threads !== undefined ? { intraOpNumThreads: o.threads } : {}),
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    // idle intra-op threads sleep instead of spinning: ingestion decodes on the same cores meanwhile
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
  const missing = o.device === "cpu" ? undefined : missingCudaProvider();
  if (o.device === "cuda" && missing) {
    throw new ModelError(`model ${path}: --device cuda was asked for but ${missing}; ${CUDA_HINT}`);
  }
  if (o.device === "auto" && missing) {
    o.logger?.warn(`CUDA is not available (${missing}); running the encoder on the CPU. To use a GPU, ${CUDA_HINT.replace(", or use --device cpu", "")}.`);
  } else if (o.device !== "cpu") {
    try {
      const s = await ort.InferenceSession.create(path, { ...base, executionProviders: ["cuda"] });
      return wrap(ort, s, "cuda");
    } catch (e) {
      const why = firstLine(e);
      if (o.device === "cuda") {
        throw new ModelError(`model ${path}: the CUDA execution provider could not start (${why}); ${CUDA_HINT}`, { cause: e });
      }
      o.logger?.warn(`CUDA is not available (${why}); running the encoder on the CPU. To use a GPU, ${CUDA_HINT.replace(", or use --device cpu", "")}.`);
    }
  }
  try {
    return wrap(ort, await ort.InferenceSession.create(path, { ...base, executionProviders: ["cpu"] }), "cpu");
  } catch (e) {
    throw new ModelError(`model ${path}: onnxruntime cannot load it (${firstLine(e)}); re-export the model or check the file`, { cause: e });
  }
}

function wrap(ort: typeof Ort, s: Ort.InferenceSession, provider: "cuda" | "cpu"): NodeSession {
  return {
    provider,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(input, output, data, dims) {
      const feeds = { [input]: new ort.Tensor("float32", data, dims as number[]) };
      const res = await s.run(feeds, [output]);
      const t = res[output];
      if (!t || t.type !== "float32") throw new ModelError(`the model's output "${output}" is missing or not float32`);
      return { data: t.data as Float32Array, dims: t.dims };
    },
    release: () => s.release(),
  };
}

/**
 * What stops the CUDA provider from loading before trying it (onnxruntime
 * logs a loud native error otherwise): the provider libraries that
 * `npm rebuild` with ONNXRUNTIME_NODE_INSTALL=cuda12 downloads next to the binding.
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

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split("\n").find((l) => l.trim()) ?? m).trim().slice(0, 300);
}
