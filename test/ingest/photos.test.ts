/**
 * Camera-size photos in bounded memory: a 4000 × 3000 JPEG and an
 * 8000 × 6000 PNG (seeded scenes with noise, bench/photos.js) ingested by a
 * child process with 2 decode workers, whose peak RSS is read from the child
 * itself. Decoding them whole would take 36 MB and 144 MB of RGB per image
 * (and the file bytes besides); the stored vectors must still be those of an
 * honest area resize of every pixel, within the stated tolerance.
 */

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage, Encoder, parseModelCard, pointIdFromSha256, preprocess, QdrantStore, sha256Hex } from "../../src/index.js";
import { decodeOpenFile } from "../../src/model/decode.js";
import { makePhoto } from "../../bench/photos.js";
import { startTestStore, type TestStore } from "./store.js";

const exec = promisify(execFile);
const MODEL = "models/fashion-mnist-triplet-64.json";
let tmp: string, dir: string, server: TestStore;
const files: { name: string; bytes: Buffer; width: number; height: number }[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-photos-"));
  dir = join(tmp, "photos");
  await mkdir(dir);
  files.push({ name: "camera.jpg", bytes: await makePhoto({ width: 4000, height: 3000, seed: 11 }), width: 4000, height: 3000 });
  files.push({ name: "scan.png", bytes: await makePhoto({ width: 8000, height: 6000, seed: 12, format: "png" }), width: 8000, height: 6000 });
  for (const f of files) await writeFile(join(dir, f.name), f.bytes);
  server = await startTestStore(join(tmp, "store"));
}, 300_000);
afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("camera-size photos", () => {
  it("ingest in a child with 2 workers under 300 MB peak RSS, with the vectors of a full-resolution area resize", async () => {
    const collection = `photos-${process.pid}`;
    const arg = JSON.stringify({ dir, url: server.url, collection, workers: 2 });
    const { stdout } = await exec(process.execPath, ["test/ingest/rss-child.mjs", arg], { timeout: 240_000 });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect([r.summary.ingested, r.summary.skipped]).toEqual([2, []]);
    console.log(`photos: the child's peak RSS was ${r.maxRssMB.toFixed(0)} MB`);
    expect(r.maxRssMB).toBeLessThan(300);

    const store = await QdrantStore.connect({ url: server.url, apiKey: server.apiKey });
    const enc = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
    try {
      for (const f of files) {
        const [p] = await store.retrieve(collection, [pointIdFromSha256(sha256Hex(f.bytes))], { withVector: true });
        expect(p?.payload).toMatchObject({ path: f.name, width: f.width, height: f.height });
        // the expectation: every pixel decoded (in this process), the card's exact area resize, the same model
        const { data, info } = await sharp(f.bytes, { limitInputPixels: false }).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
        const want = await enc.embed([enc.preprocess({ data, width: info.width, height: info.height, channels: 3 })]);
        const got = Array.from(p!.vector as ArrayLike<number>);
        const scale = Math.max(...Array.from(want, Math.abs));
        const diff = Math.max(...got.map((x, i) => Math.abs(x - want[i]!)));
        expect(diff / scale, f.name).toBeLessThan(0.02);
      }
    } finally {
      await enc.close();
    }
  }, 300_000);

  it("a decode worker's JPEG (read from its open file, loaded at 1/8) has the size and tolerance of the documented shrink", async () => {
    const card = parseModelCard(JSON.parse(await readFile(MODEL, "utf8")), MODEL);
    const fill = { ...card.input, resize: "fill" as const };
    const upright = await sharp(await makePhoto({ width: 1200, height: 800, seed: 4 })).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    await writeFile(join(tmp, "turned.jpg"), upright);
    const cases = [{ path: join(dir, "camera.jpg"), size: [500, 375], levels: 2 }, { path: join(tmp, "turned.jpg"), size: [100, 150], levels: 3 }];
    for (const c of cases) {
      const bytes = await readFile(c.path);
      const img = await decodeOpenFile(c.path, { input: fill });
      expect([img.width, img.height, img.channels], c.path).toEqual([...c.size, 3]);
      // a small file's bytes (decoded through sharp's resize) come out at the same size
      const fromBytes = await decodeImage(bytes, { input: fill });
      expect([fromBytes.width, fromBytes.height]).toEqual(c.size);
      // against every pixel decoded and the card's exact area resize: the tolerance decode.test.ts states for each
      const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
      const full = preprocess({ data, width: info.width, height: info.height, channels: 3 }, { input: fill });
      const got = preprocess(img, { input: fill });
      const diff = got.reduce((m, x, i) => Math.max(m, Math.abs(x - full[i]!)), 0);
      expect(diff, c.path).toBeLessThan(c.levels / 255 / fill.std[0]!);
    }
  });
});
