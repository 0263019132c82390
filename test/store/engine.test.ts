/** The engine in-process: typed upserts, queries, block growth in shared wasm memory. */

import { rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { Kernels } from "../../src/kernels/index.js";
import { EmbeddedStore, HttpError } from "../../src/store/embedded-store.js";
import { naiveTop, rand, tempDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it("keeps every vector while blocks of collections sharing one wasm memory grow interleaved", async () => {
  const d = tempDir("engine");
  dirs.push(d);
  const kernels = await Kernels.load();
  const store = await EmbeddedStore.open({ path: d, kernels });
  const dims = { a: 5, b: 3 } as const;
  await store.createCollection("a", dims.a, "Manhattan");
  await store.createCollection("b", dims.b, "Dot");
  const r = rand(99);
  const kept: Record<string, number[][]> = { a: [], b: [] };
  for (let step = 0; step < 40; step++) {
    for (const name of ["a", "b"] as const) {
      const n = 50 + Math.floor((r() + 1) * 100);
      const rows = Array.from({ length: n }, () => Array.from({ length: dims[name] }, () => Math.fround(r())));
      const start = kept[name]!.length;
      kept[name]!.push(...rows);
      await store.upsertPoints(name, {
        ids: rows.map((_, i) => start + i), vectors: Float32Array.from(rows.flat()), payloads: rows.map((_, i) => ({ i: start + i })), wait: false,
      });
      // a scratch allocation between the blocks, so growth cannot always happen in place
      kernels.allocF32(7);
    }
  }
  for (const name of ["a", "b"] as const) {
    const xs = kept[name]!;
    expect(store.get(name).count).toBe(xs.length);
    const q = xs[17]!;
    const got = store.query(name, { query: q, limit: 5, with_vector: true, with_payload: true });
    expect(got.map((p) => p.id)).toEqual(naiveTop(name === "a" ? "Manhattan" : "Dot", q, xs, 5));
    for (const p of got) {
      expect((p.vector as number[]).map(Math.fround)).toEqual(xs[p.id as number]);
      expect(p.payload).toEqual({ i: p.id });
    }
  }
  const err = await store.upsertPoints("a", { ids: [1], vectors: new Float32Array([1, 2, 3, 4, NaN]) }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as Error).message).toMatch(/upsertPoints\.vectors\[0\]\[4\] must be a finite number, got NaN/);
  store.close();
});
