/**
 * onnxruntime-node's telemetry, off unless the user asks for it.
 *
 * onnxruntime-node 1.30 on Linux queues usage events with a device id under
 * the user's cache folder (`$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime/`)
 * for upload, and leaves `mat-debug-<pid>.log` and `.ses` in the temp folder,
 * unless `ORT_DISABLE_TELEMETRY=1` is in the process environment when the
 * runtime initialises (the first session it creates). A tool that handles
 * people's photo libraries does not report on them by default, so this module
 * sets the variable as soon as it is imported; the session file imports it
 * first, before it can load the native runtime.
 *
 * Only the main thread's `process.env` reaches the real environment that the
 * native code reads (a worker thread has a copy), so the variable has to be set
 * on the main thread, which is where every margin process imports this first.
 */

import { InputError } from "../errors.js";

/** The variable onnxruntime reads. */
export const ORT_TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY";

let enabled = false;
apply();

/**
 * Allow (or forbid again) onnxruntime's telemetry in this process. Off by
 * default. It takes effect only when called before the first inference
 * session of the process is created: onnxruntime reads its environment once.
 * The CLI calls this when `MARGIN_ORT_TELEMETRY=1`.
 * @param on true to let onnxruntime record and send usage events.
 * @throws InputError when `on` is not a boolean.
 * @example
 * setOnnxTelemetry(true); // before Encoder.load(...)
 */
export function setOnnxTelemetry(on: boolean): void {
  if (typeof on !== "boolean") {
    throw new InputError(`setOnnxTelemetry: expected true or false, got ${JSON.stringify(on)}; pass a boolean`);
  }
  enabled = on;
  apply();
}

/** Whether onnxruntime's telemetry is allowed in this process (false unless {@link setOnnxTelemetry}(true)). */
export function onnxTelemetryEnabled(): boolean {
  return enabled;
}

function apply(): void {
  // writing, not reading: the library never takes configuration from the environment
  if (enabled) delete process.env[ORT_TELEMETRY_VARIABLE];
  else process.env[ORT_TELEMETRY_VARIABLE] = "1";
}
