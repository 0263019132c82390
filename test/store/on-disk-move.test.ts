/**
 * PATCH /collections/{name} `vectors: {"name": {"on_disk": b}}` moves a dense
 * vector's originals between wasm memory and its file, through the real
 * client over real HTTP (every answer checked against Qdrant's schema): the
 * answers before and after a move are the same (hand-computed on a small
 * collection, and equal to an unmoved twin on a seeded one with
 * quantization), GET reports the setting, it survives a restart, a move back
 * removes the file, named vectors move alone, and bad diffs are refused
 * naming the field. The in-process `createCollection` takes `onDisk` too.
 */

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, expectScores, harness, tempDirs, vectors } from "./helpers.js";

const newDir = tempDirs();
let dir: string;
let h: Harness;

const file = (col: string, name = "vectors.f32") => join(dir, "collections", col, name);
const DIM = 300; // several 1 MiB blocks of the file at N rows
const N = 2000;
const SCALAR = { scalar: { type: "int8" as const, quantile: 0.99 } };

beforeAll(async () => {
  dir = newDir("on-disk-move");
  h = await harness("on-disk-move", { path: dir });
  // small, hand-computed: Euclid in 2-d
  await h.client.createCollection("small", { vectors: { size: 2, distance: "Euclid" } });
  await h.client.upsert("small", { wait: true, points: [
    { id: 1, vector: [0, 0], payload: { k: "a" } }, { id: 2, vector: [3, 4] }, { id: 3, vector: [1, 1] }, { id: 4, vector: [-2, 0] },
  ] });
  // seeded, quantized, with a twin that stays in memory
  for (const name of ["big", "twin"]) {
    await h.client.createCollection(name, { vectors: { size: DIM, distance: "Dot" }, quantization_config: SCALAR });
    const xs = vectors(N, DIM, 11);
    for (let s = 0; s < N; s += 500) await h.client.upsert(name, { wait: true, points: xs.slice(s, s + 500).map((vector, i) => ({ id: s + i, vector, payload: { g: (s + i) % 3 } })) });
    await h.client.delete(name, { wait: true, points: [5, 600, 1999] });
  }
  // named: two dense vectors and a sparse one
  await h.client.createCollection("named", {
    vectors: { a: { size: 2, distance: "Dot" }, b: { size: 3, distance: "Cosine", on_disk: true } },
    sparse_vectors: { s: {} },
  });
  await h.client.upsert("named", { wait: true, points: [
    { id: 1, vector: { a: [1, 2], b: [0, 3, 4] } }, { id: 2, vector: { a: [2, -1], s: { indices: [3], values: [2] } } }, { id: 3, vector: { b: [1, 0, 0] } },
  ] });
}, 120_000);
afterAll(async () => {
  await h.stop();
});

async function smallAnswers() {
  const q = await h.client.query("small", { query: [1, 0], limit: 4, with_vector: true });
  // Euclid from (1, 0): id 1 → 1, id 3 → 1, id 4 → 3, id 2 → √20 = 4.47214; ties by id
  expectScores(q, [[1, 1], [3, 1], [4, 3], [2, Math.sqrt(20)]]);
  expect(q.points.map((p) => p.vector)).toEqual([[0, 0], [1, 1], [-2, 0], [3, 4]]);
}

async function bigAnswers(name: string) {
  const out = [];
  for (const [i, query] of vectors(6, DIM, 12).entries()) {
    out.push((await h.client.query(name, { query, limit: 10 })).points);
    out.push((await h.client.query(name, { query, limit: 10, params: { quantization: { rescore: true, oversampling: 2 } } })).points);
    out.push((await h.client.query(name, { query, limit: 5, params: { exact: true }, filter: { must: [{ key: "g", match: { value: i % 3 } }] } })).points);
  }
  out.push((await h.client.retrieve(name, { ids: [0, 1, 1998], with_vector: true })).map((p) => ({ id: p.id, score: 0, vector: p.vector })));
  return out;
}

