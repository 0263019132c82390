/**
 * `train()`: metric learning of the encoder on the wasm kernels.
 *
 * Per step: a P×K batch is split across the replicas (one per core); each
 * embeds its share; the batch's embeddings are gathered here and the loss
 * (triplet with online mining, or contrastive) gives ∂loss/∂embeddings on
 * the kernels; each replica back-propagates its share; the gradients are
 * summed in replica order (deterministic) and every replica takes the same
 * Adam step, so all copies of the weights stay bit-identical.
 */

import { Kernels, type LossResult, type Mining } from "../kernels/index.js";
import { checkPK, pkEpoch } from "../data/sampler.js";
import { mulberry32, shuffleInPlace } from "../data/random.js";
import { drawAugment, pixelStats, type ImageSource } from "./batch.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { detectCollapse, embeddingSpread, retrievalMetrics, type RetrievalMetrics } from "./metrics.js";
import { initParams, planNet, type NetPlan } from "../nn/plan.js";
import { resolveOptions, type EpochRecord, type ResolvedOptions, type TrainOptions } from "./options.js";
import { LocalReplica, WorkerReplica, type Replica } from "./replica.js";
import { offlineBatches } from "./offline.js";
import { InputError } from "../errors.js";

/** What {@link train} returns: the weights, their normalization and the record. */
export interface TrainResult {
  plan: NetPlan;
  params: Float32Array;
  mean: number;
  std: number;
  history: EpochRecord[];
  baseline: { validationPrecisionAt1: number; test?: RetrievalMetrics };
  test?: RetrievalMetrics;
  /** True when the last epoch looked collapsed. */
  collapsed: boolean;
}

const STATS_SAMPLE = 1000;

/** Everything a run fixes before its first step: the splits, the network, the kernels, the replicas. */
interface Run {
  o: ResolvedOptions;
  plan: NetPlan;
  dim: number;
  k: Kernels;
  replicas: Replica[];
  P: number;
  K: number;
  mean: number;
  std: number;
  valIdx: Int32Array;
  valLabels: Int32Array;
  trainIdx: Int32Array;
  byClass: Map<number, number[]>;
  testIdx?: Int32Array;
  embed(idx: Int32Array): Promise<Float32Array>;
}

/** Where a run stands: the step counter, the history so far, the baseline and the untrained spread. */
interface Progress {
  start: number;
  step: number;
  history: EpochRecord[];
  baseline: TrainResult["baseline"];
  spread0: number;
}

/** What one epoch's steps leave for its record. */
interface EpochSums {
  mining: Mining;
  batches: number;
  lossSum: number;
  activeSum: number;
}

