import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { decodeFile, decodeImage, ImageError } from "../../src/index.js";
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
