/**
 * A replica: one copy of the network in one Kernels instance, fed from the
 * shared training pixels. The trainer drives one per core; `LocalReplica`
 * runs in this thread, `WorkerReplica` in a worker_threads worker (its own
 * wasm memory). Both run the same {@link ReplicaCore}, so the arithmetic is
 * identical wherever it runs.
 */

import { Worker } from "node:worker_threads";
import { workerFile } from "../data/worker-file.js";
import { Kernels } from "../kernels/index.js";
import { WasmNet, type AdamOptions, type AdamState } from "../nn/wasm-net.js";
import { planNet, type NetConfig } from "../nn/plan.js";
import { fillBatch, type ImageSource } from "./batch.js";

/** What a replica needs to start: the network, the pixels, the normalization. */
export interface ReplicaInit {
  net: NetConfig;
  capacity: number;
  source: ImageSource;
  mean: number;
  std: number;
}

/** The replica protocol (async so a worker can implement it). */
export interface Replica {
  setState(params: Float32Array, adam?: AdamState): Promise<void>;
  /** Embed images `indices` (augmentation triples dx, dy, flip per image, or null); keeps activations when `train`. */
  forward(indices: Int32Array, aug: Int8Array | null, train: boolean): Promise<Float32Array>;
  /** Back-propagate ∂loss/∂embeddings of the last training forward; returns this replica's parameter gradient. */
  backward(grad: Float32Array): Promise<Float32Array>;
  /** Set the (summed) gradient and take one Adam step. */
  apply(grads: Float32Array, adam: AdamOptions): Promise<void>;
  state(): Promise<{ params: Float32Array } & AdamState>;
  close(): Promise<void>;
}

/** The arithmetic of a replica, shared by both kinds. */
export class ReplicaCore {
  private constructor(private readonly net: WasmNet, private readonly init: ReplicaInit, private readonly buf: Float32Array) {}

  static async create(init: ReplicaInit): Promise<ReplicaCore> {
    const k = await Kernels.load();
    const plan = planNet(init.net);
    return new ReplicaCore(new WasmNet(k, plan, init.capacity), init, new Float32Array(init.capacity * plan.sizes[0]!));
  }

  setState(params: Float32Array, adam?: AdamState): void {
    this.net.setParams(params);
    if (adam) this.net.setAdamState(adam);
  }

  forward(indices: Int32Array, aug: Int8Array | null, train: boolean): Float32Array {
    const cap = this.init.capacity, dim = this.net.plan.config.dim, per = this.net.plan.sizes[0]!;
    const out = new Float32Array(indices.length * dim);
    for (let s = 0; s < indices.length; s += cap) {
      const idx = indices.subarray(s, Math.min(indices.length, s + cap));
      const n = idx.length;
      fillBatch(this.init.source, idx, aug ? aug.subarray(3 * s, 3 * (s + n)) : null, this.init.mean, this.init.std, this.buf);
      out.set(this.net.forward(this.buf.subarray(0, n * per), n), s * dim);
      if (train && indices.length > cap) throw new Error("training batch larger than the replica capacity");
    }
    return out;
  }

  backward(grad: Float32Array): Float32Array {
    this.net.zeroGrads();
    this.net.backward(grad);
    return this.net.getGrads();
  }

  apply(grads: Float32Array, adam: AdamOptions): void {
    this.net.setGrads(grads);
    this.net.adam(adam);
  }

  state(): { params: Float32Array } & AdamState {
    return { params: this.net.getParams(), ...this.net.getAdamState() };
  }
}

/** A replica in this thread. */
export class LocalReplica implements Replica {
  private constructor(private readonly core: ReplicaCore) {}
  static async create(init: ReplicaInit): Promise<LocalReplica> {
    return new LocalReplica(await ReplicaCore.create(init));
  }
  async setState(params: Float32Array, adam?: AdamState) { this.core.setState(params, adam); }
  async forward(indices: Int32Array, aug: Int8Array | null, train: boolean) { return this.core.forward(indices, aug, train); }
  async backward(grad: Float32Array) { return this.core.backward(grad); }
  async apply(grads: Float32Array, adam: AdamOptions) { this.core.apply(grads, adam); }
  async state() { return this.core.state(); }
  async close() {}
}

/** A replica in a worker thread with its own wasm memory. */
export class WorkerReplica implements Replica {
  private next = 0;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`training worker: ${m.error}`));
      else p.resolve(m.result);
    });
    worker.on("error", (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  static async create(init: ReplicaInit): Promise<WorkerReplica> {
    const r = new WorkerReplica(new Worker(workerFile("worker.js", import.meta.url, "training worker")));
    await r.call("init", [init]);
    return r;
  }

  private call<T>(op: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  setState(params: Float32Array, adam?: AdamState) { return this.call<void>("setState", [params, adam]); }
  forward(indices: Int32Array, aug: Int8Array | null, train: boolean) { return this.call<Float32Array>("forward", [indices, aug, train]); }
  backward(grad: Float32Array) { return this.call<Float32Array>("backward", [grad]); }
  apply(grads: Float32Array, adam: AdamOptions) { return this.call<void>("apply", [grads, adam]); }
  state() { return this.call<{ params: Float32Array } & AdamState>("state", []); }
  async close() { await this.worker.terminate(); }
}
