/**
 * Image decoding in Node with sharp: JPEG, PNG, WebP, GIF (first frame),
 * TIFF (first page), AVIF and, where the installed libvips has a decoder for
 * them, HEIC / HEIF, into raw 8-bit pixels for {@link preprocess}. EXIF
 * orientation is applied, alpha is dropped, and a pixel limit guards against
 * decompression bombs. Given the model's input, a large image is decoded
 * straight to a smaller size (a JPEG shrinks by up to 8 while it loads, so a
 * 12-megapixel photo never becomes a 36 MB buffer; other formats are reduced
 * as libvips streams them), never below twice what the card's resize needs
 * (see {@link decodeSize}). Every failure is an
 * {@link ImageError} with a short machine-readable `reason`.
 */

import type SharpT from "sharp";
import type { ModelInput } from "./card.js";
import { firstLine } from "./first-line.js";
import { ImageError } from "./image-error.js";
import { decodeSize, type Pixels } from "./preprocess.js";
import { readImageFile, withImageFile, type ReadImageOptions } from "./read-image.js";

export { IMAGE_ERROR_REASONS, ImageError, type ImageErrorReason } from "./image-error.js";
export { DEFAULT_READ_TIMEOUT_MS, defaultMaxBytes, hashImageFile, readImageFile,
  type FileIdentity, type HashedImageFile, type ReadImageOptions } from "./read-image.js";

/** Default pixel limit (width × height): 100 megapixels. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

/** Decoded pixels plus what the payload records. */
export interface DecodedImage extends Pixels {
  data: Uint8Array;
  channels: 1 | 3;
  /** sharp's name for the input format: jpeg, png, webp, gif, tiff, heif… */
  format: string;
  /** The image's own size (after EXIF rotation), which `width` × `height` may be a shrunk copy of. */
  original: { width: number; height: number };
}

/** Limits and hints for decoding an image: the name in errors, the pixel limit, the model input to shrink towards. */
export interface DecodeOptions {
  /** Name used in error messages. Default "<buffer>". */
  where?: string;
  /** Refuse images with more pixels than this. Default {@link DEFAULT_PIXEL_LIMIT}. */
  pixelLimit?: number;
  /**
   * The model input the pixels are for: a large image is then decoded to the
   * smallest size that keeps at least twice the resolution the card's resize
   * samples ({@link decodeSize}). Default: full size.
   */
  input?: ModelInput;
}

/**
 * Decode image bytes to raw pixels (orientation applied, alpha dropped).
 * @returns 8-bit gray (1 channel) or sRGB (3 channels) pixels, row-major.
 * @throws ImageError with reason "empty", "unsupported", "corrupt" or "too-large".
 * @example
 * const img = await decodeImage(await readFile("shoe.jpg"), { where: "shoe.jpg" });
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ImageError(options.where ?? "<buffer>", "empty", "the file is empty (0 bytes); re-export or remove it");
  return decodeSource(bytes, bytes, options);
}

/**
 * Decode an image file without holding its bytes: on Linux libvips reads the
 * checked, open descriptor itself (`/proc/self/fd/N`) as it decodes, so a
 * 100 MB PNG costs its decoder's buffers, not 100 MB; elsewhere the file is
 * read first. Opening, reading and decoding share one deadline.
 * @throws ImageError as {@link readImageFile} and {@link decodeImage}.
 */
export async function decodeOpenFile(path: string, options: Omit<DecodeOptions, "where"> & ReadImageOptions = {}): Promise<DecodedImage> {
  if (process.platform !== "linux") return decodeFile(path, options);
  return (await withImageFile(path, options, async (h, st, deadline) => {
    if (st.size === 0) throw new ImageError(path, "empty", "the file is empty (0 bytes); re-export or remove it");
    const head = new Uint8Array(Math.min(16, st.size));
    await deadline(h.read(head, 0, head.length, 0));
    return deadline(decodeSource(`/proc/self/fd/${h.fd}`, head, { ...options, where: path }));
  })).result;
}

