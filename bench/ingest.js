// npm run bench:ingest [-- --json]: end-to-end ingestion (walk, read, hash,
// decode + preprocess on worker threads, embed, upsert into the embedded
// store) in images/s, against the CPU ceiling measured in the same run:
// 1 / (1/decode-only + 1/inference-only), each stage alone on all cores with
// the same model and batch size. Two sets of 2,000 real files: 28×28 PNG from
// the Fashion-MNIST test set, and 640×480 JPEG (the same images upscaled);
// and 96 4000×3000 JPEG camera-size photos (bench/photos.js: seeded scenes
// with noise), whose ceiling takes sharp's own shrink-on-load decode of the
// same files as the decode stage. End to end runs in a child process
// (bench/ingest-child.js) with 2 decode workers, which reports its peak RSS.
// `-- --sets png,jpg,photo` picks sets, `--rounds N` the rounds (default 3),
// `--photos N` the number of photos (default 96);
// `--baseline DIST/index.js` runs another build's ingest end to end beside
// this one, alternating in every round (a before/after in one run). The
// child reports where its time went (each stage's busy seconds) and its CPU
// seconds; for the photos the bench also times sharp's decode with 1 and 2
// threads, the bound on any pipeline that decodes with it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";
import { defaultMaxBytes, Encoder, hashImageFile, QdrantStore, startEmbeddedStore, walkImages } from "../dist/index.js";
import { DecodePool } from "../dist/ingest/decode-pool.js";
import { median, now, report } from "./lib.js";
import { makePhoto } from "./photos.js";

const N = 2000, BATCH = 64, WORKERS = 2;
const arg = (name, dflt) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : dflt);
// an end-to-end run pays ~0.5 s of CPU once (two worker threads loading sharp and libvips, the
// collection): 96 photos keep that under a tenth of the run on 2 cores
const PHOTOS = Number(arg("--photos", "96"));
const SETS = arg("--sets", "png,jpg,photo").split(",");
const ROUNDS = Number(arg("--rounds", "3"));
const BASELINE = arg("--baseline", undefined);
const MODEL = "models/fashion-mnist-triplet-64.json";
const DATA = process.env.FASHION_MNIST_DIR ?? "/usr/share/datasets/fashion-mnist";
const CLASSES = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];
const log = (m) => process.stderr.write(`${m}\n`);

async function makeSets(root) {
  const images = gunzipSync(await readFile(join(DATA, "t10k-images-idx3-ubyte.gz")));
  const labels = gunzipSync(await readFile(join(DATA, "t10k-labels-idx1-ubyte.gz")));
  const png = join(root, "png"), jpg = join(root, "jpg");
  for (const c of CLASSES) {
    await mkdir(join(png, c), { recursive: true });
    await mkdir(join(jpg, c), { recursive: true });
  }
  const one = async (i) => {
    const px = images.subarray(16 + i * 784, 16 + (i + 1) * 784);
    const c = CLASSES[labels[8 + i]];
    const img = sharp(px, { raw: { width: 28, height: 28, channels: 1 } });
    await writeFile(join(png, c, `${i}.png`), await img.clone().png().toBuffer());
    await writeFile(join(jpg, c, `${i}.jpg`), await img.clone().resize(640, 480, { kernel: "cubic" }).toColourspace("srgb").jpeg({ quality: 90 }).toBuffer());
  };
  if (SETS.includes("png") || SETS.includes("jpg")) {
    for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, k) => one(i + k)));
  }
  const photo = join(root, "photo");
  await mkdir(photo);
  if (SETS.includes("photo")) {
    for (let i = 0; i < PHOTOS; i += 2) {
      await Promise.all([i, i + 1].map(async (k) => writeFile(join(photo, `${k}.jpg`), await makePhoto({ width: 4000, height: 3000, seed: k + 1 }))));
    }
  }
  return { png, jpg, photo };
}

/**
 * sharp alone: read + shrink-on-load decode to twice the model's input size, `cores` files at a time
 * (libvips' own threads as it likes), or with `threads` set, that many files at a time on one libvips thread each.
 */
