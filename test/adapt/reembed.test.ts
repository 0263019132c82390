/**
 * Re-embedding many stored vectors: several scroll pages and upserts in
 * flight, every point written with exactly the f32 values the adapter gave
 * (the shortened JSON numbers read back as the same f32), all of them stored
 * when the call returns. The embedded store over HTTP, the real client.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyAdapter, identityAdapter, Kernels, QdrantStore, reembed, startEmbeddedStore } from "../../src/index.js";
import { shortF32 } from "../../src/adapt/reembed.js";
import { gaussian, rng } from "../helpers/random.js";

describe("shortF32", () => {
  it("gives numbers of at most 9 significant digits that read back as the same f32, over many magnitudes", () => {
    const r = rng(21);
    const v = new Float32Array(200_000);
    for (let i = 0; i < v.length; i++) v[i] = (r() - 0.5) * 10 ** Math.floor(r() * 80 - 40);
    v.set([0, -0, 1, -3, 0.1, 1e-45, 3.4028234663852886e38, 2 ** -126, 16777217], 0);
    const out = shortF32(v, 0, v.length);
    for (let i = 0; i < v.length; i++) {
      if (Math.fround(out[i]!) !== v[i]) throw new Error(`value ${i}: ${v[i]} became ${out[i]}`);
      const digits = String(out[i]).replace(/^-/, "").replace(/e.*$/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
      if (digits.length > 9) throw new Error(`value ${i}: ${out[i]} has ${digits.length} significant digits`);
    }
    expect(shortF32(Float32Array.of(0.1), 0, 1)).toEqual([0.100000001]); // not the widened double 0.10000000149011612
  });
});

describe("reembed over several pages", () => {
  const DIM = 8;
  const N = 5200; // two scroll pages of 5,000 and six upserts of up to 1,000
  let dir: string;
  let close: () => Promise<void>;
  let store: QdrantStore;
  const vectors = gaussian(N * DIM, 9);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-reembed-"));
    const s = await startEmbeddedStore({ path: join(dir, "store"), port: 0 });
    close = () => s.close();
    store = await QdrantStore.connect({ url: s.url });
    await store.ensureCollection({ name: "src", size: DIM, distance: "Euclid" });
    await store.upsert("src", Array.from({ length: N }, (_, i) => ({ id: i + 1, vector: vectors.subarray(i * DIM, (i + 1) * DIM), payload: { n: i } })));
  }, 60_000);
  afterAll(async () => {
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes every point with exactly the adapter's f32 values, all stored when it returns, with progress to the total", async () => {
    const k = await Kernels.load();
    const a = identityAdapter({ kind: "mlp", dim: DIM, hidden: 5, seed: 4 });
    for (let i = 0; i < a.params.length; i++) a.params[i] = a.params[i]! + 0.05 * Math.cos(i);
    const seen: number[] = [];
    const r = await reembed({ store, kernels: k, adapter: a, from: "src", to: "dst", model: "adapted", metadata: { note: "x" }, onProgress: (e) => seen.push(e.done) });
    expect(r.points).toBe(N);
    expect(await store.count("dst")).toBe(N);
    expect(seen.at(-1)).toBe(N);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect((await store.collectionInfo("dst"))!.metadata).toEqual({ note: "x" });
    const want = applyAdapter(k, a, vectors);
    let checked = 0;
    for await (const page of store.scroll("dst", { withVector: true, pageSize: 1000 })) {
      for (const p of page) {
        const i = (p.id as number) - 1;
        expect(p.payload).toEqual({ n: i, model: "adapted" });
        const w = want.subarray(i * DIM, (i + 1) * DIM);
        // the store answers the shortest decimal of each f32: read back as f32, it must be the adapter's value
        if (!p.vector!.every((x, j) => Math.fround(x) === w[j])) throw new Error(`point ${p.id}: ${p.vector} is not ${Array.from(w)}`);
        checked++;
      }
    }
    expect(checked).toBe(N);
  }, 60_000);
});
