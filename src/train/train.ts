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

/**
 * Train an encoder.
 * @throws InputError for bad options or data (before any work starts); DataError for a bad checkpoint.
 * @example
 * const train = await loadIdx({ dir, split: "train" });
 * const r = await train({ train, epochs: 4, workers: 2, onProgress: console.log });
 * await saveModel({ dir: "models", name: "mine", plan: r.plan, params: r.params, mean: r.mean, std: r.std });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const o = resolveOptions(options);
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
  try {
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
    const embed = (idx: Int32Array) => embedAll(replicas, idx, dim);
    let valEmb = await embed(valIdx);
    const spread0 = embeddingSpread(valEmb, dim);
    if (!baseline) {
      baseline = { validationPrecisionAt1: retrievalMetrics(k, { embeddings: valEmb, labels: valLabels, dim }).precisionAt1 };
      if (o.test) baseline.test = retrievalMetrics(k, { embeddings: await embed(testIdx!), labels: o.test.labels, dim, full: true });
    }
    o.onProgress?.({ status: "baseline", validation: { precisionAt1: baseline.validationPrecisionAt1 }, ...(baseline.test ? { test: { ...baseline.test } } : {}) });

    const perEpoch = Math.max(1, Math.floor(trainIdx.length / (P * K)));
    const totalSteps = o.epochs * perEpoch;
    let collapsed = false;
    for (let epoch = start; epoch < o.epochs; epoch++) {
      const t0 = performance.now();
      const random = mulberry32((o.seed * 7919 + (epoch + 1) * 104729) >>> 0);
      const batches = o.offlineMining
        ? await offlineBatches({ k, replicas, byClass, labels: data.labels, P, K, dim, random, embed })
        : pkEpoch(byClass, { classesPerBatch: P, perClass: K }, random);
      const mining: Mining = epoch < o.warmupEpochs ? "batch-all" : o.mining;
      let lossSum = 0, activeSum = 0;
      for (let b = 0; b < batches.length; b++) {
        const batch = batches[b]!;
        const aug = drawAugment(o.augment, batch.length, o.shift, random);
        const lr = lrAt(o, step, totalSteps);
        const parts = split(batch.length, replicas.length);
        const embs = await Promise.all(replicas.map((r, i) => r.forward(batch.slice(parts[i]!, parts[i + 1]!), aug ? aug.slice(3 * parts[i]!, 3 * parts[i + 1]!) : null, true)));
        const emb = concat(embs, batch.length * dim);
        const res = lossOf(k, o, mining, emb, Int32Array.from(batch, (i) => data.labels[i]!), dim);
        const grads = await Promise.all(replicas.map((r, i) => r.backward(res.grad.slice(parts[i]! * dim, parts[i + 1]! * dim))));
        const sum = grads[0]!;
        for (let i = 1; i < grads.length; i++) for (let j = 0; j < sum.length; j++) sum[j]! += grads[i]![j]!;
        await Promise.all(replicas.map((r) => r.apply(sum, { lr, weightDecay: o.weightDecay })));
        step++;
        lossSum += res.loss;
        activeSum += res.valid > 0 ? res.active / res.valid : 0;
        o.onProgress?.({ status: "batch", epoch: epoch + 1, batch: b + 1, batches: batches.length, loss: res.loss });
      }
      valEmb = await embed(valIdx);
      const sample = Math.min(STATS_SAMPLE, valIdx.length);
      const stats = hasPositivePair(valLabels.subarray(0, sample))
        ? k.tripletStats({ embeddings: valEmb.subarray(0, sample * dim), labels: valLabels.subarray(0, sample), dim, margin: o.margin, squared: o.squared })
        : { triplets: 0, easy: 0, semiHard: 0, hard: 0, meanPositiveDistance: 0, meanNegativeDistance: 0 };
      const spread = embeddingSpread(valEmb, dim);
      const t = Math.max(stats.triplets, 1);
      const record: EpochRecord = {
        epoch: epoch + 1, mining: o.loss === "contrastive" ? "contrastive" : mining, lr: lrAt(o, step - 1, totalSteps),
        loss: lossSum / batches.length, activeFraction: activeSum / batches.length,
        easy: stats.easy / t, semiHard: stats.semiHard / t, hard: stats.hard / t,
        meanPositiveDistance: stats.meanPositiveDistance, meanNegativeDistance: stats.meanNegativeDistance, spread,
        validationPrecisionAt1: retrievalMetrics(k, { embeddings: valEmb, labels: valLabels, dim }).precisionAt1,
        seconds: (performance.now() - t0) / 1000,
      };
      history.push(record);
      o.onProgress?.({ status: "epoch", record });
      collapsed = detectCollapse(record, spread0, o.margin);
      if (collapsed) {
        const message =
          `epoch ${record.epoch}: the embeddings have collapsed: spread ${spread.toPrecision(3)} (untrained ${spread0.toPrecision(3)}), ` +
          `mean d(a,p) ${stats.meanPositiveDistance.toPrecision(3)} vs d(a,n) ${stats.meanNegativeDistance.toPrecision(3)}, loss ${record.loss.toFixed(3)} ≈ margin ${o.margin}. ` +
          (mining !== "batch-all" && o.loss === "triplet"
            ? `${mining} from random weights does this; train with --mining batch-all, or warm up with --warmup-epochs 2 before ${mining}`
            : "lower the learning rate (--lr), check that the labels mean something, or give it more data");
        o.logger?.warn(message);
        o.onProgress?.({ status: "collapse", epoch: record.epoch, message });
      }
      if (o.checkpointDir) {
        const s = await replicas[0]!.state();
        await saveCheckpoint(o.checkpointDir, {
          version: 1, epoch: epoch + 1, step, net: plan.config, params: plan.params, mean, std, seed: o.seed, history, baseline,
        }, s.params, s.m, s.v);
      }
    }
    const final = await replicas[0]!.state();
    let test: RetrievalMetrics | undefined;
    if (o.test) {
      test = retrievalMetrics(k, { embeddings: await embed(testIdx!), labels: o.test.labels, dim, full: true });
      o.onProgress?.({ status: "test", metrics: { ...test } });
    }
    return { plan, params: final.params, mean, std, history, baseline, ...(test ? { test } : {}), collapsed };
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
  }
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
