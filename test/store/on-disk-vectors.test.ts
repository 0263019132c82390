/**
 * DiskVectors alone (state/disk-vectors.ts): rows in a real file, written,
 * moved, cut and read back against a plain in-memory copy; the streamed
 * exact scan (several blocks, a dense and a sparse row selection, ties
 * across blocks) against one scan of the same rows in memory by the same
 * kernels; a file cut under it is refused, not served; a new instance
 * empties the file.
 */

import { statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { Kernels, type Metric } from "../../src/kernels/index.js";
import { DiskVectors, VECTORS_FILE } from "../../src/store/embedded/state/disk-vectors.js";
import { gaussian, relErr, rng } from "../helpers/random.js";
import { tempDirs } from "./helpers.js";

const newDir = tempDirs();
const DIM = 64;
let kernels: Kernels;
beforeAll(async () => {
  kernels = await Kernels.load();
});
afterAll(() => {
  kernels = undefined as unknown as Kernels;
});

/** Set rows `rows` from `vectors`, one `set` a row, as a collection does. */
function write(d: DiskVectors, rows: ArrayLike<number>, vectors: Float32Array): void {
  for (let i = 0; i < rows.length; i++) d.set(rows[i]!, vectors.subarray(i * d.dim, (i + 1) * d.dim));
}

function scorer(query: Float32Array, metric: Metric) {
  return (m: Parameters<Kernels["nearest"]>[0]["vectors"], _n: number, k: number, rows: Int32Array | undefined) =>
    kernels.nearest({ query, vectors: m, dim: DIM, k, metric, rows });
}

describe("DiskVectors", () => {
  it("writes, moves, cuts and reads rows as an in-memory copy does", () => {
    const d = new DiskVectors({ path: join(newDir("dv"), VECTORS_FILE), dim: 4, distance: "Euclid", kernels });
    const ref: number[][] = [];
    const r = rng(7);
    const put = (row: number, v: number[]) => {
      write(d, [row], Float32Array.from(v));
      ref[row] = v.map(Math.fround);
    };
    // a run of consecutive rows in one write, then single rows, a rewrite, a swap-delete
    const run = Array.from({ length: 5 }, (_, i) => [i, i + 0.5, -i, r()]);
    write(d, [0, 1, 2, 3, 4], Float32Array.from(run.flat()));
    run.forEach((v, i) => (ref[i] = v.map(Math.fround)));
    put(5, [9, 9, 9, 9]);
    put(2, [1, 2, 3, 4]);
    expect(d.count).toBe(6);
    d.move(5, 1);
    ref[1] = ref[5]!;
    d.truncate(5);
    ref.length = 5;
    expect(d.count).toBe(5);
    expect(statSync(d.path).size).toBe(5 * 4 * 4);
    expect(Array.from(d.copy())).toEqual(ref.flat());
    expect(Array.from(d.readRows(Int32Array.of(4, 1, 2)))).toEqual([...ref[4]!, ...ref[1]!, ...ref[2]!]);
    d.dispose();
  });

  it("streams the exact scan in blocks with the answer of one in-memory scan", () => {
    const n = 10_000; // 4096 rows a block at 64-d: three blocks
    const d = new DiskVectors({ path: join(newDir("dv"), VECTORS_FILE), dim: DIM, distance: "Euclid", kernels });
    expect(d.blockRows).toBe(4096);
    const x = gaussian(n * DIM, 11);
    // equal rows on both sides of a block boundary: the tie must go to the lower row
    x.copyWithin(4100 * DIM, 4090 * DIM, 4091 * DIM);
    x.copyWithin(9000 * DIM, 4090 * DIM, 4091 * DIM);
    write(d, Int32Array.from({ length: n }, (_, i) => i), x);
    const q = Float32Array.from(x.subarray(4090 * DIM, 4091 * DIM), (v) => v + 0.01);
    const filtered = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 1);
    const sparse = Int32Array.of(5, 4090, 4100, 4101, 8191, 8192, 9000, 9999);
    for (const metric of ["sqL2", "dot", "l1"] as const) {
      const largest = metric === "dot";
      for (const rows of [undefined, filtered, sparse]) {
        for (const k of [1, 10, 300]) {
          const want = kernels.nearest({ query: q, vectors: x, dim: DIM, k, metric, rows });
          const got = d.nearest(k, largest, scorer(q, metric), rows);
          expect(Array.from(got.indices), `${metric} k=${k} rows=${rows?.length}`).toEqual(Array.from(want.indices));
          // the kernels sum a row in an order that depends on where it sits in a 4-row group: equal to a few ulps
          expect(relErr(got.values, want.values)).toBeLessThan(1e-6);
        }
      }
    }
    const top = d.nearest(3, false, scorer(q, "sqL2"));
    expect(Array.from(top.indices)).toEqual([4090, 4100, 9000]);
    // distances: [queries, count] against every row
    const qs = gaussian(2 * DIM, 12);
    const want = kernels.distances({ queries: qs, vectors: x, dim: DIM, metric: "dot" });
    const got = d.distances(2, (m) => kernels.distances({ queries: qs, vectors: m, dim: DIM, metric: "dot" }));
    expect(relErr(got, want)).toBeLessThan(1e-6);
    // the scratch stays one block, not the file
    expect(d.scratchBytes).toBe(4096 * DIM * 4);
    d.dispose();
  });

  it("refuses to serve a file cut under it, and a new instance starts from an empty file", () => {
    const path = join(newDir("dv"), VECTORS_FILE);
    const d = new DiskVectors({ path, dim: DIM, distance: "Euclid", kernels });
    write(d, Int32Array.from({ length: 100 }, (_, i) => i), gaussian(100 * DIM, 3));
    d.flush();
    truncateSync(path, 50 * DIM * 4 + 7);
    expect(() => d.read(80)).toThrow(StoreError);
    expect(() => d.read(80)).toThrow(/ends at byte 20480, before its 100 rows of 256 bytes.*restart the store/);
    expect(() => d.nearest(1, false, scorer(new Float32Array(DIM), "sqL2"))).toThrow(StoreError);
    expect(() => d.read(100)).toThrow(/row 100 is outside its 100 rows/);
    d.dispose();
    writeFileSync(path, "garbage left by someone");
    const again = new DiskVectors({ path, dim: DIM, distance: "Euclid", kernels });
    expect(again.count).toBe(0);
    expect(statSync(path).size).toBe(0);
    again.dispose();
  });
});
