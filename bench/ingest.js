// npm run bench:ingest [-- --json]: end-to-end ingestion (walk, read, hash,
// decode + preprocess on worker threads, embed, upsert into the embedded
// store) in images/s, against the CPU ceiling measured in the same run:
// 1 / (1/decode-only + 1/inference-only), each stage alone on all cores with
// the same model and batch size. Two sets of 2,000 real files: 28×28 PNG from
// the Fashion-MNIST test set, and 640×480 JPEG (the same images upscaled).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";
import { Encoder, ingest, QdrantStore, sha256Hex, startEmbeddedStore, walkImages } from "../dist/index.js";
import { DecodePool } from "../dist/ingest/decode-pool.js";
import { median, now, report } from "./lib.js";

const N = 2000, BATCH = 64, ROUNDS = 3;
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
  for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, k) => one(i + k)));
  return { png, jpg };
}

async function files(dir) {
  const out = [];
  for await (const f of walkImages(dir)) out.push(f.path);
  return out;
}

/** Decode-only: read, hash, decode + preprocess on `workers` threads; images/s and the tensors. */
async function decodeOnly(paths, card) {
  const pool = new DecodePool({ workers: Math.min(16, availableParallelism()), input: card.input, pixelLimit: 1e8 });
  try {
    const t0 = now();
    const tensors = await Promise.all(paths.map(async (p) => {
      const bytes = await readFile(p);
      sha256Hex(bytes);
      const r = await pool.decode(bytes, p);
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
  log(`writing ${N} PNG + ${N} JPEG files under ${root} ...`);
  const sets = await makeSets(root);
  const encoder = await Encoder.load({ model: MODEL, device: "cpu" });
  server = await startEmbeddedStore({ path: join(root, "store"), port: 0 });
  const store = await QdrantStore.connect({ url: server.url });
  const rows = [];
  for (const [name, dir] of [["28×28 PNG", sets.png], ["640×480 JPEG", sets.jpg]]) {
    const paths = await files(dir);
    const dec = [], inf = [], e2e = [];
    for (let r = 0; r < ROUNDS; r++) {
      const d = await decodeOnly(paths, encoder.card);
      dec.push(d.rate);
      inf.push(await inferenceOnly(encoder, d.tensors));
      const s = await ingest({ dir, collection: `bench-${name.includes("PNG") ? "png" : "jpg"}-${r}`, model: encoder, store, batchSize: BATCH });
      if (s.ingested !== N) throw new Error(`ingested ${s.ingested} of ${N}`);
      e2e.push(s.ingested / s.seconds);
      log(`${name} round ${r + 1}: decode ${d.rate.toFixed(0)}/s, inference ${inf.at(-1).toFixed(0)}/s, end-to-end ${e2e.at(-1).toFixed(0)}/s`);
    }
    const decode = median(dec), inference = median(inf), value = median(e2e);
    const ceiling = 1 / (1 / decode + 1 / inference);
    rows.push({ case: `${name} decode-only (${availableParallelism()} workers)`, value: decode, baseline: ceiling, unit: "images/s", ratio: decode / ceiling });
    rows.push({ case: `${name} inference-only (batch ${BATCH})`, value: inference, baseline: ceiling, unit: "images/s", ratio: inference / ceiling });
    rows.push({ case: `${name} end-to-end vs ceiling`, value, baseline: ceiling, unit: "images/s", ratio: value / ceiling });
  }
  await encoder.close();
  report("ingest", rows);
} finally {
  await server?.close();
  await rm(root, { recursive: true, force: true });
}
