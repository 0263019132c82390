/**
 * A pool of decode worker threads. Jobs go to the least busy worker, each
 * holding up to `depth` jobs: onnxruntime-node runs inference on the main
 * thread, which cannot hand out work meanwhile, so every worker keeps a
 * backlog of about a batch's share to stay busy through an inference call.
 * A worker also holds at most `maxBytes / workers` bytes of files at once
 * (one file whatever its size when it holds nothing else), so camera-size
 * photos cannot pile up in memory. Bytes and tensors are transferred, not copied.
 */

import { Worker } from "node:worker_threads";
import { workerFile } from "../data/worker-file.js";
import type { ModelInput } from "../model/card.js";
import type { FileIdentity } from "../model/decode.js";
import type { DecodeJob, DecodeResult, DecodeWorkerData } from "./decode-worker.js";

interface Slot { worker: Worker; busy: number; bytes: number }
interface Pending { job: DecodeJob; resolve: (r: DecodeResult) => void; reject: (e: unknown) => void; slot?: Slot }

/** Default bytes of files the workers hold at once, all together: 16 MiB (two or three camera JPEGs per worker, which keeps both cores busy). */
export const DEFAULT_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

export interface DecodePoolOptions {
  workers: number;
  input: ModelInput;
  pixelLimit: number;
  /** Files larger than this are refused (reason "too-large"). */
  maxBytes: number;
  /** Deadline for opening + reading one file, in ms. */
  readTimeoutMs: number;
  /** Jobs queued per worker. Default 2. */
  depth?: number;
  /** Bytes of files held by all workers at once. Default {@link DEFAULT_IN_FLIGHT_BYTES}. */
  inFlightBytes?: number;
}

/** Decode + preprocess images on worker threads. */
export class DecodePool {
  readonly size: number;
  private readonly depth: number;
  private readonly perWorkerBytes: number;
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private busyMs = 0;
  private failure: unknown;

  constructor(o: DecodePoolOptions) {
    this.size = o.workers;
    this.depth = o.depth ?? 2;
    this.perWorkerBytes = (o.inFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES) / o.workers;
    const file = workerFile("decode-worker.js", import.meta.url, "decode worker");
    const data: DecodeWorkerData = { input: o.input, pixelLimit: o.pixelLimit, maxBytes: o.maxBytes, readTimeoutMs: o.readTimeoutMs };
    for (let i = 0; i < o.workers; i++) {
      const worker = new Worker(file, { workerData: data });
      const slot: Slot = { worker, busy: 0, bytes: 0 };
      worker.on("message", (r: DecodeResult) => {
        const p = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        slot.busy--;
        this.busyMs += r.ms;
        if (p) slot.bytes -= p.job.identity.size;
        p?.resolve(r);
        this.pump();
      });
      worker.on("error", (e) => this.fail(e));
      this.slots.push(slot);
    }
  }

  /**
   * Decode the file at `path` whose hash was taken from `identity`. `bytes`,
   * when given, are its contents (transferred: the caller must not use them
   * afterwards); otherwise the worker reads the file.
   */
  decode(path: string, identity: FileIdentity, bytes?: Uint8Array): Promise<DecodeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const buf = !bytes ? undefined
      : bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, path, identity, ...(buf ? { bytes: buf } : {}) }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const size = this.queue[0]!.job.identity.size;
      let best: Slot | undefined;
      for (const s of this.slots) {
        const room = s.busy === 0 || s.bytes + size <= this.perWorkerBytes;
        if (s.busy < this.depth && room && (!best || s.busy < best.busy)) best = s;
      }
      if (!best) return; // FIFO: a large file waits for room rather than being overtaken forever
      const p = this.queue.shift()!;
      best.busy++;
      best.bytes += size;
      this.waiting.set(p.job.id, p);
      best.worker.postMessage(p.job, p.job.bytes ? [p.job.bytes] : []);
    }
  }

  private fail(e: unknown): void {
    this.failure = e;
    for (const p of [...this.waiting.values(), ...this.queue]) p.reject(e);
    this.waiting.clear();
    this.queue.length = 0;
  }

  /** Seconds the workers spent reading, decoding and preprocessing, summed over workers (at most workers × wall time). */
  busySeconds(): number {
    return this.busyMs / 1000;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
