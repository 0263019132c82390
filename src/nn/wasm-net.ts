/**
 * The network on the wasm module (assembly/{gemm,conv,nn,adam}.ts, through
 * the kernel core of a Kernels instance): a network whose weights, Adam
 * moments, activations and gradients all stay resident in one Kernels
 * instance's memory. Per step only the input images come in and the
 * embeddings go out (and, for data-parallel training, the gradient buffer).
 *
 * Memory (all f32, 16-byte aligned arena blocks):
 *   params, grads, adamM, adamV  [P]  one flat buffer each (layout: nn/plan.ts),
 *             (a kernels/param-block.ts ParamBlock, which this class extends)
 *   acts[i]   [capacity, sizes[i]] the output of layer i−1 (acts[0] = input);
 *             LeakyReLU works in place, so its output block is its input's
 *   g0, g1    [capacity, max size]  ping-pong buffers for the backward pass
 *   col       [h·w, 9·max(cin, cout)] im2col scratch; wtmp [max weight] for
 *             transposed / flipped weights
 */

import { InputError } from "../errors.js";
import { coreOf } from "../kernels/core.js";
import type { Exports } from "../kernels/exports.js";
import type { Kernels } from "../kernels/kernels.js";
import { checkLength, ParamBlock, type AdamOptions, type AdamState } from "../kernels/param-block.js";
import type { NetPlan } from "./plan.js";

export type { AdamOptions, AdamState };

/**
 * A network resident in wasm memory: forward, backward, Adam (the
 * parameter copies and Adam come with {@link ParamBlock}).
 * @example
 * const net = new WasmNet(k, planNet(), 64);
 * net.setParams(initParams(net.plan, 1));
 * const emb = net.forward(images, 64);
 * net.zeroGrads(); net.backward(k.tripletLoss({ embeddings: emb, labels, dim: 64, margin: 0.5 }).grad);
 * net.adam({ lr: 1e-3 });
 */
export class WasmNet extends ParamBlock {
  readonly plan: NetPlan;
  /** Largest batch one forward call takes. */
  readonly capacity: number;
  private readonly x: Exports;
  private readonly acts: number[];
  private readonly g0: number;
  private readonly g1: number;
  private readonly col: number;
  private readonly wtmp: number;
  private readonly blocks: number[] = [];
  private n = 0;

  constructor(k: Kernels, plan: NetPlan, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InputError(`WasmNet: capacity must be a positive integer, got ${capacity}`);
    const core = coreOf(k);
    super(core, plan.params, "WasmNet");
    this.x = core.x;
    this.plan = plan;
    this.capacity = capacity;
    const alloc = (floats: number) => {
      const ptr = core.arena.alloc(Math.max(1, floats) * 4);
      this.blocks.push(ptr);
      core.arena.f32().fill(0, ptr >> 2, (ptr >> 2) + floats);
      return ptr;
    };
    this.acts = [alloc(capacity * plan.sizes[0]!)];
    plan.layers.forEach((l, i) => this.acts.push(l.kind === "lrelu" ? this.acts[i]! : alloc(capacity * plan.sizes[i + 1]!)));
    const maxSize = Math.max(...plan.sizes);
    this.g0 = alloc(capacity * maxSize);
    this.g1 = alloc(capacity * maxSize);
    let col = 1, wmax = 1;
    for (const l of plan.layers) {
      if (l.kind === "conv") {
        col = Math.max(col, l.h * l.w * 9 * Math.max(l.cin, l.cout));
        wmax = Math.max(wmax, 9 * l.cin * l.cout);
      } else if (l.kind === "dense") wmax = Math.max(wmax, l.nin * l.nout);
    }
    this.col = alloc(col);
    this.wtmp = alloc(wmax);
  }

  /**
   * Embed `n` images (`[n, sizes[0]]`, NHWC floats), keeping the
   * activations for {@link backward}.
   * @returns `[n, dim]` embeddings (a copy).
   */
  forward(images: Float32Array, n: number): Float32Array {
    if (!Number.isInteger(n) || n < 1 || n > this.capacity) {
      throw new InputError(`WasmNet.forward: n must be an integer in [1, ${this.capacity}], got ${n}`);
    }
    checkLength(images, n * this.plan.sizes[0]!, "images", "WasmNet");
    this.core.arena.f32().set(images, this.acts[0]! >> 2);
    this.n = n;
    const x = this.x, leak = this.plan.config.leak;
    this.plan.layers.forEach((l, i) => {
      const a = this.acts[i]!, y = this.acts[i + 1]!;
      if (l.kind === "conv") x.conv3x3F32(a, n, l.h, l.w, l.cin, l.cout, this.p + 4 * l.wOff, this.p + 4 * l.bOff, y, this.col);
      else if (l.kind === "lrelu") x.leakyReluF32(y, n * l.size, leak);
      else if (l.kind === "pool") x.maxPool2F32(a, n, l.h, l.w, l.c, y);
      else {
        x.gemmF32(n, l.nout, l.nin, a, l.nin, 1, this.p + 4 * l.wOff, y, 0);
        x.addBiasF32(y, n, l.nout, this.p + 4 * l.bOff);
      }
    });
    const out = this.acts[this.acts.length - 1]! >> 2;
    return this.core.arena.f32().slice(out, out + n * this.plan.config.dim);
  }

  /**
   * Back-propagate ∂loss/∂embeddings of the last {@link forward} batch,
   * ADDING the parameter gradients to the gradient buffer.
   */
  backward(dEmb: Float32Array): void {
    const n = this.n, dim = this.plan.config.dim;
    if (n === 0) throw new InputError("WasmNet.backward: call forward first");
    checkLength(dEmb, n * dim, "dEmb", "WasmNet");
    this.core.arena.f32().set(dEmb, this.g0 >> 2);
    let gOut = this.g0, gIn = this.g1;
    const x = this.x, leak = this.plan.config.leak, p = this.p, g = this.g;
    for (let i = this.plan.layers.length - 1; i >= 0; i--) {
      const l = this.plan.layers[i]!;
      const a = this.acts[i]!, y = this.acts[i + 1]!;
      if (l.kind === "lrelu") {
        x.leakyReluBackF32(y, gOut, n * l.size, leak);
        continue;
      }
      if (l.kind === "conv") {
        x.conv3x3GradWF32(a, gOut, n, l.h, l.w, l.cin, l.cout, g + 4 * l.wOff, g + 4 * l.bOff, this.col);
        if (i === 0) break;
        x.flipConvF32(p + 4 * l.wOff, l.cin, l.cout, this.wtmp);
        x.conv3x3F32(gOut, n, l.h, l.w, l.cout, l.cin, this.wtmp, 0, gIn, this.col);
      } else if (l.kind === "pool") {
        x.maxPool2BackF32(a, y, gOut, n, l.h, l.w, l.c, gIn);
      } else {
        x.gemmF32(l.nin, l.nout, n, a, 1, l.nin, gOut, g + 4 * l.wOff, 1);
        x.colSumF32(gOut, n, l.nout, g + 4 * l.bOff);
        if (i === 0) break;
        x.transposeF32(p + 4 * l.wOff, l.nin, l.nout, this.wtmp);
        x.gemmF32(n, l.nin, l.nout, gOut, l.nout, 1, this.wtmp, gIn, 0);
      }
      [gOut, gIn] = [gIn, gOut];
    }
  }

  /** Give every block back to the arena. */
  override free(): void {
    super.free();
    for (const b of this.blocks.splice(0)) this.core.arena.free(b);
  }
}
