/**
 * A decode worker thread: bytes in (transferred), the model's input tensor
 * out (transferred), or the reason the image is bad.
 */

import { parentPort, workerData } from "node:worker_threads";
import { decodeImage, ImageError } from "../model/decode.js";
import type { ModelInput } from "../model/card.js";
import { preprocess } from "../model/preprocess.js";

/** Sent to the worker. */
export interface DecodeJob { id: number; bytes: ArrayBuffer; where: string }
/** Sent back. */
export type DecodeResult =
  | { id: number; ok: true; tensor: Float32Array; width: number; height: number }
  | { id: number; ok: false; reason: ImageError["reason"]; message: string };

const { input, pixelLimit } = workerData as { input: ModelInput; pixelLimit: number };
const card = { input };

parentPort!.on("message", async (job: DecodeJob) => {
  let res: DecodeResult;
  try {
    const img = await decodeImage(new Uint8Array(job.bytes), { where: job.where, pixelLimit });
    const tensor = preprocess(img, card);
    res = { id: job.id, ok: true, tensor, width: img.width, height: img.height };
    parentPort!.postMessage(res, [tensor.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    res = e instanceof ImageError
      ? { id: job.id, ok: false, reason: e.reason, message: e.message }
      : { id: job.id, ok: false, reason: "corrupt", message: `image ${job.where}: ${(e as Error)?.message ?? String(e)}` };
  }
  parentPort!.postMessage(res);
});
