/**
 * Files chosen or dropped on the page, turned into decoded RGBA pixels (the
 * `Pixels` that the shared preprocess() takes), with clear errors for a
 * file that is not an image or is too large.
 */

import type { Pixels } from "../model/preprocess.js";
import { PageError } from "./api.js";

/** Largest file accepted, in bytes. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
/** Largest image accepted, in pixels: {@link MAX_SIDE}². */
export const MAX_SIDE = 4096;
export const MAX_PIXELS = MAX_SIDE * MAX_SIDE;

/** A decoded query image. */
export interface DecodedImage {
  name: string;
  pixels: Pixels;
  /** An object URL for showing the file. */
  url: string;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * Decode one file in the browser (createImageBitmap + a canvas, no colour
 * conversion, alpha not premultiplied).
 * @throws PageError "image" for a non-image, an undecodable or a too-large file.
 */
export async function decodeFile(file: File): Promise<DecodedImage> {
  const name = file.name || "(unnamed file)";
  if (file.type && !file.type.startsWith("image/")) {
    throw new PageError("image", `${name} is not an image (its type is ${file.type}); choose a PNG, JPEG, WebP, GIF or AVIF file`);
  }
  if (file.size === 0) throw new PageError("image", `${name} is empty (0 bytes); choose another file`);
  if (file.size > MAX_FILE_BYTES) {
    throw new PageError("image", `${name} is too large (${mb(file.size)}); the page takes files up to ${mb(MAX_FILE_BYTES)}; shrink it first`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (e) {
    throw new PageError("image", `${name} is not an image this browser can decode (${((e as Error).message || "unknown format").replace(/\.$/, "")}); choose a PNG, JPEG, WebP, GIF or AVIF file`, { cause: e });
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_PIXELS) {
      throw new PageError("image", `${name} is too large (${width} × ${height} pixels); the page takes images up to ${MAX_SIDE} × ${MAX_SIDE} pixels (or as many in another shape); shrink it first`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new PageError("image", `${name}: this browser gives no 2D canvas to read pixels from`);
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
    return { name, pixels: { data, width, height, channels: 4 }, url: URL.createObjectURL(file) };
  } finally {
    bitmap.close();
  }
}
