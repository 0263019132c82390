/** `margin train`: flags → train() → $MARGIN_HOME/models/NAME.onnx + NAME.json with the test metrics. */

import {
  train, trainingCard, loadIdx, loadImageFolder, saveModel, UsageError, RESIZE_RULES, FASHION_MNIST_CLASSES, listModels, SHIPPED_MODELS_DIR,
  type LabeledImages, type ResizeRule, type TrainOptions, type TrainProgress,
} from "../index.js";
import { join, resolve } from "node:path";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { DEFAULT_MODEL, DEFAULT_TRAIN_DATA as DEFAULT_DATA, DEFAULT_TRAIN_WORKERS, defaultCheckpointDir, defaultModelsDir } from "./defaults.js";
import { progress } from "./progress.js";

const help = `margin train: train an image encoder with the triplet (or contrastive) loss on the wasm kernels

Usage: margin train [options]

Data
  --data DIR              IDX folder (train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz]) (default ${DEFAULT_DATA})
  --limit N               use the first N training images; --test-limit N likewise for the test split
  --no-test               skip the test-set metrics
  --images DIR            a labeled image folder instead (DIR/LABEL/…/image), decoded and resized
                          by the model card's preprocessing; --test-images DIR for test metrics
  --size HxW (28x28)  --channels 1|3 (1)  --resize fill|contain|cover (fill)   for --images
  --validation F          fraction held out for validation (default 0.1)
Loss
  --loss triplet|contrastive        (default triplet)
  --mining batch-all|batch-hard|semi-hard   online mining (default batch-all)
  --warmup-epochs N       batch-all epochs before --mining (default 0)
  --offline-mining        pair anchors with their nearest wrong-label image before each epoch
  --margin M              (default 0.5 triplet, 1 contrastive)
  --squared true|false    triplet loss on d² or d (default true)
  --average active|all    batch-all reduction (default active)
Optimization
  --epochs N (10)  --batch-size B (160)  --classes-per-batch P (10)  --lr LR (1e-3)
  --lr-schedule cosine|constant (cosine)  --weight-decay W (0)
  --augment none|shift|shift-flip (none)  --shift PX (2)
  --seed S (1)  --workers N (${DEFAULT_TRAIN_WORKERS}: one replica per core)
Network
  --conv 32,48  --dense 64  --dim 64  --leak 0.01
Output
  --out DIR               where NAME.onnx and NAME.json go (default $MARGIN_HOME/models, ~/.margin/models,
                          where --model NAME finds them after the shipped models)
  --name NAME             model name (default ${DEFAULT_MODEL})
  --checkpoint DIR        checkpoint folder (default $MARGIN_HOME/checkpoints/NAME); --resume continues from it
  --json                  print the result as JSON`;

const list = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const out = v.split(",").map(Number);
  if (!out.length || out.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`margin train: --${flag} must be comma-separated positive integers, got "${v}"`);
  return out;
};

