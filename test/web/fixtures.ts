/**
 * Real image files for the browser tests: the first Fashion-MNIST test
 * images of each class, written as gray PNGs by sharp into
 * `<dir>/<label>/t10k-NNNNN.png`, plus a text file that is not an image.
 */

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import sharp from "sharp";

/** Where .ci/run installs Fashion-MNIST. */
export const FASHION_DIR = "/usr/share/datasets/fashion-mnist";
export const CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];

/**
 * Write `perClass` images of each class (the first ones in file order).
 * @returns the relative paths written, in order.
 */
export async function writeFashionPngs(dir: string, perClass: number): Promise<string[]> {
  const images = gunzipSync(await readFile(join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")));
  const labels = gunzipSync(await readFile(join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")));
  const n = images.readUInt32BE(4), h = images.readUInt32BE(8), w = images.readUInt32BE(12);
  const count = new Array<number>(CLASSES.length).fill(0);
  const written: string[] = [];
  for (let i = 0; i < n && written.length < perClass * CLASSES.length; i++) {
    const c = labels[8 + i]!;
    if (count[c]! >= perClass) continue;
    count[c]!++;
    const rel = join(CLASSES[c]!, `t10k-${String(i).padStart(5, "0")}.png`);
    await mkdir(join(dir, CLASSES[c]!), { recursive: true });
    const px = images.subarray(16 + i * h * w, 16 + (i + 1) * h * w);
    await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } }).png().toFile(join(dir, rel));
    written.push(rel);
  }
  return written;
}

/** A file named like an image that holds text. */
export async function writeNotAnImage(path: string): Promise<void> {
  await writeFile(path, "this is not an image\n");
}