async function sharpDecode(paths, card, threads) {
  const cores = threads ?? availableParallelism();
  const before = sharp.concurrency();
  if (threads) sharp.concurrency(1);
  const t0 = now(), c0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: cores }, async () => {
    while (next < paths.length) {
      const p = paths[next++];
      await sharp(await readFile(p)).resize(card.input.width * 2, card.input.height * 2, { fit: "fill" }).raw().toBuffer();
    }
  }));
  const rate = paths.length / ((now() - t0) / 1000), c = process.cpuUsage(c0);
  sharp.concurrency(before);
  return { rate, cpuMs: (c.user + c.system) / 1000 / paths.length };
}

/** End to end in a child process (with `lib`, another build's ingest): images/s, CPU ms per image, stage busy seconds, peak RSS. */
async function endToEnd(dir, collection, url, expected, lib) {
  const arg = JSON.stringify({ dir, collection, url, model: MODEL, batchSize: BATCH, workers: WORKERS, ...(lib ? { lib } : {}) });
  const { stdout } = await promisify(execFile)(process.execPath, [new URL("./ingest-child.js", import.meta.url).pathname, arg], { maxBuffer: 1 << 24 });
  const r = JSON.parse(stdout.trim().split("\n").at(-1));
  if (r.ingested !== expected) throw new Error(`ingested ${r.ingested} of ${expected}: ${JSON.stringify(r.skipped.slice(0, 3))}`);
  return { rate: r.ingested / r.seconds, cpuMs: (r.cpuSeconds * 1000) / r.ingested, stages: r.stageSeconds, seconds: r.seconds, rss: r.maxRssMB };
}

async function files(dir) {
  const out = [];
  for await (const f of walkImages(dir)) out.push(f.path);
  return out;
}

/** Decode-only: hash, then read + decode + preprocess on the workers, as ingest does; images/s and the tensors. */
async function decodeOnly(paths, card) {
  const pool = new DecodePool({ workers: WORKERS, input: card.input, pixelLimit: 1e8, maxBytes: defaultMaxBytes(1e8), readTimeoutMs: 30_000 });
  try {
    const t0 = now();
    const tensors = await Promise.all(paths.map(async (p) => {
      const h = await hashImageFile(p, { keepBytes: 64 * 1024 });
      const r = await pool.decode(p, h.identity, h.bytes);
      if (!r.ok) throw new Error(r.message);
      return r.tensor;
    }));
    return { rate: paths.length / ((now() - t0) / 1000), tensors };
  } finally {
    await pool.close();
  }
}

/** Inference-only: the same tensors in batches of BATCH. */
async function inferenceOnly(encoder, tensors) {
  const t0 = now();
  for (let i = 0; i < tensors.length; i += BATCH) await encoder.embed(tensors.slice(i, i + BATCH));
  return tensors.length / ((now() - t0) / 1000);
}