/**
 * Train an encoder, in named stages: `prepare` the run (and `begin`: the
 * starting weights and the baseline), then per epoch `epochSteps`,
 * `recordEpoch` and `checkpoint`.
 * @throws InputError for bad options or data (before any work starts); DataError for a bad checkpoint.
 * @example
 * const train = await loadIdx({ dir, split: "train" });
 * const r = await train({ train, epochs: 4, workers: 2, onProgress: console.log });
 * await saveModel({ dir: "models", name: "mine", plan: r.plan, params: r.params, mean: r.mean, std: r.std });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const run = await prepare(resolveOptions(options));
  const { o, replicas } = run;
  try {
    const at = await begin(run);
    let collapsed = false;
    for (let epoch = at.start; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const sums = await epochSteps(run, at, epoch);
      collapsed = await recordEpoch(run, at, epoch, sums, t0);
      await checkpoint(run, at, epoch);
    }
    const final = await replicas[0]!.state();
    let test: RetrievalMetrics | undefined;
    if (o.test) {
      test = retrievalMetrics(run.k, { embeddings: await run.embed(run.testIdx!), labels: o.test.labels, dim: run.dim, full: true });
      o.onProgress?.({ status: "test", metrics: { ...test } });
    }
    return { plan: run.plan, params: final.params, mean: run.mean, std: run.std, history: at.history, baseline: at.baseline, ...(test ? { test } : {}), collapsed };
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
  }
}

/** Stage 1: check the P×K shape, split off the validation rows (seeded), plan the network, start the replicas. */
async function prepare(o: ResolvedOptions): Promise<Run> {
  const data = o.train;
  const P = o.classesPerBatch, K = Math.floor(o.batchSize / P);
  checkPK(data.labels, { classesPerBatch: P, perClass: K }, "train");
  // validation split (seeded), then the P×K checks on what is left for training
  const perm = shuffleInPlace(Array.from({ length: data.count }, (_, i) => i), mulberry32(o.seed ^ 0x5eed5));
  const nVal = Math.max(2, Math.round(data.count * o.validation));
  const valIdx = Int32Array.from(perm.slice(0, nVal)).sort();
  const trainIdx = Int32Array.from(perm.slice(nVal)).sort();
  const local = checkPK(Int32Array.from(trainIdx, (i) => data.labels[i]!), { classesPerBatch: P, perClass: K }, "train (after the validation split)");
  const byClass = new Map([...local].map(([c, rows]) => [c, rows.map((r) => trainIdx[r]!)]));
  const valLabels = Int32Array.from(valIdx, (i) => data.labels[i]!);

  const { mean, std } = pixelStats(data.pixels);
  const plan = planNet({ ...o.net, height: data.height, width: data.width, channels: data.channels });
  const dim = plan.config.dim;
  const k = await Kernels.load();
  const source = sharedSource(o);
  const testIdx = o.test ? Int32Array.from({ length: o.test.count }, (_, i) => data.count + i) : undefined;
  const capacity = Math.ceil(Math.max(o.batchSize, 4 * P) / o.workers);
  const init = { net: plan.config, capacity, source, mean, std };
  const replicas: Replica[] = o.workers === 1
    ? [await LocalReplica.create(init)]
    : await Promise.all(Array.from({ length: o.workers }, () => WorkerReplica.create(init)));
  return {
    o, plan, dim, k, replicas, P, K, mean, std, valIdx, valLabels, trainIdx, byClass, ...(testIdx ? { testIdx } : {}),
    embed: (idx) => embedAll(replicas, idx, dim),
  };
}

/** The weights to start from (fresh or the checkpoint's) and the untrained baseline, reported once. */
async function begin(run: Run): Promise<Progress> {
  const { o, plan, replicas, k, dim, valLabels } = run;
  let params = initParams(plan, o.seed);
  let start = 0, step = 0;
  let history: EpochRecord[] = [];
  let baseline: TrainResult["baseline"] | undefined;
  if (o.resume) {
    const c = await loadCheckpoint(o.checkpointDir!);
    if (c.meta.params !== plan.params || JSON.stringify(c.meta.net) !== JSON.stringify(plan.config)) {
      throw new InputError(`train: the checkpoint in ${o.checkpointDir} is for network ${JSON.stringify(c.meta.net)}, not ${JSON.stringify(plan.config)}; resume with the same settings`);
    }
    params = c.params;
    start = c.meta.epoch;
    step = c.meta.step;
    history = c.meta.history as EpochRecord[];
    baseline = c.meta.baseline as TrainResult["baseline"];
    await Promise.all(replicas.map((r) => r.setState(params, { m: c.m, v: c.v, step })));
  } else {
    await Promise.all(replicas.map((r) => r.setState(params)));
  }
  const valEmb = await run.embed(run.valIdx);
  const spread0 = embeddingSpread(valEmb, dim);
  if (!baseline) {
    baseline = { validationPrecisionAt1: retrievalMetrics(k, { embeddings: valEmb, labels: valLabels, dim }).precisionAt1 };
    if (o.test) baseline.test = retrievalMetrics(k, { embeddings: await run.embed(run.testIdx!), labels: o.test.labels, dim, full: true });
  }
  o.onProgress?.({ status: "baseline", validation: { precisionAt1: baseline.validationPrecisionAt1 }, ...(baseline.test ? { test: { ...baseline.test } } : {}) });
  return { start, step, history, baseline, spread0 };
}

