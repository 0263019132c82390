/**
 * A pool of decode worker threads. Jobs go to the least busy worker, each
 * holding up to `depth` jobs: onnxruntime-node runs inference on the main
 * thread, which cannot hand out work meanwhile, so every worker keeps a
 * backlog of about a batch's share to stay busy through an inference call.
 * Bytes and tensors are transferred, not copied.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError } from "../errors.js";
import type { ModelInput } from "../model/card.js";
import type { DecodeJob, DecodeResult } from "./decode-worker.js";

interface Slot { worker: Worker; busy: number }
interface Pending { job: DecodeJob; resolve: (r: DecodeResult) => void; reject: (e: unknown) => void }

/**
 * The worker's compiled file. Beside this module in dist/; when the library
 * runs from its TypeScript sources (tests), the compiled copy in dist/.
 */
function workerFile(): URL {
  const beside = new URL("./decode-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL("../../dist/ingest/decode-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new InputError(`the decode worker ${fileURLToPath(beside)} is missing; run \`npm run build\` first`);
}

/** Decode + preprocess images on worker threads. */
export class DecodePool {
  readonly size: number;
  private readonly depth: number;
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private failure: unknown;

  constructor(o: { workers: number; input: ModelInput; pixelLimit: number; depth?: number }) {
    this.size = o.workers;
    this.depth = o.depth ?? 2;
    const file = workerFile();
    for (let i = 0; i < o.workers; i++) {
      const worker = new Worker(file, { workerData: { input: o.input, pixelLimit: o.pixelLimit } });
      const slot: Slot = { worker, busy: 0 };
      worker.on("message", (r: DecodeResult) => {
        slot.busy--;
        const p = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        p?.resolve(r);
        this.pump();
      });
      worker.on("error", (e) => this.fail(e));
      this.slots.push(slot);
    }
  }

  /** Decode `bytes` (transferred: the caller must not use them afterwards). */
  decode(bytes: Uint8Array, where: string): Promise<DecodeResult> {
    if (this.failure) return Promise.reject(this.failure);
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, bytes: buf, where }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots) if (s.busy < this.depth && (!best || s.busy < best.busy)) best = s;
      if (!best) return;
      const p = this.queue.shift()!;
      best.busy++;
      this.waiting.set(p.job.id, p);
      best.worker.postMessage(p.job, [p.job.bytes]);
    }
  }

  private fail(e: unknown): void {
    this.failure = e;
    for (const p of [...this.waiting.values(), ...this.queue]) p.reject(e);
    this.waiting.clear();
    this.queue.length = 0;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
