// Confirm tuned settings on the tuning split with the real pipeline: the
// steering experiment itself (src/eval/steering.ts: 1+1, 3+3, two rounds of
// 3+3) over tuningRows only, so a setting found by bench/steer-tune.js on
// one round is checked on every setting before it becomes a default, still
// without touching a reported query.
// Usage: node bench/steer-confirm.js [--params JSON] [--strategies a,b] [--queries N] [--collection NAME] [--store PATH]
import { Kernels, loadLabeledSet, steering, tuningRows } from "../dist/index.js";
import { openStore } from "../dist/cli/open-store.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const collection = arg("collection", "fashion-mnist-test");
const params = JSON.parse(arg("params", "{}"));
const strategies = arg("strategies", "plain,average-vector,sum-scores,relevance-feedback,triplet,contrastive,rocchio,kde").split(",");
const opened = await openStore(arg("store", ".margin/store"));
const kernels = await Kernels.load();
const set = await loadLabeledSet(opened.store, collection);
const queries = tuningRows(set.labels.length).subarray(0, Number(arg("queries", "2000")));
const r = await steering({ store: opened.store, collection, kernels, set, k: 10, queries, strategies, params, seed: 1 });
console.log(`tuning split: ${queries.length} queries of "${collection}", params ${JSON.stringify(params)}, ${r.seconds.toFixed(0)} s`);
for (const s of r.settings) {
  console.log(`${s.name}: ${s.queries} steered, ${s.alreadyRight} already right; vs ${s.bestQdrant}`);
  for (const x of strategies) {
    const d = s.versusBestQdrant[x], a = s.alreadyRightVersusPlain[x];
    console.log(`  ${x.padEnd(20)} ${s.precision[x].toFixed(4)}  ${d.mean >= 0 ? "+" : ""}${d.mean.toFixed(4)} [${d.low.toFixed(4)}, ${d.high.toFixed(4)}]  right ${s.alreadyRightPrecision[x].toFixed(4)} (${a.mean.toFixed(4)})`);
  }
}
await opened.close();
