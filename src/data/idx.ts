/**
 * IDX files (the MNIST / Fashion-MNIST format), plain or gzipped.
 *
 * Format: magic `00 00 TT DD` (TT = 0x08 unsigned bytes, DD = number of
 * dimensions), DD big-endian u32 sizes, then the data. Images are
 * `[n, rows, cols]` (idx3), labels `[n]` (idx1).
 */

import { readFile, access } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError } from "../errors.js";

/** A labeled set of 8-bit images, row-major `[count, height, width, channels]`. */
export interface LabeledImages {
  /** Where it came from, for messages and the model card. */
  name: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  pixels: Uint8Array;
  labels: Int32Array;
  /** Label names by class index, when known. */
  classNames?: string[];
}

/** The two splits of an IDX folder. */
export const IDX_SPLITS = ["train", "test"] as const;
/** One of {@link IDX_SPLITS}: the training or the test half of an IDX data set. */
export type IdxSplit = (typeof IDX_SPLITS)[number];

/** Fashion-MNIST's class names, index = label. */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];

/**
 * Parse one IDX buffer (gunzipped first when it starts with the gzip magic).
 * @param expectDims 3 for images, 1 for labels.
 * @throws DataError for a wrong magic number, a wrong rank or a truncated body.
 */
export function parseIdx(buf: Uint8Array, where: string, expectDims: number): { dims: number[]; data: Uint8Array } {
  let b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      const z = gunzipSync(b);
      b = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
    } catch (cause) {
      throw new DataError(`IDX file ${where} is a damaged or truncated gzip file (${(cause as Error).message}); download it again`, { cause });
    }
  }
  if (b.length < 4) throw new DataError(`IDX file ${where} is truncated: ${b.length} bytes, not even a header`);
  const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const want = 0x00000800 | expectDims;
  if (magic !== want) {
    throw new DataError(
      `IDX file ${where} has magic number 0x${magic.toString(16).padStart(8, "0")}, expected 0x${want.toString(16).padStart(8, "0")} ` +
        `(unsigned bytes, ${expectDims} dimension${expectDims > 1 ? "s" : ""}); is it the right file (images are idx3, labels idx1)?`,
    );
  }
  const head = 4 + 4 * expectDims;
  if (b.length < head) throw new DataError(`IDX file ${where} is truncated: ${b.length} bytes, the header needs ${head}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims = Array.from({ length: expectDims }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, c) => a * c, 1);
  if (b.length < head + size) {
    throw new DataError(`IDX file ${where} is truncated: shape [${dims.join(", ")}] needs ${head + size} bytes, the file has ${b.length}; download it again`);
  }
  return { dims, data: b.subarray(head, head + size) };
}

async function findFile(dir: string, stem: string): Promise<string> {
  const dotted = stem.replace(/-(idx\d-ubyte)$/, ".$1");
  const tried = [stem, `${stem}.gz`, dotted, `${dotted}.gz`].map((f) => join(dir, f));
  for (const p of tried) {
    try {
      await access(p);
      return p;
    } catch {
      /* try the next name */
    }
  }
  throw new DataError(`IDX file not found: tried ${tried.join(", ")}; pass --data with a folder holding ${stem}[.gz]`);
}

/**
 * Load the `train` or `test` split of an IDX folder (MNIST file names:
 * `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-…`).
 * @throws DataError for missing, truncated or mismatched files.
 * @example
 * const train = await loadIdx({ dir: "/usr/share/datasets/fashion-mnist", split: "train" });
 */
export async function loadIdx(o: { dir: string; split: IdxSplit; limit?: number; classNames?: string[] }): Promise<LabeledImages> {
  const prefix = o.split === "train" ? "train" : "t10k";
  const imgPath = await findFile(o.dir, `${prefix}-images-idx3-ubyte`);
  const labPath = await findFile(o.dir, `${prefix}-labels-idx1-ubyte`);
  const read = async (p: string) => {
    try {
      return new Uint8Array(await readFile(p));
    } catch (cause) {
      throw new DataError(`cannot read IDX file ${p}: ${(cause as Error).message}`, { cause });
    }
  };
  const img = parseIdx(await read(imgPath), imgPath, 3);
  const lab = parseIdx(await read(labPath), labPath, 1);
  const [n, h, w] = img.dims as [number, number, number];
  if (lab.dims[0] !== n) throw new DataError(`IDX files disagree: ${imgPath} has ${n} images but ${labPath} has ${lab.dims[0]} labels`);
  if (n < 1 || h < 1 || w < 1) throw new DataError(`IDX file ${imgPath} holds no images (shape [${img.dims.join(", ")}])`);
  const count = Math.min(n, o.limit ?? n);
  return {
    name: `${o.dir}:${o.split}`,
    count, height: h, width: w, channels: 1,
    pixels: img.data.slice(0, count * h * w),
    labels: Int32Array.from(lab.data.subarray(0, count)),
    ...(o.classNames ? { classNames: o.classNames } : {}),
  };
}

/** Encode images and labels as IDX (for fixtures and tests). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
