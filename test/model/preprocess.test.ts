import { describe, expect, it } from "vitest";
import { InputError, preprocess, type ModelInput, type Pixels } from "../../src/index.js";

const gray = (width: number, height: number, values: number[]): Pixels =>
  ({ data: Uint8Array.from(values), width, height, channels: 1 });

function card(o: Partial<ModelInput> & { width: number; height: number }) {
  const channels = o.channels ?? 1;
  return {
    input: {
      name: "x", layout: "NCHW" as const, channels, resize: "fill" as const,
      mean: Array(channels).fill(0), std: Array(channels).fill(1), ...o,
    },
  };
}

const close = (got: Float32Array, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
};

describe("preprocess", () => {
  it("keeps a same-size image and scales to [0, 1]", () => {
    close(preprocess(gray(2, 2, [0, 51, 102, 255]), card({ width: 2, height: 2 })), [0, 0.2, 0.4, 1]);
  });

  it("averages areas when shrinking, with fractional coverage", () => {
    close(preprocess(gray(2, 2, [0, 51, 102, 255]), card({ width: 1, height: 1 })), [102 / 255]);
    close(preprocess(gray(4, 1, [0, 100, 200, 255]), card({ width: 2, height: 1 })), [50 / 255, 227.5 / 255]);
    // 3 → 2: output 0 covers [0, 1.5): (30·1 + 60·0.5) / 1.5; output 1 covers [1.5, 3)
    close(preprocess(gray(3, 1, [30, 60, 90]), card({ width: 2, height: 1 })), [40 / 255, 80 / 255]);
  });

  it("interpolates bilinearly when enlarging, clamping at the edges", () => {
    close(preprocess(gray(2, 1, [0, 100]), card({ width: 4, height: 1 })), [0, 25 / 255, 75 / 255, 100 / 255]);
  });

  it("takes BT.601 luma of RGB and ignores alpha", () => {
    const rgba: Pixels = { data: Uint8Array.from([255, 0, 0, 0, 0, 255, 0, 9, 0, 0, 255, 255]), width: 3, height: 1, channels: 4 };
    close(preprocess(rgba, card({ width: 3, height: 1 })), [0.299, 0.587, 0.114]);
  });

  it("writes RGB planes in NCHW order and replicates gray for RGB cards", () => {
    const rgb: Pixels = { data: Uint8Array.from([10, 20, 30, 40, 50, 60]), width: 2, height: 1, channels: 3 };
    close(preprocess(rgb, card({ width: 2, height: 1, channels: 3 })), [10, 40, 20, 50, 30, 60].map((v) => v / 255));
    close(preprocess(gray(1, 1, [51]), card({ width: 1, height: 1, channels: 3 })), [0.2, 0.2, 0.2]);
  });

  it("applies (v/255 − mean) / std per channel", () => {
    close(preprocess(gray(1, 1, [255]), card({ width: 1, height: 1, mean: [0.5], std: [0.25] })), [2]);
  });

  it("letterboxes with contain and centre-crops with cover", () => {
    const img = gray(4, 2, [0, 0, 100, 100, 200, 200, 50, 50]);
    // contain: 4×2 → 2×1 content at the top row (floor((2−1)/2) = 0), pad 255 below
    close(preprocess(img, card({ width: 2, height: 2, resize: "contain", pad: 255 })), [100 / 255, 75 / 255, 1, 1]);
    // cover: scale 1, keep the middle two columns
    close(preprocess(img, card({ width: 2, height: 2, resize: "cover" })), [0, 100 / 255, 200 / 255, 50 / 255]);
    // fill: squash both ways
    close(preprocess(img, card({ width: 2, height: 2 })), [0, 100 / 255, 200 / 255, 50 / 255]);
  });

  it("is deterministic and writes into a given buffer", () => {
    const data = Uint8Array.from({ length: 37 * 23 * 3 }, (_, i) => (i * 7919) % 256);
    const img: Pixels = { data, width: 37, height: 23, channels: 3 };
    const c = card({ width: 28, height: 28, resize: "contain", mean: [0.2], std: [0.3] });
    const out = new Float32Array(28 * 28);
    expect(preprocess(img, c, out)).toBe(out);
    expect(Array.from(preprocess(img, c))).toEqual(Array.from(out));
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it("refuses inconsistent pixel buffers and outputs", () => {
    expect(() => preprocess(gray(2, 2, [1, 2, 3]), card({ width: 1, height: 1 }))).toThrow(InputError);
    expect(() => preprocess(gray(2, 2, [1, 2, 3]), card({ width: 1, height: 1 }))).toThrow(/2×2×1 pixels need 4 bytes, got 3/);
    expect(() => preprocess(gray(1, 1, [1]), card({ width: 2, height: 2 }), new Float32Array(3))).toThrow(/out must hold 1×2×2 = 4 floats, got 3/);
    expect(() => preprocess({ data: new Uint8Array(2), width: 1, height: 1, channels: 2 as 1 }, card({ width: 1, height: 1 })))
      .toThrow(/channels must be 1, 3 or 4, got 2/);
  });
});
