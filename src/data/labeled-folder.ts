/**
 * A labeled image folder (`DIR/LABEL/…/image.png`: the first sub-folder is
 * the label) as {@link LabeledImages} for the trainer: every image decoded
 * (sharp), brought to the training size by the model card's preprocessing
 * (colour rule and resize rule alike, so training sees what ingestion and
 * the browser will feed the model), and kept as 8-bit pixels.
 * Unreadable images and images outside a label folder are skipped and
 * reported, not fatal.
 */

import { DataError } from "../errors.js";
import { walkImages } from "./walk.js";
import { decodeFile } from "../model/decode.js";
import { preprocess } from "../model/preprocess.js";
import type { ResizeRule } from "../model/card.js";
import type { LabeledImages } from "./idx.js";

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  dir: string;
  /** Training size. Default 28 × 28, 1 channel (gray). */
  height?: number;
  width?: number;
  channels?: 1 | 3;
  /** Default "fill". */
  resize?: ResizeRule;
}

/** A skipped file and why. */
export interface SkippedImage {
  path: string;
  reason: string;
}

/**
 * Load a labeled image folder.
 * @returns the images (labels = index of the sorted label names in `classNames`) and the skipped files.
 * @throws DataError when the folder is missing or holds no labeled image.
 * @example
 * const { images, skipped } = await loadImageFolder({ dir: "photos", height: 64, width: 64, channels: 3 });
 */
export async function loadImageFolder(o: ImageFolderOptions): Promise<{ images: LabeledImages; skipped: SkippedImage[] }> {
  const H = o.height ?? 28, W = o.width ?? 28, C = o.channels ?? 1;
  const resize = o.resize ?? "fill";
  // mean 0, std 1/255 turns the card's normalization into the identity on 0..255
  const card = { input: { name: "input", layout: "NCHW" as const, channels: C, height: H, width: W, resize, pad: 0, mean: Array(C).fill(0), std: Array(C).fill(1 / 255) } };
  const entries: { path: string; label: string }[] = [];
  const skipped: SkippedImage[] = [];
  for await (const e of walkImages(o.dir)) {
    if (e.label === undefined) skipped.push({ path: e.path, reason: "not inside a label sub-folder" });
    else entries.push({ path: e.path, label: e.label });
  }
  const names = [...new Set(entries.map((e) => e.label))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  const chw = new Float32Array(C * H * W);
  for (const e of entries) {
    try {
      preprocess(await decodeFile(e.path), card, chw);
    } catch (err) {
      skipped.push({ path: e.path, reason: (err as Error).message });
      continue;
    }
    const hwc = new Uint8Array(H * W * C);
    for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) hwc[p * C + c] = Math.max(0, Math.min(255, Math.round(chw[c * H * W + p]!)));
    pixels.push(hwc);
    labels.push(index.get(e.label)!);
  }
  if (pixels.length === 0) {
    throw new DataError(`image folder ${o.dir} holds no readable image inside a label sub-folder (${skipped.length} skipped); put images in DIR/LABEL/`);
  }
  const all = new Uint8Array(pixels.length * H * W * C);
  pixels.forEach((p, i) => all.set(p, i * H * W * C));
  return {
    images: { name: o.dir, count: pixels.length, height: H, width: W, channels: C, pixels: all, labels: Int32Array.from(labels), classNames: names },
    skipped,
  };
}
