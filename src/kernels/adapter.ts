/**
 * The adapter's view of the wasm module: a residual map y = x + f(x) on top
 * of a frozen encoder, with its parameters, gradients and Adam moments
 * resident in one Kernels instance's memory, trained with the triplet loss
 * over explicit triplets of rows (assembly/adapter.ts).
 *
 * Parameter layout (one flat f32 buffer, see {@link adapterLayout}):
 *   linear  Wt [dim, dim]                       y = x + x·Wt        (Wt = Δᵀ, so y = (I + Δ)x)
 *   mlp     W1t [dim, h], b1 [h], W2t [h, dim], b2 [dim]
 *                                               y = x + relu(x·W1t + b1)·W2t + b2
 * Every parameter at zero except W1t is the identity map, so weight decay on
 * the parameters is decay toward the identity.
 *
 * Memory per instance (capacity rows): X, Y, G [cap, dim]; H, dH [cap, h];
 * W2 transposed [dim, h]; params, grads, Adam m and v [P] (a ParamBlock,
 * kernels/param-block.ts, which this class extends, as the network does).
 */

import { InputError } from "../errors.js";
import { coreOf } from "./core.js";
import type { Kernels } from "./kernels.js";
import { ParamBlock, type AdamOptions } from "./param-block.js";
import type { F32Input } from "./types.js";
import { checkDim, checkMargin, checkOneOf, rowsOf } from "./validate.js";

/** The two adapter architectures. */
export const ADAPTER_KINDS = ["linear", "mlp"] as const;
/** The shape of an adapter over the encoder's embeddings: one of {@link ADAPTER_KINDS}. */
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

/** An adapter's architecture. */
export interface AdapterShape {
  kind: AdapterKind;
  /** Embedding size in and out. */
  dim: number;
  /** Hidden units of the MLP (ignored for linear). */
  hidden: number;
}

/** Offsets (in floats) of each parameter block, and the total count. */
export interface AdapterLayout {
  params: number;
  w1: number;
  b1: number;
  w2: number;
  b2: number;
}

/** Where each parameter block lives in the flat buffer. Linear uses only `w1` (its Wt). */
export function adapterLayout(s: AdapterShape): AdapterLayout {
  const { dim, hidden: h } = s;
  if (s.kind === "linear") return { params: dim * dim, w1: 0, b1: -1, w2: -1, b2: -1 };
  return { w1: 0, b1: dim * h, w2: dim * h + h, b2: dim * h + h + h * dim, params: dim * h + h + h * dim + dim };
}

/** Checks an Int32Array of (anchor, positive, negative) row triplets against `rows`. */
function checkTriplets(triplets: unknown, rows: number, where: string): Int32Array {
  if (!(triplets instanceof Int32Array) || triplets.length % 3 !== 0) {
    throw new InputError(`${where}: triplets must be an Int32Array of (anchor, positive, negative) rows, length a multiple of 3`);
  }
  for (let i = 0; i < triplets.length; i++) {
    const r = triplets[i]!;
    if (r < 0 || r >= rows) {
      throw new InputError(`${where}: triplets[${i}] = ${r} is outside the ${rows} rows; every index must be in [0, ${rows - 1}]`);
    }
  }
  return triplets;
}

/**
 * Triplet loss `max(0, d²(a,p) − d²(a,n) + m)` over explicit triplets of
 * rows, summed and times `scale` (default 1/t: the mean over all triplets),
 * with its gradient w.r.t. the embeddings.
 * @throws InputError for a bad margin, an index out of range or a non-finite value.
 */
export function tripletRowsLoss(
  k: Kernels,
  o: { embeddings: F32Input; triplets: Int32Array; dim: number; margin: number; scale?: number },
): { loss: number; active: number; grad: Float32Array } {
  const where = "tripletRowsLoss";
  const dim = checkDim(o.dim, where);
  const n = rowsOf(o.embeddings, dim, "embeddings", where);
  const trip = checkTriplets(o.triplets, n, where);
  const margin = checkMargin(o.margin, where);
  const t = trip.length / 3;
  const scale = o.scale ?? (t ? 1 / t : 0);
  const core = coreOf(k);
  return core.call((c) => {
    const x = c.in(o.embeddings);
    core.checkFinite(x, n * dim, o.embeddings, dim, where);
    const g = c.tmp(n * dim * 4);
    core.arena.f32().fill(0, g >> 2, (g >> 2) + n * dim);
    const out = c.tmp(16);
    core.x.tripletRowsF32(x, dim, c.inI32(trip), t, margin, scale, g, out);
    const f64 = core.arena.f64();
    return { loss: f64[out >> 3]! * scale, active: f64[(out >> 3) + 1]!, grad: c.outF32(g, n * dim) };
  });
}