/** Optimizer steps per epoch: the P×K batches the training rows fill. */
function stepsPerEpoch(run: Run): number {
  return Math.max(1, Math.floor(run.trainIdx.length / (run.P * run.K)));
}

/** Stage 2: the epoch's batches (seeded by the epoch), each a data-parallel step. */
async function epochSteps(run: Run, at: Progress, epoch: number): Promise<EpochSums> {
  const { o, k, replicas, dim, P, K } = run;
  const labels = o.train.labels;
  const totalSteps = o.epochs * stepsPerEpoch(run);
  const random = mulberry32((o.seed * 7919 + (epoch + 1) * 104729) >>> 0);
  const batches = o.offlineMining
    ? await offlineBatches({ k, replicas, byClass: run.byClass, labels, P, K, dim, random, embed: run.embed })
    : pkEpoch(run.byClass, { classesPerBatch: P, perClass: K }, random);
  const mining: Mining = epoch < o.warmupEpochs ? "batch-all" : o.mining;
  let lossSum = 0, activeSum = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    const aug = drawAugment(o.augment, batch.length, o.shift, random);
    const lr = lrAt(o, at.step, totalSteps);
    const parts = split(batch.length, replicas.length);
    const embs = await Promise.all(replicas.map((r, i) => r.forward(batch.slice(parts[i]!, parts[i + 1]!), aug ? aug.slice(3 * parts[i]!, 3 * parts[i + 1]!) : null, true)));
    const emb = concat(embs, batch.length * dim);
    const res = lossOf(k, o, mining, emb, Int32Array.from(batch, (i) => labels[i]!), dim);
    const grads = await Promise.all(replicas.map((r, i) => r.backward(res.grad.slice(parts[i]! * dim, parts[i + 1]! * dim))));
    const sum = grads[0]!;
    for (let i = 1; i < grads.length; i++) for (let j = 0; j < sum.length; j++) sum[j]! += grads[i]![j]!;
    await Promise.all(replicas.map((r) => r.apply(sum, { lr, weightDecay: o.weightDecay })));
    at.step++;
    lossSum += res.loss;
    activeSum += res.valid > 0 ? res.active / res.valid : 0;
    o.onProgress?.({ status: "batch", epoch: epoch + 1, batch: b + 1, batches: batches.length, loss: res.loss });
  }
  return { mining, batches: batches.length, lossSum, activeSum };
}

/**
 * Stage 3: the epoch's record on the validation rows (triplet statistics on a
 * sample, spread, precision@1), reported, and the collapse check.
 * @returns whether the embeddings look collapsed.
 */
