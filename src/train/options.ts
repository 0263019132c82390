/**
 * The trainer's options, their defaults, and the checks that run before any
 * work starts.
 */

import { InputError } from "../errors.js";
import { MINING, AVERAGES, type Mining, type Average } from "../kernels/index.js";
import { LOSSES, type LossName } from "../model/card.js";
import type { LabeledImages } from "../data/idx.js";
import { AUGMENTS, type Augment } from "./batch.js";
import type { NetConfig } from "../nn/plan.js";

/** LR schedules: constant, or cosine decay to `minLrFactor`·lr at the last step. */
export const LR_SCHEDULES = ["cosine", "constant"] as const;
/** How the learning rate changes over a training run: one of {@link LR_SCHEDULES}. */
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** Progress events of {@link train}, discriminated on `status`. */
export type TrainProgress =
  | { status: "baseline"; validation: { precisionAt1: number }; test?: Record<string, number> }
  | { status: "batch"; epoch: number; batch: number; batches: number; loss: number }
  | { status: "epoch"; record: EpochRecord }
  | { status: "collapse"; epoch: number; message: string }
  | { status: "test"; metrics: Record<string, number> };

/** The log line of one epoch. */
export interface EpochRecord {
  epoch: number;
  mining: string;
  lr: number;
  loss: number;
  /** Mean over batches of active / valid triplets (or pairs). */
  activeFraction: number;
  /** Over all valid triplets of a validation sample, after the epoch. */
  easy: number;
  semiHard: number;
  hard: number;
  meanPositiveDistance: number;
  meanNegativeDistance: number;
  spread: number;
  validationPrecisionAt1: number;
  seconds: number;
}

/** Options of {@link train}; every field but `train` has a default. */
export interface TrainOptions {
  /** The labeled training images (a validation split is taken from them). */
  train: LabeledImages;
  /** Held-out test images: metrics before and after training. */
  test?: LabeledImages;
  /** Architecture; default the seed's (conv [32, 48], dense [64], dim 64). Input size comes from the data. */
  net?: Partial<Omit<NetConfig, "height" | "width" | "channels">>;
  /** Default "triplet". */
  loss?: LossName;
  /** Online mining for the triplet loss. Default "batch-all". */
  mining?: Mining;
  /** Epochs of batch-all before switching to `mining` (a warm start for batch-hard). Default 0. */
  warmupEpochs?: number;
  /** Default 0.5 (triplet) / 1 (contrastive). */
  margin?: number;
  /** Triplet loss on d² (default true) or d. */
  squared?: boolean;
  /** Batch-all reduction. Default "active". */
  average?: Average;
  /** Before each epoch, embed the training set and pair each anchor with its nearest wrong-label image. Default false. */
  offlineMining?: boolean;
  /** Default 10. */
  epochs?: number;
  /** P×K: batch size (default 160) and classes per batch P (default 10); K = batch / P. */
  batchSize?: number;
  classesPerBatch?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  lrSchedule?: LrSchedule;
  /** Final LR = lr × this with the cosine schedule. Default 0.05. */
  minLrFactor?: number;
  weightDecay?: number;
  /** Default "none". */
  augment?: Augment;
  /** Maximum shift in pixels. Default 2. */
  shift?: number;
  /** Fraction of `train` held out for validation. Default 0.1. */
  validation?: number;
  /** Default 1. */
  seed?: number;
  /** Data-parallel replicas (worker threads; 1 = this thread). Default 1. */
  workers?: number;
  /** Write a checkpoint here after every epoch. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  resume?: boolean;
  onProgress?: (e: TrainProgress) => void;
  /** Warnings (collapse) go here. Default: none. */
  logger?: { warn(message: string): void };
}

export type ResolvedOptions = Required<Omit<TrainOptions, "test" | "checkpointDir" | "onProgress" | "logger" | "net">> &
  Pick<TrainOptions, "test" | "checkpointDir" | "onProgress" | "logger" | "net">;

const where = "train";