const command: Command = {
  summary: "train an encoder (triplet / contrastive) and export ONNX + model card",
  help,
  async run(argv) {
    // parseArgs types a shared options table loosely: strings for value flags, booleans for the rest
    const v: Record<string, any> = parse("train", argv, {
      data: { type: "string" }, limit: { type: "string" }, "test-limit": { type: "string" }, "no-test": { type: "boolean" },
      validation: { type: "string" }, loss: { type: "string" }, mining: { type: "string" }, "warmup-epochs": { type: "string" },
      "offline-mining": { type: "boolean" }, margin: { type: "string" }, squared: { type: "string" }, average: { type: "string" },
      epochs: { type: "string" }, "batch-size": { type: "string" }, "classes-per-batch": { type: "string" }, lr: { type: "string" },
      "lr-schedule": { type: "string" }, "weight-decay": { type: "string" }, augment: { type: "string" }, shift: { type: "string" },
      seed: { type: "string" }, workers: { type: "string" }, conv: { type: "string" }, dense: { type: "string" }, dim: { type: "string" },
      images: { type: "string" }, "test-images": { type: "string" }, size: { type: "string" }, channels: { type: "string" }, resize: { type: "string" },
      leak: { type: "string" }, out: { type: "string" }, name: { type: "string" }, checkpoint: { type: "string" }, resume: { type: "boolean" },
    }).values;
    if (v.squared !== undefined && v.squared !== "true" && v.squared !== "false") throw new UsageError(`margin train: --squared must be true or false, got "${v.squared}"`);
    const dir = v.data ?? DEFAULT_DATA;
    const out = v.out ?? defaultModelsDir();
    const name = v.name ?? DEFAULT_MODEL;
    const n = (flag: string, value: string | undefined, o: { integer?: boolean; min?: number; max?: number } = {}) =>
      value === undefined ? undefined : num("train", flag, value, 0, o);
    const resize = v.resize as ResizeRule | undefined;
    if (resize !== undefined && !RESIZE_RULES.includes(resize)) throw new UsageError(`margin train: --resize must be one of ${RESIZE_RULES.join(", ")}, got "${v.resize}"`);
    let trainSet: LabeledImages, testSet: LabeledImages | undefined;
    if (v.images) {
      const size = v.size === undefined ? undefined : /^(\d+)x(\d+)$/.exec(v.size);
      if (size === null) throw new UsageError(`margin train: --size must be HxW, e.g. 28x28, got "${v.size}"`);
      const channels = n("channels", v.channels, { integer: true, min: 1, max: 3 });
      if (channels === 2) throw new UsageError("margin train: --channels must be 1 or 3, got 2");
      // unset flags stay unset: loadImageFolder has the defaults (28×28, gray, fill)
      const folder = defined({ height: size && Number(size[1]), width: size && Number(size[2]), channels: channels as 1 | 3 | undefined, resize });
      const load = async (d: string) => {
        const r = await loadImageFolder({ dir: d, ...folder });
        for (const s of r.skipped) console.error(`skipped ${s.path}: ${s.reason}`);
        return r.images;
      };
      trainSet = await load(v.images);
      if (v["test-images"]) testSet = await load(v["test-images"]);
    } else {
      trainSet = await loadIdx({ dir, split: "train", limit: n("limit", v.limit, { integer: true, min: 1 }), classNames: FASHION_MNIST_CLASSES });
      if (!v["no-test"]) testSet = await loadIdx({ dir, split: "test", limit: n("test-limit", v["test-limit"], { integer: true, min: 2 }) });
    }
    const opts: TrainOptions = {
      train: trainSet,
      ...(testSet ? { test: testSet } : {}),
      // only the flags given: the library fills the rest (DEFAULT_NET), and the card records what it used
      net: defined({ conv: list("conv", v.conv), dense: list("dense", v.dense), dim: n("dim", v.dim, { integer: true, min: 1 }), leak: n("leak", v.leak, { min: 0, max: 0.99 }) }),
      loss: v.loss as TrainOptions["loss"], mining: v.mining as TrainOptions["mining"], average: v.average as TrainOptions["average"],
      warmupEpochs: n("warmup-epochs", v["warmup-epochs"], { integer: true, min: 0 }), offlineMining: v["offline-mining"],
      margin: n("margin", v.margin), squared: v.squared === undefined ? undefined : v.squared === "true",
      epochs: n("epochs", v.epochs, { integer: true, min: 1 }), batchSize: n("batch-size", v["batch-size"], { integer: true, min: 1 }),
      classesPerBatch: n("classes-per-batch", v["classes-per-batch"], { integer: true, min: 1 }), lr: n("lr", v.lr, { min: 0 }),
      lrSchedule: v["lr-schedule"] as TrainOptions["lrSchedule"], weightDecay: n("weight-decay", v["weight-decay"], { min: 0 }),
      augment: v.augment as TrainOptions["augment"], shift: n("shift", v.shift, { integer: true, min: 0 }),
      validation: n("validation", v.validation), seed: n("seed", v.seed, { integer: true, min: 0 }),
      workers: n("workers", v.workers, { integer: true, min: 1 }) ?? DEFAULT_TRAIN_WORKERS,
      checkpointDir: v.checkpoint ?? defaultCheckpointDir(name), resume: v.resume,
      logger: { warn: (m) => console.error(`warning: ${m}`) },
      onProgress: v.json ? undefined : trainPrinter(process.stderr),
    };
    const t0 = performance.now();
    const r = await train(opts);
    const seconds = Math.round((performance.now() - t0) / 1000);
    const card = trainingCard(r, {
      options: opts, source: v.images ? `image folder ${v.images}` : `IDX ${dir}`, command: ["margin", "train", ...argv].join(" "), seconds,
    });
    const saved = await saveModel({ dir: out, name, plan: r.plan, params: r.params, mean: r.mean, std: r.std, ...defined({ resize }), ...card });
    if (v.json) console.log(JSON.stringify({ model: saved.onnx, card: saved.card, seconds, test: r.test, baseline: r.baseline, history: r.history }));
    else {
      console.log(`wrote ${saved.onnx} and ${saved.card} (${seconds} s)`);
      // names resolve to the shipped models first: say so rather than let --model NAME pick the other one
      if (listModels(SHIPPED_MODELS_DIR)?.includes(name) && resolve(saved.card) !== join(SHIPPED_MODELS_DIR, `${name}.json`)) {
        console.error(`note: "${name}" is also a shipped model, which --model ${name} picks; use --model ${saved.card} for this one, or train with another --name`);
      }
      if (r.test) console.log(`test: P@1 ${r.test.precisionAt1.toFixed(4)}  R-precision ${r.test.rPrecision!.toFixed(4)}  MAP@R ${r.test.mapAtR!.toFixed(4)}`);
    }
    return 0;
  },
};