describe("on_disk moves (PATCH vectors)", () => {
  it("moves the unnamed vector to its file and back; answers and GET follow", async () => {
    await smallAnswers();
    expect(existsSync(file("small"))).toBe(false);
    await h.client.updateCollection("small", { vectors: { "": { on_disk: true } } });
    expect((await h.client.getCollection("small")).config.params.vectors).toEqual({ size: 2, distance: "Euclid", on_disk: true });
    expect(statSync(file("small")).size).toBe(4 * 2 * 4);
    expect(h.running.store.get("small").dense.onDisk).toBe(true);
    await smallAnswers();
    // writes after the move go to the file
    await h.client.upsert("small", { wait: true, points: [{ id: 5, vector: [1, 0.5] }] });
    expect(statSync(file("small")).size).toBe(5 * 2 * 4);
    expectScores(await h.client.query("small", { query: [1, 0], limit: 1 }), [[5, 0.5]]);
    await h.client.delete("small", { wait: true, points: [5] });
    // a second PATCH with the same value changes nothing
    await h.client.updateCollection("small", { vectors: { "": { on_disk: true } } });
    await smallAnswers();
    await h.client.updateCollection("small", { vectors: { "": { on_disk: false } } });
    expect((await h.client.getCollection("small")).config.params.vectors).toEqual({ size: 2, distance: "Euclid", on_disk: false });
    expect(existsSync(file("small"))).toBe(false);
    expect(h.running.store.get("small").dense.onDisk).toBe(false);
    await smallAnswers();
  });

  it("keeps the answers of a quantized collection across moves, equal to an unmoved twin", async () => {
    const want = await bigAnswers("twin");
    expect(await bigAnswers("big")).toEqual(want);
    await h.client.updateCollection("big", { vectors: { "": { on_disk: true, hnsw_config: { m: 8 } } } });
    const info = await h.client.getCollection("big");
    expect(info.config.params.vectors).toEqual({ size: DIM, distance: "Dot", on_disk: true, hnsw_config: { m: 8 } });
    expect(info.config.quantization_config).toEqual(SCALAR);
    expect(statSync(file("big")).size).toBe((N - 3) * DIM * 4);
    const moved = await bigAnswers("big");
    // the file is scanned in blocks: a score may differ in its last bits from the one-block scan
    expect(moved.map((a) => a.map((p) => p.id))).toEqual(want.map((a) => a.map((p) => p.id)));
    moved.forEach((a, i) => a.forEach((p, j) => expect(p.score).toBeCloseTo(want[i]![j]!.score, 4)));
    expect(moved.at(-1)).toEqual(want.at(-1)); // with_vector: the stored values, exactly
  }, 60_000);

  it("moves one named vector alone; the setting survives a restart", async () => {
    await h.client.updateCollection("named", { vectors: { a: { on_disk: true }, b: { on_disk: false } } });
    const params = (await h.client.getCollection("named")).config.params;
    expect(params.vectors).toEqual({ a: { size: 2, distance: "Dot", on_disk: true }, b: { size: 3, distance: "Cosine", on_disk: false } });
    expect(statSync(file("named", "vectors-a.f32")).size).toBe(2 * 2 * 4);
    expect(existsSync(file("named", "vectors-b.f32"))).toBe(false);
    const check = async () => {
      expectScores(await h.client.query("named", { query: [1, 1], using: "a", limit: 3 }), [[1, 3], [2, 1]]);
      // Cosine: (0, 3, 4) is stored as (0, 0.6, 0.8); query (0, 1, 0)
      expectScores(await h.client.query("named", { query: [0, 1, 0], using: "b", limit: 3 }), [[1, 0.6], [3, 0]]);
      const got = await h.client.retrieve("named", { ids: [1, 2], with_vector: true });
      expect(got.map((p) => p.vector)).toEqual([{ a: [1, 2], b: [0, 0.6, 0.8] }, { a: [2, -1], s: { indices: [3], values: [2] } }]);
    };
    await check();
    await h.stop();
    h = await harness("on-disk-move", { path: dir });
    expect((await h.client.getCollection("named")).config.params.vectors).toEqual(params.vectors);
    expect(h.running.store.get("named").denseSpace("a")!.vectors.onDisk).toBe(true);
    expect(h.running.store.get("named").denseSpace("b")!.vectors.onDisk).toBe(false);
    await check();
    expect((await h.client.getCollection("big")).config.params.vectors).toMatchObject({ on_disk: true });
  }, 60_000);

  it("refuses what it does not do, naming the field, and changes nothing", async () => {
    const cases: [unknown, RegExp][] = [
      [{ c: { on_disk: true } }, /^Wrong input: Not existing vector name error: c \(at vectors\.c; collection named has dense vectors "a", "b"\)/],
      [{ s: { on_disk: true } }, /^Wrong input: Not existing vector name error: s /],
      [{ a: { on_disk: "yes" } }, /^Wrong input: vectors\.a\.on_disk must be true or false, got "yes"/],
      [{ a: { memory: "cold" } }, /^Wrong input: vectors\.a\.memory is not supported by the embedded store; use on_disk/],
      [{ a: { quantization_config: SCALAR } }, /^Wrong input: vectors\.a\.quantization_config is not supported by the embedded store on update/],
      [[1], /^Wrong input: vectors must be \{"name": \{"on_disk"\?, "hnsw_config"\?\}, \.\.\.\}/],
    ];
    const before = (await h.client.getCollection("named")).config.params.vectors;
    for (const [vectorsDiff, msg] of cases) {
      const r = await h.raw("PATCH", "/collections/named", { vectors: vectorsDiff });
      expect(r.status).toBe(400);
      expect(r.json.status.error).toMatch(msg);
    }
    expect((await h.client.getCollection("named")).config.params.vectors).toEqual(before);
    expect((await h.raw("PATCH", "/collections/nope", { vectors: { "": { on_disk: true } } })).status).toBe(404);
  });
});

describe("in-process createCollection with onDisk", () => {
  it("creates the collection on disk, as the HTTP body would, and moves it", async () => {
    const store = h.running.store;
    await store.createCollection("inproc", 2, "Dot", { onDisk: true, quantization: { type: "int8" }, metadata: { m: 1 } });
    const info = await h.client.getCollection("inproc");
    expect(info.config.params.vectors).toEqual({ size: 2, distance: "Dot", on_disk: true });
    expect(info.config.quantization_config).toEqual({ scalar: { type: "int8" } });
    expect(info.config.metadata).toEqual({ m: 1 });
    await store.upsertPoints("inproc", { ids: [1, 2], vectors: Float32Array.of(1, 0, 0, 2) });
    expect(statSync(file("inproc")).size).toBe(16);
    expectScores(await h.client.query("inproc", { query: [1, 1], limit: 2, params: { exact: true } }), [[2, 2], [1, 1]]);
    store.setOnDisk("inproc", false);
    expect(existsSync(file("inproc"))).toBe(false);
    expectScores(await h.client.query("inproc", { query: [1, 1], limit: 2, params: { exact: true } }), [[2, 2], [1, 1]]);
    await expect(store.createCollection("bad", 2, "Dot", { onDisk: "yes" as unknown as boolean })).rejects.toThrow(/createCollection: onDisk must be true or false, got "yes"/);
    expect(() => store.setOnDisk("inproc", true, "x")).toThrow(/Not existing vector name error: x/);
  });
});
