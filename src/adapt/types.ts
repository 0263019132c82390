/**
 * The contract of adapter training: recorded sessions of marks, the adapter
 * itself, the options, the progress events and the result. The
 * implementation lives in the other files of src/adapt/.
 */

import type { AdapterKind } from "../kernels/index.js";

/**
 * One search session: a query and the results the user marked, as row
 * indices into the frozen-encoder vectors the session set carries.
 */
export interface MarkSession {
  /** Row of the query vector. */
  query: number;
  /** Rows marked right (what the user wanted). */
  right: readonly number[];
  /** Rows marked wrong. */
  wrong: readonly number[];
}

/** Sessions and the frozen-encoder vectors they point into. */
export interface SessionSet {
  /** Row-major `[n, dim]` vectors of the frozen encoder. */
  vectors: Float32Array;
  dim: number;
  sessions: readonly MarkSession[];
}

/** A trained adapter: y = x + x·Wt (linear) or y = x + relu(x·W1t + b1)·W2t + b2 (mlp). */
export interface Adapter {
  kind: AdapterKind;
  dim: number;
  /** Hidden units (0 for linear). */
  hidden: number;
  /** The flat parameter buffer (layout: src/kernels/adapter.ts). */
  params: Float32Array;
}

/** Hyper-parameters of one training run. */
export interface TrainAdapterOptions {
  /** Default "linear". */
  kind?: AdapterKind;
  /** MLP hidden units. Default 64. */
  hidden?: number;
  /** Passes over the training sessions. Default 30. */
  epochs?: number;
  /** Sessions per Adam step. Default 64. */
  batchSessions?: number;
  /** Adam learning rate. Default 1e-2. */
  lr?: number;
  /**
   * Triplet margin in squared-distance units. Default: `marginScale` × the
   * median d²(query, marked result) over the training sessions, so the margin
   * follows the scale of the space rather than the encoder's training margin.
   */
  margin?: number;
  /** Default 0.5 (used when `margin` is not given). */
  marginScale?: number;
  /** Weight decay toward the identity: `decay · ‖θ‖²` in the objective. Default 5e-4 (linear), 1e-3 (mlp). */
  decay?: number;
  /** Seed of the initialisation and the batch order. Default 1. */
  seed?: number;
}

/** Progress of {@link adapt} and {@link trainAdapter}, a union on `status`. */
export type AdaptProgress =
  | { status: "split"; train: number; validation: number; heldOut: number; skipped: number }
  | { status: "epoch"; kind: AdapterKind; epoch: number; epochs: number; loss: number; active: number }
  | { status: "validated"; kind: AdapterKind; auc: number }
  | { status: "gate"; ship: boolean; reason: string }
  | { status: "done"; seconds: number };

/** The gate's verdict on held-out sessions. */
export interface GateResult {
  /** Ship the adapter? */
  ship: boolean;
  /** Why, in a sentence with the figures. */
  reason: string;
  /** Held-out sessions scored (those with at least one right and one wrong mark). */
  sessions: number;
  /** Mean per-session AUC of rights over wrongs without the adapter. */
  before: number;
  /** The same with the adapter. */
  after: number;
  /** after − before, and its 95% bootstrap interval. */
  gain: number;
  interval: [number, number];
  /** The gain the gate requires. */
  minGain: number;
}