function oneOf<T extends string>(v: unknown, set: readonly T[], name: string): T {
  if (!set.includes(v as T)) throw new InputError(`${where}: unsupported ${name} "${String(v)}". Should be one of: ${set.join(", ")}`);
  return v as T;
}

function int(v: number, name: string, min: number, max = Infinity): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${where}: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/**
 * Fill defaults and check every option and the data shape.
 * @throws InputError naming the option, its value and the allowed range.
 */
export function resolveOptions(o: TrainOptions): ResolvedOptions {
  const loss = oneOf(o.loss ?? "triplet", LOSSES, "loss");
  const r: ResolvedOptions = {
    ...o,
    loss,
    mining: oneOf(o.mining ?? "batch-all", MINING, "mining"),
    warmupEpochs: o.warmupEpochs ?? 0,
    margin: o.margin ?? (loss === "triplet" ? 0.5 : 1),
    squared: o.squared ?? true,
    average: oneOf(o.average ?? "active", AVERAGES, "average"),
    offlineMining: o.offlineMining ?? false,
    epochs: o.epochs ?? 10,
    batchSize: o.batchSize ?? 160,
    classesPerBatch: o.classesPerBatch ?? 10,
    lr: o.lr ?? 1e-3,
    lrSchedule: oneOf(o.lrSchedule ?? "cosine", LR_SCHEDULES, "lrSchedule"),
    minLrFactor: o.minLrFactor ?? 0.05,
    weightDecay: o.weightDecay ?? 0,
    augment: oneOf(o.augment ?? "none", AUGMENTS, "augment"),
    shift: o.shift ?? 2,
    validation: o.validation ?? 0.1,
    seed: o.seed ?? 1,
    workers: o.workers ?? 1,
    resume: o.resume ?? false,
  };
  if (!(typeof r.margin === "number" && Number.isFinite(r.margin) && r.margin > 0)) {
    throw new InputError(`${where}: margin must be a number > 0, got ${r.margin}; the loss needs a positive gap between positives and negatives`);
  }
  int(r.epochs, "epochs", 1, 10000);
  int(r.warmupEpochs, "warmupEpochs", 0, r.epochs);
  int(r.batchSize, "batchSize", 4, 4096);
  int(r.classesPerBatch, "classesPerBatch", 2, 4096);
  int(r.workers, "workers", 1, 64);
  int(r.shift, "shift", 0, 8);
  int(r.seed, "seed", 0, 2 ** 31 - 1);
  if (!(r.lr > 0 && r.lr < 1)) throw new InputError(`${where}: lr must be in (0, 1), got ${r.lr}`);
  if (!(r.minLrFactor > 0 && r.minLrFactor <= 1)) throw new InputError(`${where}: minLrFactor must be in (0, 1], got ${r.minLrFactor}`);
  if (!(r.weightDecay >= 0 && r.weightDecay < 1)) throw new InputError(`${where}: weightDecay must be in [0, 1), got ${r.weightDecay}`);
  if (!(r.validation > 0 && r.validation < 0.5)) throw new InputError(`${where}: validation must be a fraction in (0, 0.5), got ${r.validation}`);
  if (r.resume && !r.checkpointDir) throw new InputError(`${where}: resume needs checkpointDir (the folder the checkpoints were written to)`);
  const t = o.train;
  if (!t || !(t.pixels instanceof Uint8Array) || !(t.labels instanceof Int32Array)) throw new InputError(`${where}: train must be a LabeledImages set (pixels Uint8Array, labels Int32Array)`);
  if (t.pixels.length !== t.count * t.height * t.width * t.channels || t.labels.length !== t.count) {
    throw new InputError(`${where}: ${t.name} has ${t.pixels.length} pixel bytes and ${t.labels.length} labels for ${t.count} images of ${t.height}×${t.width}×${t.channels}`);
  }
  if (o.test && (o.test.height !== t.height || o.test.width !== t.width || o.test.channels !== t.channels)) {
    throw new InputError(`${where}: test images are ${o.test.height}×${o.test.width}×${o.test.channels} but training images are ${t.height}×${t.width}×${t.channels}`);
  }
  return r;
}
