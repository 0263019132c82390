/**
 * The contract between the {@link Encoder} and a runtime: a small inference
 * session that runs one float32 tensor through a model. session-node.ts
 * (onnxruntime-node) and session-web.ts (onnxruntime-web) implement it
 * with {@link fromOrt}; nothing here imports a runtime.
 */

import { ModelError } from "../errors.js";

/** Receives warnings (the library never prints). */
export interface Logger {
  warn(message: string): void;
}

/** One float32 output tensor. */
export interface SessionOutput {
  data: Float32Array;
  dims: readonly number[];
}

/** A loaded model on one device: one float32 input, one float32 output per run. */
export interface InferenceSession<D extends string = string> {
  /** Where inference runs, after `auto` was resolved. */
  readonly device: D;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Run `data` shaped `dims` through the model as input `input`.
   * @returns the output named `output`.
   * @throws ModelError when that output is missing or not float32.
   */
  run(input: string, output: string, data: Float32Array, dims: readonly number[]): Promise<SessionOutput>;
  /** Free the session. */
  release(): Promise<void>;
}

/** The part of an onnxruntime tensor (onnxruntime-common's, shared by the node and web packages) read here. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  getData(): Promise<unknown>;
  dispose(): void;
}

/** The part of an onnxruntime session (onnxruntime-common's `InferenceSession`) that a run needs. */
export interface OrtSession<T> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, T>, fetches: readonly string[]): Promise<Record<string, OrtTensor | undefined>>;
  release(): Promise<void>;
}

/**
 * An {@link InferenceSession} over an onnxruntime session of either package;
 * `tensor` builds that package's float32 input tensor.
 */
export function fromOrt<D extends string, T>(
  s: OrtSession<T>, device: D, tensor: (data: Float32Array, dims: number[]) => T,
): InferenceSession<D> {
  return {
    device,
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(input, output, data, dims) {
      const res = await s.run({ [input]: tensor(data, [...dims]) }, [output]);
      const t = res[output];
      const values = t && t.type === "float32" ? await t.getData() : undefined;
      if (!t || !(values instanceof Float32Array)) {
        throw new ModelError(`the model's output "${output}" is missing or not float32`);
      }
      const out = { data: values, dims: [...t.dims] };
      // a CPU tensor's data stays ours; a GPU tensor's buffer is freed
      t.dispose();
      return out;
    },
    release: () => s.release(),
  };
}
