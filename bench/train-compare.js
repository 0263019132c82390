// Loss / mining comparison at one budget: each method trains the seed
// network from the same seed on the same first N Fashion-MNIST training
// images for E epochs (batches of 10 classes × 16), then is scored on the
// full test split (10,000 images, each against the other 9,999).
//
// node bench/train-compare.js [--limit N] [--epochs E] [--workers W] [--json]
import { Kernels, loadIdx, train, WasmNet, retrievalMetrics, initParams, planNet } from "../dist/index.js";
import { fillBatch } from "../dist/train/batch.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const limit = arg("limit", 10000), epochs = arg("epochs", 2), workers = arg("workers", 2);
const dir = "/usr/share/datasets/fashion-mnist";
const data = await loadIdx({ dir, split: "train", limit });
const test = await loadIdx({ dir, split: "test" });
const METHODS = [
  ["triplet batch-all (margin 0.5, squared)", { mining: "batch-all" }],
  ["triplet batch-hard from random weights", { mining: "batch-hard" }],
  ["triplet batch-hard after 1 epoch of batch-all", { mining: "batch-hard", warmupEpochs: 1 }],
  ["triplet semi-hard", { mining: "semi-hard" }],
  ["contrastive (margin 1)", { loss: "contrastive", margin: 1 }],
];
const k = await Kernels.load();
/** Leave-one-out test metrics of a network (test pixels normalized like training). */
function score(plan, params, mean, std) {
  const net = new WasmNet(k, plan, 200);
  net.setParams(params);
  const emb = new Float32Array(test.count * plan.config.dim);
  const buf = new Float32Array(200 * 784);
  for (let s = 0; s < test.count; s += 200) {
    const idx = Int32Array.from({ length: Math.min(200, test.count - s) }, (_, i) => s + i);
    fillBatch(test, idx, null, mean, std, buf);
    emb.set(net.forward(buf.subarray(0, idx.length * 784), idx.length), s * plan.config.dim);
  }
  net.free();
  return retrievalMetrics(k, { embeddings: emb, labels: test.labels, dim: plan.config.dim, full: true });
}
const rows = [];
let baseline;
for (const [name, extra] of METHODS) {
  const t0 = performance.now();
  const r = await train({ train: data, epochs, workers, seed: 1, ...extra });
  const seconds = Math.round((performance.now() - t0) / 1000);
  baseline ??= score(r.plan, initParams(r.plan, 1), r.mean, r.std);
  const m = score(r.plan, r.params, r.mean, r.std);
  const row = { method: name, precisionAt1: m.precisionAt1, rPrecision: m.rPrecision, mapAtR: m.mapAtR, collapsed: r.collapsed, seconds };
  rows.push(row);
  console.error(JSON.stringify(row));
}
if (process.argv.includes("--json")) console.log(JSON.stringify({ experiment: "train-compare", limit, epochs, baseline, rows }));
else {
  console.log(`${limit} training images × ${epochs} epochs each; test: 10,000 Fashion-MNIST test images, leave-one-out`);
  console.log("| method | P@1 | R-precision | MAP@R | collapsed | training s |\n|---|---|---|---|---|---|");
  console.log(`| untrained | ${baseline.precisionAt1.toFixed(3)} | ${baseline.rPrecision.toFixed(3)} | ${baseline.mapAtR.toFixed(3)} | | |`);
  for (const r of rows) console.log(`| ${r.method} | ${r.precisionAt1.toFixed(3)} | ${r.rPrecision.toFixed(3)} | ${r.mapAtR.toFixed(3)} | ${r.collapsed ? "yes" : "no"} | ${r.seconds} |`);
}
