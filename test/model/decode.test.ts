import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { decodeFile, decodeImage, decodeSize, ImageError, parseModelCard, preprocess, type ModelInput } from "../../src/index.js";
import { makePhoto } from "../../bench/photos.js";
import { writeImageFixtures, type BadImage, type GoodImage } from "../fixtures/images/make.js";

let dir: string;
let good: GoodImage[];
let bad: BadImage[];
let unreadableBlocks: boolean;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "margin-decode-"));
  ({ good, bad, unreadableBlocks } = await writeImageFixtures(dir));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("decodeImage", () => {
  it("decodes PNG, JPEG, WebP, GIF, TIFF, AVIF and gray PNG to raw pixels", async () => {
    for (const g of good) {
      const img = await decodeFile(join(dir, g.rel));
      expect({ rel: g.rel, width: img.width, height: img.height, channels: img.channels, format: img.format })
        .toEqual({ rel: g.rel, width: g.width, height: g.height, channels: g.channels, format: g.format });
      expect(img.data.length).toBe(g.width * g.height * g.channels);
    }
  });

  it("applies EXIF orientation (6 = 90° clockwise)", async () => {
    const upright = await decodeFile(join(dir, "a/rotated.jpg"));
    const stored = await sharp(await readFile(join(dir, "a/rotated.jpg"))).raw().toBuffer({ resolveWithObject: true });
    expect([stored.info.width, stored.info.height]).toEqual([40, 24]);
    // top-left of the upright image is the stored bottom-left
    const at = (d: ArrayLike<number>, w: number, x: number, y: number) => d[(y * w + x) * 3]!;
    expect(Math.abs(at(upright.data, 24, 0, 0) - at(stored.data, 40, 0, 23))).toBeLessThanOrEqual(2);
  });

  it("names the reason for every bad file", async () => {
    for (const b of bad) {
      const err = await decodeFile(join(dir, b.rel)).catch((e: unknown) => e);
      expect(err, b.rel).toBeInstanceOf(ImageError);
      expect((err as ImageError).reason, b.rel).toBe(b.reason);
      expect((err as ImageError).message).toContain(join(dir, b.rel));
    }
    if (!unreadableBlocks) console.warn("decode test: running as root, chmod 000 does not block reads; the locked file decodes");
  });

  it("gives messages that say what to do", async () => {
    await expect(decodeImage(new Uint8Array(0), { where: "x.png" })).rejects.toThrow("image x.png: the file is empty (0 bytes); re-export or remove it");
    await expect(decodeImage(Buffer.from("hello"), { where: "t.png" })).rejects.toThrow(/not an image in a supported format \(JPEG, PNG, WebP, GIF, TIFF, AVIF\)/);
    await expect(decodeImage(await readFile(join(dir, "a/bomb.png")), { where: "bomb.png" })).rejects.toThrow(/more than 100,000,000 pixels/);
    await expect(decodeFile(join(dir, "missing.png"))).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });

  it("reports a chmod 000 file as unreadable (as an unprivileged user when the tests run as root)", async () => {
    const locked = join(dir, "b/locked.png");
    if (unreadableBlocks) {
      await expect(decodeFile(locked)).rejects.toMatchObject({ reason: "unreadable" });
      return;
    }
    // root reads anything: ask the compiled library what it makes of the file
    // as "nobody". The child loads the library as root (the checkout may sit
    // in a folder only root can enter) and only then drops to nobody.
    await chmod(dir, 0o755);
    const script = `import { decodeFile } from ${JSON.stringify(new URL("../../dist/model/decode.js", import.meta.url).href)};
      process.setgid(65534);
      process.setuid(65534);
      decodeFile(${JSON.stringify(locked)}).then(() => console.log("read"), (e) => console.log(e.reason + ": " + e.message));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    expect(stdout).toMatch(/^unreadable: image .*locked\.png: cannot be read \(EACCES\); check that it exists and its permissions/);
  });

  it("brings 16-bit, gray+alpha, CMYK and palette images to 8-bit gray or RGB", async () => {
    const rgb = sharp(Buffer.alloc(4 * 4 * 3, 200), { raw: { width: 4, height: 4, channels: 3 } });
    const cases: [string, Buffer, number, number][] = [
      ["rgb16 png", await rgb.clone().toColourspace("rgb16").png().toBuffer(), 3, 200],
      ["grey16 png", await sharp(Buffer.alloc(16, 100), { raw: { width: 4, height: 4, channels: 1 } }).toColourspace("grey16").png().toBuffer(), 1, 100],
      ["palette png", await rgb.clone().png({ palette: true }).toBuffer(), 3, 200],
      ["gray+alpha png", await sharp(Buffer.alloc(32, 100), { raw: { width: 4, height: 4, channels: 2 } }).png().toBuffer(), 3, 100],
    ];
    for (const [what, bytes, channels, value] of cases) {
      const img = await decodeImage(bytes, { where: what });
      expect([what, img.channels, img.data[0]]).toEqual([what, channels, value]);
    }
    const cmyk = await decodeImage(await rgb.clone().toColourspace("cmyk").jpeg().toBuffer());
    expect(cmyk.channels).toBe(3);
  });

  it("honours a lower pixel limit", async () => {
    const bytes = await readFile(join(dir, "a/one.png"));
    await expect(decodeImage(bytes, { pixelLimit: 100 })).rejects.toMatchObject({ reason: "too-large" });
  });
});

describe("shrink on load", () => {
  const fill: ModelInput = { ...parseModelCard(JSON.parse(readFileSync("models/fashion-mnist-triplet-64.json", "utf8")), "models/fashion-mnist-triplet-64.json").input, resize: "fill" };
  const card = { input: fill };
  /** The exact path: every pixel decoded, then the card's area resize. */
  const fullTensor = async (bytes: Buffer) => {
    const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    return preprocess({ data, width: info.width, height: info.height, channels: 3 }, card);
  };
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

  it("decodes JPEG at the decoder's own 1/2, 1/4 or 1/8 and the rest by whole factors (hand-computed sizes)", () => {
    const at = (resize: ModelInput["resize"], w: number, h: number, format = "jpeg") => decodeSize(w, h, { ...fill, resize }, format);
    // fill / cover 28 × 28 of 4000 × 3000: 3000 / 56 = 53.6 ≥ 8, so the JPEG shrink by 8
    expect(at("fill", 4000, 3000)).toEqual({ width: 500, height: 375 });
    expect(at("cover", 4001, 3001)).toEqual({ width: 501, height: 376 });
    // 230 × 180: 180 / 56 = 3.2, so by 2 (by 4 would leave 45 rows for 28)
    expect(at("fill", 230, 180)).toEqual({ width: 115, height: 90 });
    // contain: the content is 28 × 21 of 300 × 225 (225 / 42 = 5.4), so by 4
    expect(at("contain", 300, 225)).toEqual({ width: 75, height: 57 });
    // PNG (no shrink while decoding): a whole factor keeping 4× the card, 3000 / 112 = 26.8 → 26
    expect(at("fill", 4000, 3000, "png")).toEqual({ width: 153, height: 115 });
    // small enough already: full size
    expect(at("fill", 100, 100)).toBeUndefined();
    expect(at("fill", 100, 100, "png")).toBeUndefined();
    expect(at("fill", 112, 112)).toEqual({ width: 56, height: 56 });
  });

  it("decodes a 4000 × 3000 JPEG photo to 500 × 375, within 2 gray levels of the full decode's tensor", async () => {
    const bytes = await makePhoto({ width: 4000, height: 3000, seed: 3 });
    const img = await decodeImage(bytes, { input: fill });
    expect([img.width, img.height, img.original, img.data.length]).toEqual([500, 375, { width: 4000, height: 3000 }, 500 * 375 * 3]);
    // the stated tolerance: any tensor element within 2 gray levels (1 level is 1/255/std of the card)
    expect(maxDiff(preprocess(img, card), await fullTensor(bytes))).toBeLessThan(2 / 255 / fill.std[0]!);
  });

  it("decodes an 8000 × 6000 PNG shrunk by 53, within 5 gray levels of the full decode's tensor", async () => {
    const bytes = await makePhoto({ width: 8000, height: 6000, seed: 6, format: "png" });
    const img = await decodeImage(bytes, { input: fill });
    expect([img.width, img.height, img.original]).toEqual([150, 113, { width: 8000, height: 6000 }]);
    expect(maxDiff(preprocess(img, card), await fullTensor(bytes))).toBeLessThan(5 / 255 / fill.std[0]!);
  }, 120_000);

  it("shrinks after EXIF rotation (orientation 6): sizes and pixels are those of the upright photo", async () => {
    const stored = await sharp(await makePhoto({ width: 1200, height: 800, seed: 4 })).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    const img = await decodeImage(stored, { input: fill });
    expect([img.original, img.width, img.height]).toEqual([{ width: 800, height: 1200 }, 100, 150]);
    // a small photo at the decoder's 1/8 leaves fewer blocks per output pixel: 3 levels here (2.0 measured)
    expect(maxDiff(preprocess(img, card), await fullTensor(stored))).toBeLessThan(3 / 255 / fill.std[0]!);
  });

  it("decodes a HEIF the installed libvips can (AV1-coded) and names HEIC it cannot, with what to do", async () => {
    const av1 = await sharp(await makePhoto({ width: 64, height: 48, seed: 5 })).heif({ compression: "av1", quality: 80 }).toBuffer();
    const ok = await decodeImage(av1, { where: "phone.heif" });
    expect([ok.format, ok.width, ok.height]).toEqual(["heif", 64, 48]);
    // an HEVC-coded HEIC from a phone: the ftyp box says "heic"; sharp's prebuilt libvips has no HEVC decoder
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypheic\0\0\0\0mif1heic", "latin1"), Buffer.alloc(200, 7)]);
    const err = await decodeImage(heic, { where: "IMG_0001.HEIC" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).reason).toBe("unsupported");
    expect((err as ImageError).message).toMatch(/^image IMG_0001\.HEIC: is a HEIC \(HEVC-coded HEIF\) photo that the installed libvips cannot decode \(.*\); .*convert it to JPEG/);
  });
});