/** `o` without its undefined fields, so that library defaults fill them (a spread undefined would override a default). */
function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * train()'s events for a person: the figures (untrained baseline, each
 * epoch's record, the test metrics) as lines on stdout through `log`, the
 * batches as the commands' progress bar on `out` (redrawn on a TTY, a plain
 * line every few seconds otherwise).
 */
export function trainPrinter(out: NodeJS.WriteStream, log: (line: string) => void = console.log): (e: TrainProgress) => void {
  const bar = progress(out, "train");
  const metrics = (m: Record<string, number>) => `P@1 ${m.precisionAt1!.toFixed(4)} R-precision ${m.rPrecision!.toFixed(4)} MAP@R ${m.mapAtR!.toFixed(4)}`;
  return (e) => {
    if (e.status === "batch") {
      bar.update(e.batch, e.batches, `batches (epoch ${e.epoch})`, `loss ${e.loss.toFixed(4)}`);
      return;
    }
    if (e.status === "collapse") return; // the logger prints the warning
    bar.end();
    if (e.status === "baseline") {
      log(`untrained baseline: validation P@1 ${e.validation.precisionAt1.toFixed(4)}${e.test ? `; test ${metrics(e.test)}` : ""}`);
    } else if (e.status === "epoch") {
      const r = e.record;
      log(
        `epoch ${r.epoch} ${r.mining} lr ${r.lr.toExponential(2)} loss ${r.loss.toFixed(4)} active ${(100 * r.activeFraction).toFixed(1)}% ` +
          `easy/semi/hard ${(100 * r.easy).toFixed(1)}/${(100 * r.semiHard).toFixed(1)}/${(100 * r.hard).toFixed(1)}% ` +
          `d(a,p) ${r.meanPositiveDistance.toFixed(3)} d(a,n) ${r.meanNegativeDistance.toFixed(3)} val P@1 ${r.validationPrecisionAt1.toFixed(4)} ${r.seconds.toFixed(0)} s`,
      );
    } else log(`test: ${metrics(e.metrics)}`);
  };
}

export default command;