/** Adam's hyper-parameters for {@link WasmAdapter.adam}: the network's, without weight decay (the loss has its own). */
export type AdapterAdamOptions = Omit<AdamOptions, "weightDecay">;

/**
 * An adapter resident in wasm memory: forward, the triplet loss with the
 * parameter gradients by the chain rule, Adam.
 * @example
 * const a = new WasmAdapter(k, { kind: "linear", dim: 64, hidden: 0 }, 512);
 * const { loss } = a.lossGrad({ rows, triplets, margin: 0.2, decay: 1e-3 });
 * a.adam({ lr: 1e-3 });
 */
export class WasmAdapter extends ParamBlock {
  readonly shape: AdapterShape;
  readonly layout: AdapterLayout;
  /** Largest number of rows one call takes. */
  readonly capacity: number;
  private readonly blocks: number[] = [];
  private readonly xb: number;
  private readonly yb: number;
  private readonly gb: number;
  private readonly hb: number;
  private readonly dhb: number;
  private readonly w2t: number;
  private readonly out: number;

  constructor(k: Kernels, shape: AdapterShape, capacity: number) {
    const where = "WasmAdapter";
    checkOneOf(shape.kind, ADAPTER_KINDS, "kind", where);
    const dim = checkDim(shape.dim, where);
    const h = shape.kind === "mlp" ? checkDim(shape.hidden, `${where} hidden`) : 0;
    if (!Number.isInteger(capacity) || capacity < 1) throw new InputError(`${where}: capacity must be a positive integer, got ${capacity}`);
    const checked: AdapterShape = { kind: shape.kind, dim, hidden: h };
    const layout = adapterLayout(checked);
    super(coreOf(k), layout.params, where);
    this.shape = checked;
    this.layout = layout;
    this.capacity = capacity;
    const arena = this.core.arena;
    const alloc = (floats: number) => {
      const ptr = arena.alloc(Math.max(4, floats) * 4);
      this.blocks.push(ptr);
      arena.f32().fill(0, ptr >> 2, (ptr >> 2) + floats);
      return ptr;
    };
    [this.xb, this.yb, this.gb] = [alloc(capacity * dim), alloc(capacity * dim), alloc(capacity * dim)];
    [this.hb, this.dhb, this.w2t] = [alloc(capacity * h), alloc(capacity * h), alloc(dim * h)];
    this.out = alloc(4);
  }

  /**
   * Map `[n, dim]` vectors through the adapter (any n: done in blocks of
   * `capacity`).
   * @returns `[n, dim]` adapted vectors.
   */
  apply(vectors: Float32Array): Float32Array {
    const dim = this.shape.dim;
    const n = rowsOf(vectors, dim, "vectors", "WasmAdapter.apply", true);
    const out = new Float32Array(n * dim);
    for (let r = 0; r < n; r += this.capacity) {
      const len = Math.min(this.capacity, n - r);
      this.forward(vectors.subarray(r * dim, (r + len) * dim), len, "WasmAdapter.apply");
      out.set(this.core.arena.f32().subarray(this.yb >> 2, (this.yb >> 2) + len * dim), r * dim);
    }
    return out;
  }

