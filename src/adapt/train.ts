/**
 * One adapter trained on sessions of marks: the triplet loss on the frozen
 * encoder's vectors passed through the adapter (kernels: assembly/adapter.ts
 * for the loss, gemm for the chain rule), weight decay toward the identity,
 * Adam, seeded batch order. Same sessions, options and seed: the same bytes.
 */

import { mulberry32, shuffleInPlace } from "../data/random.js";
import { InputError } from "../errors.js";
import { WasmAdapter, type AdapterKind, type Kernels } from "../kernels/index.js";
import { identityAdapter } from "./adapter.js";
import { sessionTriplets, type SessionTriplets } from "./triplets.js";
import type { AdaptProgress, Adapter, SessionSet, TrainAdapterOptions } from "./types.js";

/** The defaults of {@link TrainAdapterOptions}, resolved. */
export const TRAIN_DEFAULTS = {
  kind: "linear", hidden: 64, epochs: 30, batchSessions: 64, lr: 1e-2, marginScale: 0.5, seed: 1,
} as const;

/**
 * Default weight decay per kind: the MLP, with twice the parameters and a
 * bias that shifts every vector, gets the stronger pull toward identity
 * (tuned on the simulation's seed 99, never a reported seed: docs/adapt.md).
 */
export const DEFAULT_DECAY = { linear: 5e-4, mlp: 1e-3 } as const;

/** The decay a run of `kind` uses. */
export function decayFor(kind: AdapterKind, decay?: number): number {
  return decay ?? DEFAULT_DECAY[kind];
}

/** What one training run gives back. */
export interface TrainedAdapter {
  adapter: Adapter;
  /** The margin used (resolved from `marginScale` when not given). */
  margin: number;
  /** Mean objective per epoch. */
  losses: number[];
  /** Sessions that gave triplets. */
  sessions: number;
  triplets: number;
}

/**
 * The margin that follows the scale of the space: `scale` × the median
 * d²(query, marked result) over the sessions.
 */
export function marginFromSessions(set: SessionSet, scale: number): number {
  const { vectors, dim } = set;
  const d: number[] = [];
  for (const s of set.sessions) {
    for (const r of [...s.right, ...s.wrong]) {
      let acc = 0;
      for (let j = 0; j < dim; j++) {
        const t = vectors[s.query * dim + j]! - vectors[r * dim + j]!;
        acc += t * t;
      }
      d.push(acc);
    }
  }
  if (d.length === 0) throw new InputError("adapt: no session has a marked result; record marks first");
  d.sort((a, b) => a - b);
  const m = scale * d[d.length >> 1]!;
  if (!(m > 0)) throw new InputError("adapt: every marked result sits on its query (median distance 0), so no margin can be set; pass margin");
  return m;
}

function positive(v: number, name: string, integer = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new InputError(`adapt: ${name} must be a ${integer ? "positive integer" : "finite number > 0"}, got ${String(v)}`);
  }
  return v;
}

/**
 * Train one adapter on `set` (sessions already checked by checkSessionSet).
 * @example
 * const { adapter } = trainAdapter(kernels, { vectors, dim: 64, sessions }, { kind: "linear", seed: 7 });
 */
export function trainAdapter(
  kernels: Kernels, set: SessionSet, options: TrainAdapterOptions = {}, onProgress?: (e: AdaptProgress) => void,
): TrainedAdapter {
  const o = { ...TRAIN_DEFAULTS, ...options };
  const decay = decayFor(o.kind, options.decay);
  const epochs = positive(o.epochs, "epochs", true);
  const batchSessions = positive(o.batchSessions, "batchSessions", true);
  const lr = positive(o.lr, "lr");
  if (!(decay >= 0) || !Number.isFinite(decay)) throw new InputError(`adapt: decay must be a finite number ≥ 0, got ${decay}`);
  const margin = options.margin === undefined ? marginFromSessions(set, positive(o.marginScale, "marginScale")) : positive(options.margin, "margin");
  const dim = set.dim;
  const start = identityAdapter({ kind: o.kind, dim, hidden: o.hidden, seed: o.seed });
  const items: SessionTriplets[] = set.sessions.map(sessionTriplets).filter((s) => s.triplets.length > 0);
  const triplets = items.reduce((a, s) => a + s.triplets.length / 3, 0);
  if (items.length === 0) {
    return { adapter: start, margin, losses: [], sessions: 0, triplets: 0 };
  }
  const maxRows = Math.max(...items.map((s) => s.rows.length));
  const w = new WasmAdapter(kernels, start, batchSessions * maxRows);
  const rows = new Float32Array(batchSessions * maxRows * dim);
  const trip = new Int32Array(batchSessions * Math.max(...items.map((s) => s.triplets.length)));
  const random = mulberry32(o.seed);
  const order = Int32Array.from(items.keys());
  const losses: number[] = [];
  try {
    w.setParams(start.params);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffleInPlace(order, random);
      let sum = 0, active = 0, steps = 0;
      for (let b = 0; b < order.length; b += batchSessions) {
        let nr = 0, nt = 0;
        for (let i = b; i < Math.min(order.length, b + batchSessions); i++) {
          const s = items[order[i]!]!;
          for (let t = 0; t < s.triplets.length; t++) trip[nt++] = s.triplets[t]! + nr;
          for (const r of s.rows) rows.set(set.vectors.subarray(r * dim, (r + 1) * dim), (nr++) * dim);
        }
        const res = w.lossGrad({ rows: rows.subarray(0, nr * dim), triplets: trip.subarray(0, nt), margin, decay });
        w.adam({ lr });
        sum += res.loss;
        active += res.active;
        steps++;
      }
      losses.push(sum / steps);
      onProgress?.({ status: "epoch", kind: o.kind, epoch, epochs, loss: sum / steps, active });
    }
    return { adapter: { ...start, params: w.getParams() }, margin, losses, sessions: items.length, triplets };
  } finally {
    w.free();
  }
}
