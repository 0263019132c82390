/**
 * The trainable state of a model resident in wasm memory: P floats each of
 * parameters, gradients and Adam's two moments, in one kernel core's arena,
 * with the Adam step counter. The network (src/nn/wasm-net.ts) and the
 * adapter (kernels/adapter.ts) are built on it (they extend it), so the
 * copies in and out, their length checks, the Adam step with its bias
 * correction and the checkpoint state are written once.
 *
 * Internal: not on the public API itself, only through those two. The byte
 * addresses are protected: they are for the owner's forward and backward
 * kernels, not for its users.
 */

import { InputError } from "../errors.js";
import type { KernelCore } from "./core.js";

/** Adam's hyper-parameters for one {@link ParamBlock.adam} step. */
export interface AdamOptions {
  /** Learning rate, > 0. */
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay (AdamW), applied as lr · weightDecay. Default 0. */
  weightDecay?: number;
}

/** Adam's moments and step count, as a checkpoint stores them. */
export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  step: number;
}

/**
 * Reject anything but a Float32Array of exactly `want` floats.
 * @throws InputError naming `owner`, the array and both lengths.
 */
export function checkLength(a: Float32Array, want: number, name: string, owner: string): void {
  if (!(a instanceof Float32Array) || a.length !== want) {
    throw new InputError(`${owner}: ${name} must be a Float32Array of length ${want}, got ${a instanceof Float32Array ? a.length : typeof a}`);
  }
}

/** P floats × {params, grads, Adam m, Adam v}, zeroed, in one core's arena. */
export class ParamBlock {
  /** Adam steps taken. */
  step = 0;
  /** The kernel core whose arena holds the buffers. */
  protected readonly core: KernelCore;
  /** Floats per buffer (P). */
  protected readonly size: number;
  /** Byte address of the parameters. */
  protected readonly p: number;
  /** Byte address of the gradients. */
  protected readonly g: number;
  private readonly m: number;
  private readonly v: number;
  private readonly owner: string;
  private freed = false;

  /**
   * @param size floats per buffer (the parameter count).
   * @param owner the class the errors name, e.g. "WasmNet".
   */
  constructor(core: KernelCore, size: number, owner: string) {
    this.core = core;
    this.size = size;
    this.owner = owner;
    const alloc = () => {
      const ptr = core.arena.alloc(Math.max(1, size) * 4);
      core.arena.f32().fill(0, ptr >> 2, (ptr >> 2) + size);
      return ptr;
    };
    // allocated first, in this order (params, grads, m, v): the arena layout both owners had
    [this.p, this.g, this.m, this.v] = [alloc(), alloc(), alloc(), alloc()];
  }

  /** Copy a full parameter buffer in. */
  setParams(params: Float32Array): void {
    this.copyIn(this.p, params, "params");
  }

  /** A copy of the parameters. */
  getParams(): Float32Array {
    return this.copyOut(this.p);
  }

  /** A copy of the gradients. */
  getGrads(): Float32Array {
    return this.copyOut(this.g);
  }

  /** Replace the gradients (e.g. by the sum over data-parallel workers). */
  setGrads(grads: Float32Array): void {
    this.copyIn(this.g, grads, "grads");
  }

  /** Set the gradients to zero (before accumulating a batch's). */
  zeroGrads(): void {
    this.core.arena.f32().fill(0, this.g >> 2, (this.g >> 2) + this.size);
  }

  /** Adam's moments and step, for checkpoints (copies). */
  getAdamState(): AdamState {
    return { m: this.copyOut(this.m), v: this.copyOut(this.v), step: this.step };
  }

  /** Restore {@link getAdamState}. */
  setAdamState(s: AdamState): void {
    checkLength(s.m, this.size, "adam m", this.owner);
    checkLength(s.v, this.size, "adam v", this.owner);
    const f = this.core.arena.f32();
    f.set(s.m, this.m >> 2);
    f.set(s.v, this.v >> 2);
    this.step = s.step;
  }

  /**
   * One Adam step over the gradients, with the bias correction folded into
   * the learning rate and epsilon (assembly/adam.ts takes them that way).
   * @throws InputError when lr is not > 0.
   */
  adam(o: AdamOptions): void {
    const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.eps ?? 1e-8;
    if (!(o.lr > 0)) throw new InputError(`${this.owner}.adam: lr must be > 0, got ${o.lr}`);
    const t = ++this.step;
    const c2 = Math.sqrt(1 - b2 ** t);
    this.core.x.adamF32(this.p, this.g, this.m, this.v, this.size, (o.lr * c2) / (1 - b1 ** t), b1, b2, eps * c2, o.lr * (o.weightDecay ?? 0));
  }

  /** Give the four buffers back to the arena (once; a second call does nothing). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const ptr of [this.p, this.g, this.m, this.v]) this.core.arena.free(ptr);
  }

  private copyIn(ptr: number, a: Float32Array, name: string): void {
    checkLength(a, this.size, name, this.owner);
    this.core.arena.f32().set(a, ptr >> 2);
  }

  private copyOut(ptr: number): Float32Array {
    return this.core.arena.f32().slice(ptr >> 2, (ptr >> 2) + this.size);
  }
}