/** Decode from bytes or a file name; `head` is the file's first bytes (to name a HEIF brand). */
async function decodeSource(input: Uint8Array | string, head: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  const where = options.where ?? "<buffer>";
  const limit = options.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const sharp = await loadSharp();
  try {
    const base = sharp(input, { limitInputPixels: limit, failOn: "error", pages: 1, sequentialRead: true });
    const meta = await base.metadata();
    const turned = (meta.orientation ?? 1) >= 5; // EXIF 5-8 swap width and height
    const w = (turned ? meta.height : meta.width) ?? 0, h = (turned ? meta.width : meta.height) ?? 0;
    const to = options.input && w > 0 && h > 0 ? decodeSize(w, h, options.input, meta.format ?? "") : undefined;
    const jpegShrink = to && typeof input === "string" && meta.format === "jpeg" && w * h <= limit ? Math.round(Math.max(w, h) / Math.max(to.width, to.height)) : 0;
    let pipe: ReturnType<typeof sharp>;
    if (jpegShrink === 2 || jpegShrink === 4 || jpegShrink === 8) {
      // JPEG shrinks by 2, 4 or 8 while it loads, to exactly this size, no filter after it. Asked of
      // libvips' loader directly (a load option in the file name: `input` is our own /proc path):
      // sharp's resize to exactly 1/8 would load at 1/4 and resample (~1.4× the CPU of a 1/8 load)
      pipe = sharp(`${input}[shrink=${jpegShrink}]`, { limitInputPixels: limit, failOn: "error", pages: 1, sequentialRead: true }).rotate();
    } else {
      pipe = base.rotate();
      // a JPEG from bytes as above through sharp's resize; the rest is a reduction that libvips
      // streams, so a huge PNG is never whole in memory
      if (to) pipe = pipe.resize(to.width, to.height, { fit: "fill", kernel: "cubic", fastShrinkOnLoad: true });
    }
    pipe = pipe.removeAlpha();
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
      original: to ? { width: w, height: h } : { width: info.width, height: info.height },
    };
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw classify(where, e, limit, head);
  }
}

/**
 * Read and decode an image file (a regular file within the byte cap and the read deadline).
 * @throws ImageError as {@link readImageFile} and {@link decodeImage}.
 */
export async function decodeFile(path: string, options: Omit<DecodeOptions, "where"> & ReadImageOptions = {}): Promise<DecodedImage> {
  return decodeImage(await readImageFile(path, options), { ...options, where: path });
}

let sharpModule: Promise<typeof SharpT> | undefined;
/** sharp is loaded on first use, so commands that never decode do not pay for libvips. */
function loadSharp(): Promise<typeof SharpT> {
  sharpModule ??= import("sharp").then((m) => m.default);
  return sharpModule;
}

function classify(where: string, e: unknown, limit: number, bytes: Uint8Array): ImageError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) {
    return new ImageError(where, "too-large",
      `has more than ${limit.toLocaleString("en-US")} pixels (a decompression bomb or a huge image); raise the pixel limit if it is genuine`, { cause: e });
  }
  const heif = heifBrand(bytes);
  if (heif) {
    return new ImageError(where, "unsupported",
      `is a ${heif} photo that the installed libvips cannot decode (${firstLine(msg, 160)}); sharp's prebuilt libvips decodes AVIF but not HEVC-coded HEIC: convert it to JPEG (e.g. \`heif-convert\`, or "Most Compatible" in the phone's camera settings), or install sharp against a system libvips built with libde265`, { cause: e });
  }
  if (/unsupported image format|unknown format|not a known/i.test(msg)) {
    return new ImageError(where, "unsupported",
      "is not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, AVIF)", { cause: e });
  }
  return new ImageError(where, "corrupt", `is corrupt or truncated (${firstLine(msg, 160)})`, { cause: e });
}

/** "HEIC" / "HEIF" when the bytes are an ISO-BMFF file of a HEIF brand (ftyp box first), else undefined. */
function heifBrand(b: Uint8Array): string | undefined {
  if (b.length < 12 || String.fromCharCode(b[4]!, b[5]!, b[6]!, b[7]!) !== "ftyp") return undefined;
  const brand = String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!);
  if (["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"].includes(brand)) return "HEIC (HEVC-coded HEIF)";
  if (["mif1", "msf1", "heif"].includes(brand)) return "HEIF";
  return undefined;
}
