/**
 * Vector datatypes float16 and uint8, through the real client over real HTTP
 * (every answer checked against Qdrant's schema): stored values, with_vector
 * answers and scores are Qdrant's, worked by hand (half-precision values
 * from IEEE 754 binary16 with ties to even; uint8 as Rust's `x as u8`), the
 * query converted as the stored vectors are; GET answers the datatype, a
 * restart keeps it; sparse `index.datatype` is kept; what the store does not
 * do (turbo4, uint8 with Cosine, float16 overflow) is refused naming it.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { castU8, roundF16 } from "../../src/store/embedded/engine/datatype.js";
import { type Harness, expectScores, harness, tempDirs } from "./helpers.js";

const newDir = tempDirs();
let dir: string;
let h: Harness;

beforeAll(async () => {
  dir = newDir("datatype");
  h = await harness("datatype", { path: dir });
});
afterAll(async () => {
  await h.stop();
});

describe("conversions", () => {
  it("rounds to half precision as IEEE 754 binary16, ties to even", () => {
    const cases: [number, number][] = [
      [0.1, 0.0999755859375], [1 / 3, 0.333251953125], [65504, 65504], [65519, 65504], [0.6, 0.60009765625], [0.8, 0.7998046875],
      [1 + 2 ** -11, 1], [1 + 3 * 2 ** -11, 1.001953125], // ties: to the even neighbour, down then up
      [1e-8, 0], [3e-8, 2 ** -24], [-2.5e-5, -2.4974346160888672e-5], [0, 0], [-1, -1], [2 ** -14, 2 ** -14],
    ];
    for (const [x, want] of cases) expect(roundF16(Math.fround(x)), `${x}`).toBe(want);
    expect(roundF16(65520)).toBe(Infinity);
  });

  it("casts to uint8 as Rust's `as u8`: toward zero, clamped", () => {
    expect([-3, -0.5, 0, 3.7, 254.99, 255, 300].map(castU8)).toEqual([0, 0, 0, 3, 254, 255, 255]);
  });
});

describe("float16 and uint8 collections", () => {
  it("float16: stores, answers and scores the half-precision values", async () => {
    await h.client.createCollection("h", { vectors: { size: 3, distance: "Dot", datatype: "float16" } });
    expect((await h.client.getCollection("h")).config.params.vectors).toEqual({ size: 3, distance: "Dot", datatype: "float16" });
    await h.client.upsert("h", { wait: true, points: [{ id: 1, vector: [0.1, 1 / 3, 65504] }, { id: 2, vector: [1, 3e-8, -2.5e-5] }] });
    const got = await h.client.retrieve("h", { ids: [1, 2], with_vector: true });
    expect(got.map((p) => p.vector)).toEqual([[0.099975586, 0.33325195, 65504], [1, 5.9604645e-8, -0.000024974346]]);
    // the query is converted too: [1, 0.1, 0] -> [1, 0.0999755859375, 0]
    // id 1: 0.0999755859375 + 0.333251953125 · 0.0999755859375 = 0.13329265 (f32); id 2: 1 + 2^-24 · 0.0999755859375 = 1.0000000
    expectScores(await h.client.query("h", { query: [1, 0.1, 0], limit: 2 }), [[2, 1], [1, 0.13329265]], 6);
  });

  it("float16 with Cosine: normalized, then rounded", async () => {
    await h.client.createCollection("hc", { vectors: { size: 2, distance: "Cosine", datatype: "float16" } });
    await h.client.upsert("hc", { wait: true, points: [{ id: 1, vector: [3, 4] }] });
    expect((await h.client.retrieve("hc", { ids: [1], with_vector: true }))[0]!.vector).toEqual([0.60009766, 0.7998047]);
    // query (1, 0) stays (1, 0): the score is the stored 0.60009765625
    expectScores(await h.client.query("hc", { query: [1, 0] }), [[1, 0.60009765625]], 7);
  });

  it("uint8: Rust's cast on the way in, scores on the integers", async () => {
    await h.client.createCollection("u", { vectors: { size: 3, distance: "Euclid", datatype: "uint8" } });
    await h.client.upsert("u", { wait: true, points: [{ id: 1, vector: [-3, 3.7, 300] }, { id: 2, vector: [10, 10, 10] }] });
    expect((await h.client.retrieve("u", { ids: [1, 2], with_vector: true })).map((p) => p.vector)).toEqual([[0, 3, 255], [10, 10, 10]]);
    // query [1.9, 3, 250.5] -> [1, 3, 250]: id 1 at √(1 + 0 + 25) = √26; id 2 at √(81 + 49 + 240²) = √57730
    expectScores(await h.client.query("u", { query: [1.9, 3, 250.5], limit: 2 }), [[1, Math.sqrt(26)], [2, Math.sqrt(57730)]], 4);
    await h.client.createCollection("ud", { vectors: { d: { size: 3, distance: "Dot", datatype: "uint8" } } });
    await h.client.upsert("ud", { wait: true, points: [{ id: 1, vector: { d: [1, 2, 3] } }] });
    // [2, 0.5, 1] -> [2, 0, 1]: 2 + 0 + 3
    expectScores(await h.client.query("ud", { query: [2, 0.5, 1], using: "d" }), [[1, 5]]);
    // the in-process upsert converts the same way
    await h.running.store.upsertPoints("u", { ids: [4], vectors: Float32Array.of(7.9, -1, 512) });
    expect((await h.client.retrieve("u", { ids: [4], with_vector: true }))[0]!.vector).toEqual([7, 0, 255]);
    await h.client.delete("u", { wait: true, points: [4] });
    // update_vectors converts the same way
    await h.client.updateVectors("ud", { wait: true, points: [{ id: 1, vector: { d: [1.5, 256, -1] } }] });
    expect((await h.client.retrieve("ud", { ids: [1], with_vector: true }))[0]!.vector).toEqual({ d: [1, 255, 0] });
  });

  it("keeps the datatype and the values across a restart and a snapshot", async () => {
    await h.stop();
    h = await harness("datatype", { path: dir });
    expect((await h.client.getCollection("u")).config.params.vectors).toEqual({ size: 3, distance: "Euclid", datatype: "uint8" });
    expect((await h.client.retrieve("h", { ids: [1], with_vector: true }))[0]!.vector).toEqual([0.099975586, 0.33325195, 65504]);
    await h.running.store.compact("h");
    await h.stop();
    h = await harness("datatype", { path: dir });
    expect((await h.client.retrieve("h", { ids: [1], with_vector: true }))[0]!.vector).toEqual([0.099975586, 0.33325195, 65504]);
    // new writes after the restart are converted too
    await h.client.upsert("u", { wait: true, points: [{ id: 3, vector: [0.9, 1.1, 2] }] });
    expect((await h.client.retrieve("u", { ids: [3], with_vector: true }))[0]!.vector).toEqual([0, 1, 2]);
  });

  it("keeps a sparse index datatype (scores stay the exact f32 dot product, as Qdrant's uncompressed index)", async () => {
    await h.client.createCollection("s", { sparse_vectors: { t: { index: { datatype: "float16" } } } });
    expect((await h.client.getCollection("s")).config.params.sparse_vectors).toEqual({ t: { index: { datatype: "float16" } } });
    await h.client.upsert("s", { wait: true, points: [{ id: 1, vector: { t: { indices: [1], values: [0.1] } } }] });
    expectScores(await h.client.query("s", { query: { indices: [1], values: [1] }, using: "t" }), [[1, Math.fround(0.1)]], 7);
  });

  it("refuses what it does not do, naming it", async () => {
    const bad = async (path: string, body: unknown, status: number, re: RegExp) => {
      const r = await h.raw("PUT", path, body);
      expect(r.status).toBe(status);
      expect(r.json.status.error).toMatch(re);
    };
    await bad("/collections/x", { vectors: { size: 2, distance: "Dot", datatype: "turbo4" } }, 400, /vectors\.datatype "turbo4" \(a 4-bit quantization\) is not supported by the embedded store/);
    await bad("/collections/x", { vectors: { size: 2, distance: "Cosine", datatype: "uint8" } }, 400, /datatype "uint8" with distance "Cosine" is not supported by the embedded store/);
    await bad("/collections/x", { vectors: { size: 2, distance: "Dot", datatype: "int4" } }, 400, /vectors\.datatype "int4" is unknown\. Should be one of: "float32", "float16", "uint8"/);
    await bad("/collections/x", { sparse_vectors: { t: { index: { datatype: "turbo4" } } } }, 422, /^Validation error in JSON body: \[sparse_vectors\.t\.index\.datatype: sparse vectors do not support the `turbo4` datatype\]/);
    await bad("/collections/x", { vectors: { size: 2, distance: "Dot", memory: "cold" } }, 400, /vectors\.memory is not supported by the embedded store; use on_disk: true/);
    expect((await h.raw("GET", "/collections/x")).status).toBe(404);
    await bad("/collections/h/points?wait=true", { points: [{ id: 9, vector: [1, 70000, 0] }] }, 400, /body\.points\[0\]\.vector\[1\] is 70000, outside the range of a 16-bit float \(±65504\)/);
    expect((await h.client.count("h")).count).toBe(2);
  });
});
