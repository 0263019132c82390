/**
 * Where the encoder runs: one table of devices per runtime and the one rule
 * that resolves a requested device. `auto` takes the accelerator when it
 * starts and falls back to the runtime's default device with one warning
 * that says what was missing; asking for the accelerator by name fails
 * instead of falling back.
 */

import { InputError, ModelError } from "../errors.js";
import { firstLine } from "./first-line.js";
import type { Logger } from "./session.js";

/** The device table: per runtime, the option's name, its accelerator and its fallback. */
export const DEVICE_TABLE = {
  /** onnxruntime-node: the CUDA execution provider, else the CPU. */
  node: { option: "device", accelerator: "cuda", fallback: "cpu", acceleratorName: "CUDA", fallbackName: "the CPU" },
  /** onnxruntime-web: WebGPU when navigator.gpu hands out an adapter, else wasm. */
  web: { option: "backend", accelerator: "webgpu", fallback: "wasm", acceleratorName: "WebGPU", fallbackName: "wasm" },
} as const;

type Table = typeof DEVICE_TABLE;
export type Runtime = keyof Table;
/** The device a session of `R` ends up on. */
export type DeviceOf<R extends Runtime> = Table[R]["accelerator"] | Table[R]["fallback"];

/** Where inference runs in Node: `auto` tries CUDA and falls back to the CPU. */
export const DEVICES = ["auto", DEVICE_TABLE.node.accelerator, DEVICE_TABLE.node.fallback] as const;
/** Where the Node encoder runs: one of {@link DEVICES} (`auto` tries CUDA, then falls back to the CPU). */
export type Device = (typeof DEVICES)[number];

/** Where inference runs in the browser: `auto` takes WebGPU when an adapter exists, else wasm. */
export const WEB_BACKENDS = ["auto", DEVICE_TABLE.web.accelerator, DEVICE_TABLE.web.fallback] as const;
export type WebBackend = (typeof WEB_BACKENDS)[number];

/** How one runtime opens a session on a device, for {@link openOnDevice}. */
export interface DeviceOpener<R extends Runtime, S> {
  runtime: R;
  /** The requested device, unchecked (it comes from the user). */
  requested: unknown;
  /** The model, for messages: a path or a card name. */
  model: string;
  /** Why the accelerator cannot be used, found before trying it; undefined when it may start. */
  unavailable(): Promise<string | undefined>;
  /** How to get the accelerator, for messages, e.g. "install the CUDA provider with …"; optional. */
  hint?: string;
  /** Open the session on `device`; a failure on the accelerator counts as "unavailable". */
  open(device: DeviceOf<R>): Promise<S>;
  logger?: Logger;
}

/**
 * A requested device: "auto" or one of the runtime's row of {@link DEVICE_TABLE}.
 * @throws InputError naming the allowed values.
 */
export function checkDevice<R extends Runtime>(runtime: R, requested: unknown): "auto" | DeviceOf<R> {
  const row: Table[R] = DEVICE_TABLE[runtime];
  const allowed: readonly ("auto" | DeviceOf<R>)[] = ["auto", row.accelerator, row.fallback];
  const found = allowed.find((d) => d === requested);
  if (found === undefined) {
    throw new InputError(`Unsupported ${row.option} ${JSON.stringify(requested)}. Should be one of: ${allowed.join(", ")}`);
  }
  return found;
}

/**
 * Check `requested` against the runtime's row of {@link DEVICE_TABLE} and
 * open the session by the one fallback rule.
 * @throws InputError for a device not in the table; ModelError when the
 *   accelerator was asked for by name and cannot start (or the fallback's own open error).
 */
export async function openOnDevice<R extends Runtime, S>(o: DeviceOpener<R, S>): Promise<S> {
  const row: Table[R] = DEVICE_TABLE[o.runtime];
  const requested = checkDevice(o.runtime, o.requested);
  const accelerator: DeviceOf<R> = row.accelerator;
  const fallback: DeviceOf<R> = row.fallback;
  if (requested === fallback) return o.open(fallback);
  const asked = requested === accelerator;
  let why = await o.unavailable();
  if (why === undefined) {
    try {
      return await o.open(accelerator);
    } catch (e) {
      why = `it could not start: ${firstLine(e)}`;
      if (asked) throw new ModelError(unavailableMessage(o, row, why), { cause: e });
    }
  }
  if (asked) throw new ModelError(unavailableMessage(o, row, why));
  o.logger?.warn(
    `${row.acceleratorName} is not available (${why}); running the encoder on ${row.fallbackName}.` +
      (o.hint ? ` To use it, ${o.hint}.` : ""),
  );
  return o.open(fallback);
}

function unavailableMessage(o: { model: string; hint?: string }, row: Table[Runtime], why: string): string {
  const use = `use ${row.option} "${row.fallback}" or "auto"`;
  return `model ${o.model}: ${row.option} "${row.accelerator}" was asked for but ${why}; ${o.hint ? `${o.hint}, or ${use}` : use}`;
}

/**
 * A thread count option: an integer in [1, max].
 * @throws InputError naming the range.
 */
export function checkThreads(threads: unknown, max: number): number {
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new InputError(`threads must be an integer in [1, ${max}], got ${String(threads)}`);
  }
  return threads;
}
