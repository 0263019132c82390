/**
 * Files chosen or dropped on the page, turned into decoded RGBA pixels (the
 * `Pixels` that the shared preprocess() takes), with clear errors for a
 * file that is not an image or is too large. Given the model's input, a large
 * image is handed on at the size Node decodes it to ({@link decodeSize}:
 * an eighth for a camera JPEG), resized by the browser's own high-quality
 * filter off the main thread (createImageBitmap), so a camera photo never
 * becomes a 48 MB RGBA canvas read back into script. The filters differ from
 * libvips', so a shrunk image's tensor matches Node's within a stated
 * tolerance (test/web/jpeg-parity.test.ts), not bit for bit; images within twice the card's
 * size are not resized and match exactly.
 */

import type { ModelInput } from "../model/card.js";
import { decodeSize, type Pixels } from "../model/preprocess.js";
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
  /** The image's own size, which `pixels` may be a shrunk copy of. */
  original: { width: number; height: number };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * Decode one file in the browser (createImageBitmap + a canvas, no colour
 * conversion, alpha not premultiplied).
 * @param input the model's input: large images come back shrunk to {@link decodeSize}; default full size.
 * @throws PageError "image" for a non-image, an undecodable or a too-large file.
 */
export async function decodeFile(file: File, input?: ModelInput): Promise<DecodedImage> {
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
  const original = { width: bitmap.width, height: bitmap.height };
  try {
    if (original.width * original.height > MAX_PIXELS) {
      throw new PageError("image", `${name} is too large (${original.width} × ${original.height} pixels); the page takes images up to ${MAX_SIDE} × ${MAX_SIDE} pixels (or as many in another shape); shrink it first`);
    }
    const to = input ? decodeSize(original.width, original.height, input, file.type || file.name) : undefined;
    if (to) {
      const small = await createImageBitmap(bitmap, { resizeWidth: to.width, resizeHeight: to.height, resizeQuality: "high", premultiplyAlpha: "none" });
      bitmap.close();
      bitmap = small;
    }
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new PageError("image", `${name}: this browser gives no 2D canvas to read pixels from`);
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
    return { name, pixels: { data, width, height, channels: 4 }, url: URL.createObjectURL(file), original };
  } finally {
    bitmap.close();
  }
}
