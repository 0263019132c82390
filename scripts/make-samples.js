#!/usr/bin/env node
// Regenerates samples/fashion-mnist/<label>/t10k-NNNNN.png: 100 Fashion-MNIST
// TEST images per class (1,000 in all), chosen with a fixed seed, written as
// 8-bit gray PNG by sharp. Usage: node scripts/make-samples.js [--data DIR] [--out DIR] [--per N]
// DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz
// (default /usr/share/datasets/fashion-mnist).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";

/** Folder names of the ten classes, in label order. */
export const CLASSES = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];
const SEED = 20170825; // the day Fashion-MNIST was released

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "/usr/share/datasets/fashion-mnist" },
    out: { type: "string", default: "samples/fashion-mnist" },
    per: { type: "string", default: "100" },
  },
});

async function idx(path, magic) {
  let buf;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`${path} cannot be read (${e.code}); pass --data DIR holding the Fashion-MNIST IDX .gz files`);
  }
  if (path.endsWith(".gz")) buf = gunzipSync(buf);
  if (buf.readUInt32BE(0) !== magic) throw new Error(`${path}: not an IDX file with magic ${magic}`);
  return buf;
}

/** mulberry32: a small seeded PRNG, so the choice is the same everywhere. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const per = Number(values.per);
const images = await idx(join(values.data, "t10k-images-idx3-ubyte.gz"), 2051);
const labels = await idx(join(values.data, "t10k-labels-idx1-ubyte.gz"), 2049);
const n = images.readUInt32BE(4), rows = images.readUInt32BE(8), cols = images.readUInt32BE(12);
if (labels.readUInt32BE(4) !== n) throw new Error("images and labels disagree on the count");

// Fisher-Yates over all indices, then the first `per` of each class, in index order
const order = Array.from({ length: n }, (_, i) => i);
const rand = rng(SEED);
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [order[i], order[j]] = [order[j], order[i]];
}
const chosen = CLASSES.map(() => []);
for (const i of order) {
  const c = labels[8 + i];
  if (chosen[c].length < per) chosen[c].push(i);
}

for (const name of CLASSES) await rm(join(values.out, name), { recursive: true, force: true });
let written = 0;
for (let c = 0; c < CLASSES.length; c++) {
  const dir = join(values.out, CLASSES[c]);
  await mkdir(dir, { recursive: true });
  for (const i of chosen[c].sort((a, b) => a - b)) {
    const px = images.subarray(16 + i * rows * cols, 16 + (i + 1) * rows * cols);
    const png = await sharp(px, { raw: { width: cols, height: rows, channels: 1 } }).png({ compressionLevel: 9 }).toBuffer();
    await writeFile(join(dir, `t10k-${String(i).padStart(5, "0")}.png`), png);
    written++;
  }
}
await writeFile(join(values.out, "LICENSE"), `The images in this folder are from Fashion-MNIST (test set), chosen by
scripts/make-samples.js: 100 per class, seed ${SEED}. File names carry the
index of the image in t10k-images-idx3-ubyte. https://github.com/zalandoresearch/fashion-mnist

The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`);
console.log(`wrote ${written} PNG files (${per} per class) under ${values.out}`);
