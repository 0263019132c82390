import { describe, expect, it, beforeAll } from "vitest";
import { mkdtemp, writeFile, copyFile } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataError } from "../../src/errors.js";
import { loadIdx, parseIdx, encodeIdx } from "../../src/data/idx.js";

const FIX = new URL("../fixtures/idx/", import.meta.url).pathname;

describe("IDX files", () => {
  let plain: string;
  beforeAll(async () => {
    // the same subset, ungzipped, under the dotted file names some mirrors use
    plain = await mkdtemp(join(tmpdir(), "idx-"));
    const names: [string, string][] = [["train-images-idx3-ubyte", "train-images.idx3-ubyte"], ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"]];
    for (const [src, dst] of names) {
      await writeFile(join(plain, dst), gunzipSync(readFileSync(join(FIX, `${src}.gz`))));
    }
  });

  it("reads gzipped and plain files alike", async () => {
    const gz = await loadIdx({ dir: FIX, split: "train" });
    const raw = await loadIdx({ dir: plain, split: "train" });
    expect([gz.count, gz.height, gz.width, gz.channels]).toEqual([500, 28, 28, 1]);
    expect(Buffer.compare(raw.pixels, gz.pixels)).toBe(0);
    expect(Buffer.compare(new Uint8Array(raw.labels.buffer), new Uint8Array(gz.labels.buffer))).toBe(0);
    expect(Object.getPrototypeOf(gz.pixels)).toBe(Uint8Array.prototype);
    expect(Math.max(...gz.labels)).toBe(9);
    const test = await loadIdx({ dir: FIX, split: "test", limit: 50 });
    expect(test.count).toBe(50);
    expect(test.pixels.length).toBe(50 * 784);
  });

  it("round-trips encodeIdx", () => {
    const data = Uint8Array.from({ length: 24 }, (_, i) => i);
    const { dims, data: back } = parseIdx(gzipSync(encodeIdx([2, 3, 4], data)), "x", 3);
    expect(dims).toEqual([2, 3, 4]);
    expect(back).toEqual(data);
  });

  it("a missing file is a DataError naming the paths tried", async () => {
    const empty = await mkdtemp(join(tmpdir(), "idx-empty-"));
    const e = await loadIdx({ dir: empty, split: "test" }).catch((x) => x);
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toMatch(/IDX file not found: tried .*t10k-images-idx3-ubyte.*\.gz.*pass --data/);
  });

  it("a truncated file is a DataError", async () => {
    const full = encodeIdx([3, 2, 2], new Uint8Array(12));
    expect(() => parseIdx(full.subarray(0, full.length - 1), "f", 3)).toThrow(DataError);
    expect(() => parseIdx(full.subarray(0, full.length - 1), "f", 3)).toThrow(/f is truncated: shape \[3, 2, 2\] needs 28 bytes, the file has 27/);
    expect(() => parseIdx(full.subarray(0, 6), "f", 3)).toThrow(/truncated: 6 bytes, the header needs 16/);
    const gz = gzipSync(full);
    expect(() => parseIdx(gz.subarray(0, gz.length - 8), "g", 3)).toThrow(/g is a damaged or truncated gzip file/);
  });

  it("a wrong magic number (e.g. labels where images belong) is a DataError", async () => {
    const labels = encodeIdx([4], new Uint8Array(4));
    expect(() => parseIdx(labels, "l", 3)).toThrow(DataError);
    expect(() => parseIdx(labels, "l", 3)).toThrow(/magic number 0x00000801, expected 0x00000803/);
    const dir = await mkdtemp(join(tmpdir(), "idx-swap-"));
    await copyFile(join(FIX, "t10k-labels-idx1-ubyte.gz"), join(dir, "t10k-images-idx3-ubyte.gz"));
    await copyFile(join(FIX, "t10k-labels-idx1-ubyte.gz"), join(dir, "t10k-labels-idx1-ubyte.gz"));
    await expect(loadIdx({ dir, split: "test" })).rejects.toThrow(/images are idx3, labels idx1/);
  });

  it("image and label counts must agree", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idx-count-"));
    await writeFile(join(dir, "t10k-images-idx3-ubyte"), encodeIdx([3, 2, 2], new Uint8Array(12)));
    await writeFile(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx([2], new Uint8Array(2)));
    await expect(loadIdx({ dir, split: "test" })).rejects.toThrow(/has 3 images but .* has 2 labels/);
  });
});