  /**
   * The training objective on one batch and its gradient w.r.t. the
   * parameters (left in the gradient buffer for {@link adam}):
   * `scale · Σ_triplets max(0, d²(a,p) − d²(a,n) + m) + decay · ‖θ‖²`
   * with a, p, n the ADAPTED rows and θ every parameter but b1.
   * @param o.rows `[n, dim]` frozen-encoder vectors, n ≤ capacity.
   * @param o.triplets (anchor, positive, negative) indices into rows.
   * @param o.scale Default 1/t (the mean over the batch's triplets).
   */
  lossGrad(o: { rows: Float32Array; triplets: Int32Array; margin: number; decay?: number; scale?: number }): { loss: number; active: number } {
    const where = "WasmAdapter.lossGrad";
    const dim = this.shape.dim;
    const n = rowsOf(o.rows, dim, "rows", where);
    if (n > this.capacity) throw new InputError(`${where}: ${n} rows exceed the capacity ${this.capacity}; split the batch`);
    const trip = checkTriplets(o.triplets, n, where);
    const margin = checkMargin(o.margin, where);
    const decay = o.decay ?? 0;
    if (!(decay >= 0) || !Number.isFinite(decay)) throw new InputError(`${where}: decay must be a finite number ≥ 0, got ${decay}`);
    const t = trip.length / 3;
    const scale = o.scale ?? (t ? 1 / t : 0);
    const k = this.core, x = k.x, L = this.layout, h = this.shape.hidden;
    this.forward(o.rows, n, where);
    const f = k.arena.f32();
    f.fill(0, this.gb >> 2, (this.gb >> 2) + n * dim);
    this.zeroGrads();
    let loss = 0, active = 0;
    if (t) {
      k.call((c) => {
        x.tripletRowsF32(this.yb, dim, c.inI32(trip), t, margin, scale, this.gb, this.out);
      });
      const f64 = k.arena.f64();
      loss = f64[this.out >> 3]! * scale;
      active = f64[(this.out >> 3) + 1]!;
    }
    const p = this.p, g = this.g, X = this.xb, G = this.gb;
    if (this.shape.kind === "linear") {
      x.gemmF32(dim, dim, n, X, 1, dim, G, g, 1); // dWt = Xᵀ·G
    } else {
      const H = this.hb, dH = this.dhb;
      x.gemmF32(h, dim, n, H, 1, h, G, g + 4 * L.w2, 1); // dW2t = Hᵀ·G
      x.colSumF32(G, n, dim, g + 4 * L.b2);
      x.transposeF32(p + 4 * L.w2, h, dim, this.w2t);
      x.gemmF32(n, h, dim, G, dim, 1, this.w2t, dH, 0); // dH = G·W2tᵀ
      x.leakyReluBackF32(H, dH, n * h, 0);
      x.gemmF32(dim, h, n, X, 1, dim, dH, g + 4 * L.w1, 1); // dW1t = Xᵀ·dH
      x.colSumF32(dH, n, h, g + 4 * L.b1);
    }
    if (decay > 0) {
      const fv = k.arena.f32();
      const P = L.params, p0 = p >> 2, g0 = g >> 2;
      let sq = 0;
      for (let i = 0; i < P; i++) {
        if (L.b1 >= 0 && i >= L.b1 && i < L.b1 + h) continue;
        const w = fv[p0 + i]!;
        sq += w * w;
        fv[g0 + i] = fv[g0 + i]! + 2 * decay * w;
      }
      loss += decay * sq;
    }
    return { loss, active };
  }

  /** One Adam step with the gradient of the last {@link lossGrad} (no weight decay: the loss holds the decay toward the identity). */
  override adam(o: AdapterAdamOptions): void {
    super.adam({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
  }

  /** Give every block back to the arena. */
  override free(): void {
    super.free();
    for (const b of this.blocks.splice(0)) this.core.arena.free(b);
  }

  /** Y = X + f(X) for n rows, keeping H for the backward pass. */
  private forward(rows: Float32Array, n: number, where: string): void {
    const dim = this.shape.dim, h = this.shape.hidden, L = this.layout, x = this.core.x, p = this.p;
    const f = this.core.arena.f32();
    f.set(rows, this.xb >> 2);
    if (x.countNonFiniteF32(this.xb, n * dim)) throw new InputError(`${where}: a vector holds a non-finite value; every value must be a finite number`);
    f.copyWithin(this.yb >> 2, this.xb >> 2, (this.xb >> 2) + n * dim);
    if (this.shape.kind === "linear") {
      x.gemmF32(n, dim, dim, this.xb, dim, 1, p + 4 * L.w1, this.yb, 1);
    } else {
      x.gemmF32(n, h, dim, this.xb, dim, 1, p + 4 * L.w1, this.hb, 0);
      x.addBiasF32(this.hb, n, h, p + 4 * L.b1);
      x.leakyReluF32(this.hb, n * h, 0);
      x.gemmF32(n, dim, h, this.hb, h, 1, p + 4 * L.w2, this.yb, 1);
      x.addBiasF32(this.yb, n, dim, p + 4 * L.b2);
    }
  }
}
