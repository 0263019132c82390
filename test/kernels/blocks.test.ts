import { beforeAll, describe, expect, it } from "vitest";
import { Kernels } from "../../src/index.js";
import type { KernelF32 } from "../../src/kernels/index.js";
import { refTopK } from "../../src/kernels/reference.js";
import { gaussian, rng } from "../helpers/random.js";

function firstMismatch(got: Float32Array, want: number[]): number {
  if (got.length !== want.length) return got.length;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

describe("resizable blocks and prefix views", () => {
  let k: Kernels;
  beforeAll(async () => {
    k = await Kernels.load();
  });

  it("the last block grows in place, keeps its values, and the old handle is dead", () => {
    const a = k.allocF32(4, [1, 2, 3, 4]);
    const ptr = a.ptr;
    const b = k.resizeF32(a, 100_000, 3);
    expect(b.ptr).toBe(ptr);
    expect(b.length).toBe(100_000);
    expect(Array.from(b.view().subarray(0, 3))).toEqual([1, 2, 3]);
    expect(() => a.ptr).toThrow(/freed or resized/);
    expect(() => a.view()).toThrow(/freed or resized/);
    a.free(); // a dead handle frees nothing: b stays valid
    expect(b.view()[1]).toBe(2);
    b.free();
    expect(k.allocatedBytes).toBe(0);
  });

  it("a block with a neighbour moves, keeps `keep` values, and leaves the neighbour alone", () => {
    const a = k.allocF32(8, [0, 1, 2, 3, 4, 5, 6, 7]);
    const n = k.allocF32(3, [9, 9, 9]);
    const b = k.resizeF32(a, 64, 5);
    const moved = b.ptr;
    expect(moved).toBeGreaterThan(n.ptr);
    expect(Array.from(b.view().subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(n.view())).toEqual([9, 9, 9]);
    // shrinking keeps the address and the prefix
    const c = k.resizeF32(b, 2);
    expect(c.ptr).toBe(moved);
    expect(Array.from(c.view())).toEqual([0, 1]);
    c.free();
    n.free();
    expect(k.allocatedBytes).toBe(0);
  });

  it("random alloc / resize / free sequences keep every live block's values (against plain arrays)", () => {
    const r = rng(11);
    const live: { block: KernelF32; values: number[] }[] = [];
    for (let step = 0; step < 400; step++) {
      const u = r();
      if (u < 0.35 || live.length === 0) {
        const len = 1 + Math.floor(r() * 2000);
        const values = Array.from({ length: len }, () => Math.fround(r() * 100));
        live.push({ block: k.allocF32(len, values), values });
      } else if (u < 0.8) {
        const i = Math.floor(r() * live.length);
        const e = live[i]!;
        const len = 1 + Math.floor(r() * 4000);
        const keep = Math.floor(r() * (len + 1));
        const block = k.resizeF32(e.block, len, keep);
        const kept = e.values.slice(0, Math.min(keep, e.values.length, len));
        const v = block.view();
        for (let j = kept.length; j < len; j++) v[j] = Math.fround(r() * 100); // fill the new tail
        live[i] = { block, values: [...kept, ...Array.from(v.subarray(kept.length))] };
      } else {
        const i = Math.floor(r() * live.length);
        live[i]!.block.free();
        live.splice(i, 1);
      }
      for (const e of live) expect(firstMismatch(e.block.view(), e.values)).toBe(-1);
    }
    // live blocks never overlap
    const spans = live.map((e) => [e.block.ptr, e.block.ptr + e.block.length * 4] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    for (const e of live) e.block.free();
    expect(k.allocatedBytes).toBe(0);
  });

  it("a prefix view is a kernel input over the first rows only, without a copy", () => {
    const dim = 8;
    const rows = 50;
    const data = gaussian(rows * dim, 3);
    const block = k.allocF32(rows * 2 * dim, data); // capacity for twice the rows; the rest is zero
    const used = k.prefixF32(block, rows * dim);
    expect(used.ptr).toBe(block.ptr);
    expect(used.view().length).toBe(rows * dim);
    const query = gaussian(dim, 4);
    const got = k.nearest({ query, vectors: used, dim, k: 5 });
    const want = k.nearest({ query, vectors: data, dim, k: 5 });
    expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    const d = k.distances({ queries: query, vectors: data, dim });
    expect(Array.from(got.indices)).toEqual(Array.from(refTopK(d, 5).indices));
    used.free(); // frees nothing
    expect(block.view().length).toBe(rows * 2 * dim);
    expect(() => k.prefixF32(block, rows * 2 * dim + 1)).toThrow(/prefixF32: length must be an integer in \[0, 800\]/);
    block.free();
  });
});