const root = await mkdtemp(join(tmpdir(), "margin-bench-ingest-"));
let server;
try {
  log(`writing the sets ${SETS.join(", ")} under ${root} ...`);
  const sets = await makeSets(root);
  const encoder = await Encoder.load({ model: MODEL, device: "cpu" });
  server = await startEmbeddedStore({ path: join(root, "store"), port: 0 });
  const store = await QdrantStore.connect({ url: server.url });
  const rows = [];
  const all = [["28×28 PNG", "png", sets.png, N], ["640×480 JPEG", "jpg", sets.jpg, N], ["4000×3000 JPEG", "photo", sets.photo, PHOTOS]];
  for (const [name, key, dir, count] of all.filter((s) => SETS.includes(s[1]))) {
    const paths = await files(dir);
    const dec = [], sdec = [], scpu = [], one = [], two = [], inf = [], e2e = [], cpu = [], rss = [], shares = [], base = [], baseCpu = [], vsBase = [], e2eSeconds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d = await decodeOnly(paths, encoder.card);
      dec.push(d.rate);
      if (key === "photo") {
        const all = await sharpDecode(paths, encoder.card);
        sdec.push(all.rate);
        scpu.push(all.cpuMs);
        one.push((await sharpDecode(paths, encoder.card, 1)).rate);
        two.push((await sharpDecode(paths, encoder.card, 2)).rate);
      }
      inf.push(await inferenceOnly(encoder, d.tensors));
      // this build and the baseline alternate, the first of the pair flipping each round
      const runs = [["new", undefined], ...(BASELINE ? [["base", BASELINE]] : [])];
      if (r % 2 === 1) runs.reverse();
      const got = {};
      for (const [which, lib] of runs) got[which] = await endToEnd(dir, `bench-${key}-${which}-${r}`, server.url, count, lib);
      const e = got.new;
      e2e.push(e.rate);
      cpu.push(e.cpuMs);
      e2eSeconds.push(e.seconds);
      rss.push(e.rss);
      if (e.stages) shares.push(e.stages);
      if (got.base) { base.push(got.base.rate); baseCpu.push(got.base.cpuMs); vsBase.push(e.rate / got.base.rate); }
      const busy = e.stages ? Object.entries(e.stages).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ") : "";
      log(`${name} round ${r + 1} (load ${loadavg()[0].toFixed(1)}): decode ${d.rate.toFixed(1)}/s${sdec.length ? `, sharp shrink-on-load ${sdec.at(-1).toFixed(1)}/s (1 thread ${one.at(-1).toFixed(1)}, 2 threads ${two.at(-1).toFixed(1)})` : ""}, inference ${inf.at(-1).toFixed(0)}/s, end-to-end ${e.rate.toFixed(1)}/s in ${e.seconds.toFixed(2)} s (${e.cpuMs.toFixed(1)} CPU ms/image; busy s: ${busy}), peak RSS ${e.rss.toFixed(0)} MB${got.base ? `; baseline ${got.base.rate.toFixed(1)}/s (${got.base.cpuMs.toFixed(1)} CPU ms/image)` : ""}`);
    }
    const decode = median(sdec.length ? sdec : dec), inference = median(inf), value = median(e2e);
    const ceiling = 1 / (1 / decode + 1 / inference);
    rows.push({ case: `${name} decode-only, margin's workers (${WORKERS})`, value: median(dec), baseline: ceiling, unit: "images/s", ratio: median(dec) / ceiling });
    if (sdec.length) {
      rows.push({ case: `${name} sharp shrink-on-load decode (${availableParallelism()} at a time)`, value: decode, baseline: ceiling, unit: "images/s", ratio: decode / ceiling });
      rows.push({ case: `${name} sharp decode, 1 thread`, value: median(one), baseline: ceiling, unit: "images/s", ratio: median(one) / ceiling });
      rows.push({ case: `${name} sharp decode, 2 threads`, value: median(two), baseline: ceiling, unit: "images/s", ratio: median(two) / ceiling });
    }
    rows.push({ case: `${name} inference-only (batch ${BATCH})`, value: inference, baseline: ceiling, unit: "images/s", ratio: inference / ceiling });
    rows.push({ case: `${name} end-to-end vs ceiling (${WORKERS} workers)`, value, baseline: ceiling, unit: "images/s", ratio: value / ceiling });
    if (scpu.length) rows.push({ case: `${name} end-to-end CPU per image (baseline: sharp's decode alone)`, value: median(cpu), baseline: median(scpu), unit: "CPU ms", ratio: median(cpu) / median(scpu) });
    else rows.push({ case: `${name} end-to-end CPU per image`, value: median(cpu), baseline: median(cpu), unit: "CPU ms", ratio: 1 });
    // each stage's busy seconds against the run's seconds (the stage near 1.00× sets the pace)
    const runSeconds = median(e2eSeconds);
    for (const stage of shares.length ? Object.keys(shares[0]) : []) {
      const secs = median(shares.map((x) => x[stage]));
      rows.push({ case: `${name} end-to-end, ${stage} busy (of the run's seconds)`, value: secs, baseline: runSeconds, unit: "s", ratio: secs / runSeconds });
    }
    if (base.length) {
      rows.push({ case: `${name} end-to-end, baseline build (${BASELINE.split("/").slice(-2).join("/")})`, value: median(base), baseline: value, unit: "images/s", ratio: median(base) / value });
      rows.push({ case: `${name} end-to-end, this build / baseline (median of ${vsBase.length} paired rounds)`, value: median(vsBase), baseline: 1, unit: "ratio", ratio: median(vsBase) });
      rows.push({ case: `${name} end-to-end CPU per image, baseline build`, value: median(baseCpu), baseline: median(cpu), unit: "CPU ms", ratio: median(baseCpu) / median(cpu) });
    }
    rows.push({ case: `${name} end-to-end peak RSS (max of ${ROUNDS}; target 300 MB)`, value: Math.max(...rss), baseline: 300, unit: "MB", ratio: Math.max(...rss) / 300 });
  }
  await encoder.close();
  report("ingest", rows);
} finally {
  await server?.close();
  await rm(root, { recursive: true, force: true });
}
