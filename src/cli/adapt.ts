/** `margin adapt --collection NAME`: train an adapter on the recorded marks, gate it, re-embed into a new collection. */

import {
  adapt, ADAPTER_KINDS, checkModelMatches, collectionModel, Kernels, loadModelCard, markedSessions, modelIdentity, shipAdapter, UsageError,
  type AdapterKind,
} from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { defaultModelsDir, modelCard, STORE_HELP } from "./defaults.js";
import { openStore } from "./open-store.js";
import { progress } from "./progress.js";


const help = `margin adapt: learn from the marks recorded on a collection

Usage: margin adapt --collection NAME [options]

  --collection NAME   the name users search, whose marks train the adapter (required)
  --into NAME         for a plain collection (not an alias): the re-embedded copy (default NAME-adapted)
  --model NAME|PATH   the model NAME is searched with (default: the one its metadata names; another is refused)
  --models-dir DIR    where encoder + adapter is written as one ONNX model with its card
                      (default $MARGIN_HOME/models, where searches find it by name)
  --prune             after switching the alias, delete the collection it pointed to
  --kinds LIST        adapters to try: linear,mlp (default both; chosen on validation sessions)
  --seed N            seed of the split, the initialisation and the batch order (default 1)
  --epochs N          passes over the training sessions (default 30)
  --min-gain X        held-out session AUC gain the gate requires (default 0.03)
  --min-held-out N    fewest held-out sessions the gate judges on (default 100: record 500+ sessions)
  --force             re-embed even when the gate refuses the adapter
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${STORE_HELP})
  --json              print the report as JSON
  --verbose           print error causes

The adapter is trained with the triplet loss on the stored vectors (no image is
decoded), and shipped only when it beats no adapter on held-out sessions by
--min-gain (docs/adapt.md). When NAME is an alias (ingest makes one), the adapted
vectors go into a new versioned collection and NAME is switched to it once every
point is stored: margin search / serve / eval of NAME then use the adapted model
without --model. The old collection is kept until --prune; marks stay with NAME.`;

const command: Command = {
  summary: "train an adapter on recorded marks and re-embed the collection",
  help,
  async run(argv) {
    const { values: v, positionals } = parse("adapt", argv, {
      collection: { type: "string" }, into: { type: "string" }, model: { type: "string" }, "models-dir": { type: "string" },
      kinds: { type: "string" }, seed: { type: "string" }, epochs: { type: "string" }, "min-gain": { type: "string" },
      "min-held-out": { type: "string" },
      force: { type: "boolean" }, prune: { type: "boolean" }, store: { type: "string" },
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
    const bar = progress(process.stderr, "adapt");
    const opened = await openStore(v.store as string | undefined);
    try {
      // the adapter's base is the model the collection is searched with now (an adapted one after a first adapt)
      const stored = await collectionModel(opened.store, collection);
      const modelPath = modelCard((v.model as string | undefined) ?? stored?.name);
      const card = await loadModelCard(modelPath);
      checkModelMatches(collection, stored, await modelIdentity(modelPath, card));
      const { set, records, dropped, otherModels } = await markedSessions(opened.store, collection, card.name);
      for (const [m, n] of Object.entries(otherModels)) bar.line(`adapt: ${n} session(s) made on model "${m}" left out: their vectors are not the ones "${collection}" holds now`);
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
        const r = await shipAdapter({
          store: opened.store, kernels, adapter: result.adapter, collection, baseCard: modelPath, result, into, prune: Boolean(v.prune),
          modelsDir: (v["models-dir"] as string | undefined) ?? defaultModelsDir(),
          onProgress: (e) => bar.update(e.done, e.total, "points re-embedded"),
        });
        bar.end();
        Object.assign(report, {
          model: r.model.cardPath, modelName: r.model.name, into: r.target, switched: r.switched, ...(r.previous ? { previous: r.previous } : {}),
          pruned: r.pruned, points: r.points, reembedSeconds: r.reembedSeconds, forced: !result.gate.ship,
        });
      }
      if (v.json) console.log(JSON.stringify(report));
      else {
        console.log(`margin adapt: ${records.length} session(s) on "${collection}"; ${result.kind} adapter; ${result.gate.reason}`);
        if (report.into) {
          console.log(`margin adapt: ${report.points} point(s) re-embedded into "${report.into}" in ${(report.reembedSeconds as number).toFixed(2)} s; model ${report.model}`);
          if (report.switched) {
            const kept = (report.pruned as string[]).length ? `${report.previous} deleted` : report.previous ? `${report.previous} kept; --prune deletes it` : "";
            console.log(`margin adapt: "${collection}" now points to ${report.into}${kept ? ` (${kept})` : ""}; its searches use ${report.modelName}`);
          } else {
            console.log(`margin adapt: "${collection}" is a plain collection, not an alias, so it is left as it was; search the copy with --collection ${report.into}`);
          }
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
