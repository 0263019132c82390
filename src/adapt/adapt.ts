/**
 * `adapt`: from recorded sessions of marks to an adapter that is shipped only
 * when it earns it. The sessions are split (seeded) into train, validation
 * and held-out; a linear and an MLP adapter are trained on train; the one
 * with the better validation AUC is refit on train + validation; the gate
 * compares it with no adapter on the held-out sessions.
 */

import { InputError } from "../errors.js";
import { ADAPTER_KINDS, type AdapterKind, type Kernels } from "../kernels/index.js";
import { adaptedRows, gateAdapter, sessionAucs, DEFAULT_MIN_GAIN } from "./gate.js";
import { decayFor, trainAdapter, TRAIN_DEFAULTS } from "./train.js";
import { splitSessions } from "./split.js";
import { checkSessionSet } from "./triplets.js";
import type { AdaptProgress, Adapter, GateResult, MarkSession, SessionSet, TrainAdapterOptions } from "./types.js";

/** Options of {@link adapt}. */
export interface AdaptOptions extends Omit<TrainAdapterOptions, "kind"> {
  kernels: Kernels;
  set: SessionSet;
  /** Kinds to try. Default both, `["linear", "mlp"]`. */
  kinds?: readonly AdapterKind[];
  /** Share of the sessions held out for the gate. Default 0.2. */
  heldOutFraction?: number;
  /** Share of the rest used to choose the kind. Default 0.25. */
  validationFraction?: number;
  /** Required mean held-out AUC gain. Default 0.03 (DEFAULT_MIN_GAIN). */
  minGain?: number;
  /** Fewest held-out sessions the gate judges on. Default 100 (MIN_HELD_OUT). */
  minHeldOut?: number;
  onProgress?: (e: AdaptProgress) => void;
}

/** What {@link adapt} found. */
export interface AdaptResult {
  /** The chosen adapter (also when the gate refused it: `gate.ship` says whether to use it). */
  adapter: Adapter;
  kind: AdapterKind;
  /** Validation AUC per kind tried, and without an adapter. */
  validation: Partial<Record<AdapterKind | "none", number>>;
  gate: GateResult;
  /** The resolved training record, for the model card. */
  training: Required<Omit<TrainAdapterOptions, "margin" | "marginScale">> & {
    margin: number; marginScale: number; sessions: { train: number; validation: number; heldOut: number; skipped: number };
    triplets: number; losses: number[]; seconds: number;
  };
}

/**
 * Train, choose and gate an adapter.
 * @example
 * const r = adapt({ kernels, set: { vectors, dim: 64, sessions }, seed: 1 });
 * if (r.gate.ship) reembed(r.adapter); else console.log(r.gate.reason);
 * @throws InputError for a bad session set or option.
 */
export function adapt(o: AdaptOptions): AdaptResult {
  const t0 = performance.now();
  const set = checkSessionSet(o.set);
  const kinds: readonly AdapterKind[] = o.kinds ?? ADAPTER_KINDS;
  if (!Array.isArray(o.kinds ?? []) || kinds.length === 0 || kinds.some((k) => !ADAPTER_KINDS.includes(k))) {
    throw new InputError(`adapt: kinds must be a non-empty list of "linear", "mlp", got ${JSON.stringify(kinds)}`);
  }
  const seed = o.seed ?? TRAIN_DEFAULTS.seed;
  const { train, validation, heldOut, skipped } = splitSessions(set.sessions, seed, o.heldOutFraction, o.validationFraction);
  const usable = train.length + validation.length + heldOut.length;
  o.onProgress?.({ status: "split", train: train.length, validation: validation.length, heldOut: heldOut.length, skipped });
  if (train.length === 0) throw new InputError(`adapt: ${usable} usable sessions (with a right and a wrong mark) are too few to train; record more marks`);
  const sub = (sessions: readonly MarkSession[]): SessionSet => ({ vectors: set.vectors, dim: set.dim, sessions });
  const opts: TrainAdapterOptions = { ...o };
  const validationAuc: AdaptResult["validation"] = {};
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  validationAuc.none = mean(sessionAucs(set.vectors, set.dim, validation));
  let kind = kinds[0]!;
  if (kinds.length > 1 && validation.length > 0) {
    let best = -Infinity;
    for (const k of kinds) {
      const trained = trainAdapter(o.kernels, sub(train), { ...opts, kind: k }, o.onProgress);
      const auc = mean(sessionAucs(adaptedRows(o.kernels, trained.adapter, set, validation), set.dim, validation));
      validationAuc[k] = auc;
      o.onProgress?.({ status: "validated", kind: k, auc });
      if (auc > best) [best, kind] = [auc, k];
    }
  }
  const final = trainAdapter(o.kernels, sub([...train, ...validation]), { ...opts, kind }, o.onProgress);
  const gate = gateAdapter(o.kernels, set, final.adapter, heldOut, { minGain: o.minGain ?? DEFAULT_MIN_GAIN, minSessions: o.minHeldOut, seed });
  o.onProgress?.({ status: "gate", ship: gate.ship, reason: gate.reason });
  const seconds = (performance.now() - t0) / 1000;
  o.onProgress?.({ status: "done", seconds });
  const d = { ...TRAIN_DEFAULTS, ...o };
  return {
    adapter: final.adapter, kind, validation: validationAuc, gate,
    training: {
      kind, hidden: kind === "mlp" ? d.hidden : 0, epochs: d.epochs, batchSessions: d.batchSessions, lr: d.lr, decay: decayFor(kind, o.decay), seed,
      margin: final.margin, marginScale: d.marginScale,
      sessions: { train: train.length, validation: validation.length, heldOut: heldOut.length, skipped },
      triplets: final.triplets, losses: final.losses, seconds,
    },
  };
}
