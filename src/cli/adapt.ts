/** `margin adapt --collection NAME`: train an adapter on the recorded marks, gate it, re-embed into a new collection. */

import {
  adapt, ADAPTER_KINDS, Kernels, listMarks, loadModelCard, reembed, saveAdaptedModel, sessionsFromMarks, UsageError,
  type AdapterKind,
} from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { DEFAULT_STORE_PATH, openStore } from "./open-store.js";
import { progress } from "./progress.js";

const DEFAULT_MODEL = "models/fashion-mnist-triplet-64.json";

const help = `margin adapt: learn from the marks recorded on a collection

Usage: margin adapt --collection NAME [options]

  --collection NAME   the collection whose marks train the adapter (required)
  --into NAME         the re-embedded collection (default NAME-adapted)
  --model PATH        the frozen encoder's card (default ${DEFAULT_MODEL})
  --models-dir DIR    where encoder + adapter is written as one ONNX model with its card (default models)
  --kinds LIST        adapters to try: linear,mlp (default both; chosen on validation sessions)
  --seed N            seed of the split, the initialisation and the batch order (default 1)
  --epochs N          passes over the training sessions (default 30)
  --min-gain X        held-out session AUC gain the gate requires (default 0.03)
  --min-held-out N    fewest held-out sessions the gate judges on (default 100: record 500+ sessions)
  --force             re-embed even when the gate refuses the adapter
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${DEFAULT_STORE_PATH})
  --json              print the report as JSON
  --verbose           print error causes

The adapter is trained with the triplet loss on the stored vectors (no image is
decoded), and shipped only when it beats no adapter on held-out sessions by
--min-gain (docs/adapt.md). Search the new collection with --collection NAME-adapted
and --model pointing at the written card.`;

const command: Command = {
  summary: "train an adapter on recorded marks and re-embed the collection",
  help,
  async run(argv) {
    const { values: v, positionals } = parse("adapt", argv, {
      collection: { type: "string" }, into: { type: "string" }, model: { type: "string" }, "models-dir": { type: "string" },
      kinds: { type: "string" }, seed: { type: "string" }, epochs: { type: "string" }, "min-gain": { type: "string" },
      "min-held-out": { type: "string" },
      force: { type: "boolean" }, store: { type: "string" },
    });
    if (positionals.length) throw new UsageError(`margin adapt: takes no positional arguments, got "${positionals[0]}"`);
    const collection = v.collection as string | undefined;
    if (!collection) throw new UsageError("margin adapt: --collection NAME is required");
    const into = (v.into as string | undefined) ?? `${collection}-adapted`;
    const kinds = ((v.kinds as string | undefined) ?? ADAPTER_KINDS.join(",")).split(",") as AdapterKind[];
    for (const k of kinds) {
      if (!ADAPTER_KINDS.includes(k)) throw new UsageError(`margin adapt: --kinds takes ${ADAPTER_KINDS.join(", ")}, got "${k}"`);
    }
    const seed = num("adapt", "seed", v.seed as string | undefined, 1, { integer: true, min: 0, max: 2 ** 31 - 1 });
    const epochs = num("adapt", "epochs", v.epochs as string | undefined, 30, { integer: true, min: 1, max: 10_000 });
    const minGain = num("adapt", "min-gain", v["min-gain"] as string | undefined, 0.03, { min: 0, max: 1 });
    const minHeldOut = num("adapt", "min-held-out", v["min-held-out"] as string | undefined, 100, { integer: true, min: 1, max: 1_000_000 });
    const modelPath = (v.model as string | undefined) ?? DEFAULT_MODEL;
    const card = await loadModelCard(modelPath);
    const bar = progress(process.stderr, "adapt");
    const opened = await openStore((v.store as string | undefined) ?? DEFAULT_STORE_PATH);
    try {
      const { records, dropped } = await listMarks(opened.store, collection);
      const other = records.find((r) => r.model !== card.name);
      if (other) {
        throw new UsageError(`margin adapt: marks on "${collection}" were made on model "${other.model}" but --model is "${card.name}"; pass --model with that model's card`);
      }
      const set = await sessionsFromMarks(opened.store, collection, records);
      const kernels = await Kernels.load();
      const result = adapt({
        kernels, set, kinds, seed, epochs, minGain, minHeldOut,
        onProgress: (e) => {
          if (e.status === "epoch") bar.update(e.epoch, e.epochs, `epochs (${e.kind})`, `loss ${e.loss.toFixed(4)}`);
          else if (e.status === "validated") bar.line(`adapt: ${e.kind} validation AUC ${e.auc.toFixed(3)}`);
          else if (e.status === "split") bar.line(`adapt: ${e.train} training, ${e.validation} validation, ${e.heldOut} held-out sessions (${e.skipped} without a right and a wrong mark)`);
        },
      });
      bar.end();
      const report: Record<string, unknown> = {
        collection, records: records.length, dropped, kind: result.kind, validation: result.validation, gate: result.gate,
        training: result.training, shipped: result.gate.ship,
      };
      if (result.gate.ship || v.force) {
        const name = `${card.name}.${collection}-adapted`.replace(/[^A-Za-z0-9._-]/g, "_");
        const saved = await saveAdaptedModel({ baseCard: modelPath, adapter: result.adapter, name, dir: (v["models-dir"] as string | undefined) ?? "models", result });
        const r = await reembed({
          store: opened.store, kernels, adapter: result.adapter, from: collection, to: into, model: name,
          onProgress: (e) => bar.update(e.done, e.total, "points re-embedded"),
        });
        bar.end();
        Object.assign(report, { model: saved.cardPath, into, points: r.points, reembedSeconds: r.seconds, forced: !result.gate.ship });
      }
      if (v.json) console.log(JSON.stringify(report));
      else {
        console.log(`margin adapt: ${records.length} session(s) on "${collection}"; ${result.kind} adapter; ${result.gate.reason}`);
        if (report.into) {
          console.log(`margin adapt: ${report.points} point(s) re-embedded into "${into}" in ${(report.reembedSeconds as number).toFixed(2)} s; model ${report.model}`);
          console.log(`margin adapt: search it with: margin search ... --collection ${into} --model ${report.model}`);
        }
      }
    } finally {
      bar.end();
      await opened.close();
    }
    return 0;
  },
};
export default command;
