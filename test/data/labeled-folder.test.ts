import { describe, expect, it } from "vitest";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { DataError } from "../../src/errors.js";
import { loadIdx } from "../../src/data/idx.js";
import { loadImageFolder } from "../../src/data/labeled-folder.js";
import { train } from "../../src/train/index.js";

const FIX = new URL("../fixtures/idx/", import.meta.url).pathname;

/** The first `per` images of each of `classes` Fashion-MNIST classes as PNG files in DIR/LABEL/. */
async function makeFolder(classes: number, per: number): Promise<string> {
  const src = await loadIdx({ dir: FIX, split: "train" });
  const dir = await mkdtemp(join(tmpdir(), "folder-"));
  const seen = new Map<number, number>();
  for (let i = 0; i < src.count; i++) {
    const l = src.labels[i]!;
    if (l >= classes || (seen.get(l) ?? 0) >= per) continue;
    seen.set(l, (seen.get(l) ?? 0) + 1);
    await mkdir(join(dir, `class-${l}`), { recursive: true });
    const png = await sharp(Buffer.from(src.pixels.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    await writeFile(join(dir, `class-${l}`, `${String(i).padStart(4, "0")}.png`), png);
  }
  return dir;
}

describe("loadImageFolder", () => {
  it("decodes DIR/LABEL/*.png into 8-bit pixels and sorted labels; bad files are skipped and reported", async () => {
    const dir = await makeFolder(3, 6);
    await writeFile(join(dir, "class-0", "broken.png"), "not a png");
    await writeFile(join(dir, "stray.png"), await sharp({ create: { width: 4, height: 4, channels: 3, background: "#fff" } }).png().toBuffer());
    const { images, skipped } = await loadImageFolder({ dir });
    expect(images.count).toBe(18);
    expect(images.classNames).toEqual(["class-0", "class-1", "class-2"]);
    expect([...new Set(images.labels)]).toEqual([0, 1, 2]);
    // same size, gray: the card's preprocessing is the identity, so pixels match the IDX source
    const src = await loadIdx({ dir: FIX, split: "train" });
    const first = src.labels.indexOf(0);
    expect(Buffer.compare(images.pixels.subarray(0, 784), src.pixels.subarray(first * 784, (first + 1) * 784))).toBe(0);
    expect(skipped.map((s) => s.path.split("/").pop()).sort()).toEqual(["broken.png", "stray.png"]);
    expect(skipped.find((s) => s.path.endsWith("stray.png"))!.reason).toMatch(/not inside a label sub-folder/);
  });

  it("resizes to the training size and feeds train()", async () => {
    const dir = await makeFolder(4, 8);
    const { images } = await loadImageFolder({ dir, height: 16, width: 16, channels: 3 });
    expect([images.height, images.width, images.channels, images.pixels.length]).toEqual([16, 16, 3, 32 * 16 * 16 * 3]);
    const r = await train({ train: images, net: { conv: [4, 8], dense: [8], dim: 8 }, epochs: 1, batchSize: 16, classesPerBatch: 4, validation: 0.25, workers: 1 });
    expect(r.history).toHaveLength(1);
  });

  it("a folder with one class is an error before training; an empty one a DataError", async () => {
    const one = await makeFolder(1, 5);
    const { images } = await loadImageFolder({ dir: one });
    await expect(train({ train: images })).rejects.toThrow(/has 1 class; triplet and contrastive training need at least 2 labels/);
    const empty = await mkdtemp(join(tmpdir(), "empty-"));
    await expect(loadImageFolder({ dir: empty })).rejects.toThrow(DataError);
  });
});
