/**
 * A decode worker thread: a file (path and the identity its hash was taken
 * from; or, for a small file, its bytes, transferred) in; the model's input
 * tensor out (transferred), or the reason the image is bad. Large files are
 * opened here, one open + fstat, and libvips reads them from that descriptor
 * as it decodes straight to the small size the card needs, so their bytes are
 * never all in memory and never cross threads.
 */

import { parentPort, workerData } from "node:worker_threads";
import sharp from "sharp";
import { decodeImage, decodeOpenFile, ImageError, type FileIdentity } from "../model/decode.js";
import type { ModelInput } from "../model/card.js";
import { preprocess } from "../model/preprocess.js";

/** Sent to the worker. */
export interface DecodeJob {
  id: number;
  /** The file: read here unless `bytes` came along. */
  path: string;
  /** The file that was hashed: a different one at `path` is refused. */
  identity: FileIdentity;
  /** The file's bytes when the reader kept them (small files). */
  bytes?: ArrayBuffer;
}
/** Sent back. */
export type DecodeResult =
  | { id: number; ok: true; tensor: Float32Array; width: number; height: number; ms: number }
  | { id: number; ok: false; reason: ImageError["reason"]; message: string; ms: number };

/** What every job of a pool shares. */
export interface DecodeWorkerData { input: ModelInput; pixelLimit: number; maxBytes: number; readTimeoutMs: number }

const { input, pixelLimit, maxBytes, readTimeoutMs } = workerData as DecodeWorkerData;
const card = { input };
// libvips' operation cache keeps decoded images a batch job never asks for again, and one thread
// per image is enough: the pool runs several images per worker, one worker per core
sharp.cache(false);
sharp.concurrency(1);

parentPort!.on("message", async (job: DecodeJob) => {
  let res: DecodeResult;
  const t0 = performance.now();
  try {
    // a large file is decoded from its open descriptor: its bytes are never all in memory
    const img = job.bytes ? await decodeImage(new Uint8Array(job.bytes), { where: job.path, pixelLimit, input })
      : await decodeOpenFile(job.path, { maxBytes, timeoutMs: readTimeoutMs, expect: job.identity, pixelLimit, input });
    const tensor = preprocess(img, card);
    res = { id: job.id, ok: true, tensor, width: img.original.width, height: img.original.height, ms: performance.now() - t0 };
    parentPort!.postMessage(res, [tensor.buffer as ArrayBuffer]);
    return;
  } catch (e) {
    res = e instanceof ImageError
      ? { id: job.id, ok: false, reason: e.reason, message: e.message, ms: performance.now() - t0 }
      : { id: job.id, ok: false, reason: "corrupt", message: `image ${job.path}: ${(e as Error)?.message ?? String(e)}`, ms: performance.now() - t0 };
  }
  parentPort!.postMessage(res);
});
