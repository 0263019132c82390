/**
 * Image decoding in Node with sharp: JPEG, PNG, WebP, GIF (first frame),
 * TIFF (first page) and AVIF into raw 8-bit pixels for {@link preprocess}.
 * EXIF orientation is applied, alpha is dropped, and a pixel limit guards
 * against decompression bombs. Every failure is an {@link ImageError} with a
 * short machine-readable `reason`.
 */

import { readFile } from "node:fs/promises";
import type SharpT from "sharp";
import { DataError } from "../errors.js";
import { firstLine } from "./first-line.js";
import type { Pixels } from "./preprocess.js";

/** Why an image could not be used. */
export const IMAGE_ERROR_REASONS = ["empty", "unreadable", "unsupported", "corrupt", "too-large"] as const;
export type ImageErrorReason = (typeof IMAGE_ERROR_REASONS)[number];

/** An image file that cannot be read or decoded; `reason` says which way. */
export class ImageError extends DataError {
  /** The file (or "<buffer>") that failed. */
  readonly where: string;
  readonly reason: ImageErrorReason;

  constructor(where: string, reason: ImageErrorReason, message: string, options?: { cause?: unknown }) {
    super(`image ${where}: ${message}`, options);
    this.where = where;
    this.reason = reason;
  }
}

/** Default pixel limit (width × height): 100 megapixels. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

/** Decoded pixels plus what the payload records. */
export interface DecodedImage extends Pixels {
  data: Uint8Array;
  channels: 1 | 3;
  /** sharp's name for the input format: jpeg, png, webp, gif, tiff, heif… */
  format: string;
}

export interface DecodeOptions {
  /** Name used in error messages. Default "<buffer>". */
  where?: string;
  /** Refuse images with more pixels than this. Default {@link DEFAULT_PIXEL_LIMIT}. */
  pixelLimit?: number;
}

/**
 * Decode image bytes to raw pixels (orientation applied, alpha dropped).
 * @returns 8-bit gray (1 channel) or sRGB (3 channels) pixels, row-major.
 * @throws ImageError with reason "empty", "unsupported", "corrupt" or "too-large".
 * @example
 * const img = await decodeImage(await readFile("shoe.jpg"), { where: "shoe.jpg" });
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const where = options.where ?? "<buffer>";
  const limit = options.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  if (bytes.length === 0) throw new ImageError(where, "empty", "the file is empty (0 bytes); re-export or remove it");
  const sharp = await loadSharp();
  try {
    const base = sharp(bytes, { limitInputPixels: limit, failOn: "error", pages: 1, sequentialRead: true });
    const meta = await base.metadata();
    let pipe = base.rotate().removeAlpha();
    // CMYK, Lab, 16-bit and palette images are converted to plain 8-bit sRGB or gray.
    const gray = meta.space === "b-w" || meta.space === "grey16";
    pipe = pipe.toColourspace(gray ? "b-w" : "srgb");
    const { data, info } = await pipe.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 3) {
      throw new ImageError(where, "unsupported", `decoded to ${channels} channels; expected gray or RGB`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels,
      format: meta.format ?? "unknown",
    };
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw classify(where, e, limit);
  }
}

/**
 * Read and decode an image file.
 * @throws ImageError with reason "unreadable" when the file cannot be read, or as {@link decodeImage}.
 */
export async function decodeFile(path: string, options: Omit<DecodeOptions, "where"> = {}): Promise<DecodedImage> {
  return decodeImage(await readImageFile(path), { ...options, where: path });
}

/**
 * Read an image file's bytes.
 * @throws ImageError with reason "unreadable" naming the system error (EACCES, ENOENT, EISDIR…).
 */
export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    throw new ImageError(path, "unreadable", `cannot be read (${code}); check that it exists and its permissions`, { cause: e });
  }
}

let sharpModule: Promise<typeof SharpT> | undefined;
/** sharp is loaded on first use, so commands that never decode do not pay for libvips. */
function loadSharp(): Promise<typeof SharpT> {
  sharpModule ??= import("sharp").then((m) => m.default);
  return sharpModule;
}

function classify(where: string, e: unknown, limit: number): ImageError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) {
    return new ImageError(where, "too-large",
      `has more than ${limit.toLocaleString("en-US")} pixels (a decompression bomb or a huge image); raise the pixel limit if it is genuine`, { cause: e });
  }
  if (/unsupported image format|unknown format|not a known/i.test(msg)) {
    return new ImageError(where, "unsupported",
      "is not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, AVIF)", { cause: e });
  }
  return new ImageError(where, "corrupt", `is corrupt or truncated (${firstLine(msg, 160)})`, { cause: e });
}