async function recordEpoch(run: Run, at: Progress, epoch: number, sums: EpochSums, t0: number): Promise<boolean> {
  const { o, k, dim, valLabels } = run;
  const { mining } = sums;
  const valEmb = await run.embed(run.valIdx);
  const sample = Math.min(STATS_SAMPLE, run.valIdx.length);
  const stats = hasPositivePair(valLabels.subarray(0, sample))
    ? k.tripletStats({ embeddings: valEmb.subarray(0, sample * dim), labels: valLabels.subarray(0, sample), dim, margin: o.margin, squared: o.squared })
    : { triplets: 0, easy: 0, semiHard: 0, hard: 0, meanPositiveDistance: 0, meanNegativeDistance: 0 };
  const spread = embeddingSpread(valEmb, dim);
  const t = Math.max(stats.triplets, 1);
  const record: EpochRecord = {
    epoch: epoch + 1, mining: o.loss === "contrastive" ? "contrastive" : mining, lr: lrAt(o, at.step - 1, o.epochs * stepsPerEpoch(run)),
    loss: sums.lossSum / sums.batches, activeFraction: sums.activeSum / sums.batches,
    easy: stats.easy / t, semiHard: stats.semiHard / t, hard: stats.hard / t,
    meanPositiveDistance: stats.meanPositiveDistance, meanNegativeDistance: stats.meanNegativeDistance, spread,
    validationPrecisionAt1: retrievalMetrics(k, { embeddings: valEmb, labels: valLabels, dim }).precisionAt1,
    seconds: (performance.now() - t0) / 1000,
  };
  at.history.push(record);
  o.onProgress?.({ status: "epoch", record });
  const collapsed = detectCollapse(record, at.spread0, o.margin);
  if (collapsed) {
    const message =
      `epoch ${record.epoch}: the embeddings have collapsed: spread ${spread.toPrecision(3)} (untrained ${at.spread0.toPrecision(3)}), ` +
      `mean d(a,p) ${stats.meanPositiveDistance.toPrecision(3)} vs d(a,n) ${stats.meanNegativeDistance.toPrecision(3)}, loss ${record.loss.toFixed(3)} ≈ margin ${o.margin}. ` +
      (mining !== "batch-all" && o.loss === "triplet"
        ? `${mining} from random weights does this; train with --mining batch-all, or warm up with --warmup-epochs 2 before ${mining}`
        : "lower the learning rate (--lr), check that the labels mean something, or give it more data");
    o.logger?.warn(message);
    o.onProgress?.({ status: "collapse", epoch: record.epoch, message });
  }
  return collapsed;
}

/** Stage 4: when the run has a checkpoint folder, the weights, Adam's moments and the history after `epoch`. */
async function checkpoint(run: Run, at: Progress, epoch: number): Promise<void> {
  const { o, plan } = run;
  if (!o.checkpointDir) return;
  const s = await run.replicas[0]!.state();
  await saveCheckpoint(o.checkpointDir, {
    version: 1, epoch: epoch + 1, step: at.step, net: plan.config, params: plan.params, mean: run.mean, std: run.std,
    seed: o.seed, history: at.history, baseline: at.baseline,
  }, s.params, s.m, s.v);
}

/** Does some label occur twice (so triplet statistics exist)? A tiny validation split may not. */
function hasPositivePair(labels: Int32Array): boolean {
  const seen = new Set<number>();
  for (const l of labels) {
    if (seen.has(l)) return true;
    seen.add(l);
  }
  return false;
}

function lossOf(k: Kernels, o: ResolvedOptions, mining: Mining, embeddings: Float32Array, labels: Int32Array, dim: number): LossResult {
  if (o.loss === "contrastive") return k.contrastiveLoss({ embeddings, labels, dim, margin: o.margin });
  return k.tripletLoss({ embeddings, labels, dim, margin: o.margin, mining, squared: o.squared, average: o.average });
}

function lrAt(o: ResolvedOptions, step: number, total: number): number {
  if (o.lrSchedule === "constant") return o.lr;
  const lo = o.lr * o.minLrFactor;
  return lo + 0.5 * (o.lr - lo) * (1 + Math.cos((Math.PI * Math.min(step, total)) / Math.max(total, 1)));
}

/** Boundaries of `parts` near-equal contiguous shares of n. */
function split(n: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts));
}

function concat(chunks: Float32Array[], length: number): Float32Array {
  const out = new Float32Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inference embeddings of `idx`, shared across the replicas. */
export async function embedAll(replicas: Replica[], idx: Int32Array, dim: number): Promise<Float32Array> {
  const parts = split(idx.length, replicas.length);
  return concat(await Promise.all(replicas.map((r, i) => r.forward(idx.slice(parts[i]!, parts[i + 1]!), null, false))), idx.length * dim);
}

/** Training then test pixels in one SharedArrayBuffer, read by every replica without a copy. */
function sharedSource(o: ResolvedOptions): ImageSource {
  const a = o.train.pixels, b = o.test?.pixels;
  const pixels = new Uint8Array(new SharedArrayBuffer(a.length + (b?.length ?? 0)));
  pixels.set(a);
  if (b) pixels.set(b, a.length);
  return { pixels, height: o.train.height, width: o.train.width, channels: o.train.channels };
}
