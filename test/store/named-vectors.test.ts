/**
 * Named dense vectors and sparse vectors in the embedded store, through the
 * real client over real HTTP (every response checked against Qdrant's
 * schema by the harness). Expectations are worked out by hand:
 *
 *   collection "n": img {size 2, Dot}, txt {size 3, Cosine}, sparse kw
 *   id  img     txt       kw (as sent)
 *   1   [1, 0]  [1, 0, 0] indices [3, 1], values [2, 1]   (unsorted on purpose)
 *   2   [0, 2]  —         —
 *   3   —       [0, 1, 0] indices [5], values [1]
 *   4   —       —         —                            (no vectors at all)
 *   5   [2, 2]  —         indices [1, 7], values [0.5, 3]
 */

import { cpSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectScores, type Harness, harness, ids, tempDirs } from "./helpers.js";

const temp = tempDirs();
let h: Harness;
const dir = temp("named");

async function make(x: Harness) {
  await x.client.createCollection("n", {
    vectors: { img: { size: 2, distance: "Dot" }, txt: { size: 3, distance: "Cosine", on_disk: false } },
    sparse_vectors: { kw: {} },
  });
  await x.client.upsert("n", {
    wait: true,
    points: [
      { id: 1, vector: { img: [1, 0], txt: [1, 0, 0], kw: { indices: [3, 1], values: [2, 1] } }, payload: { g: "a" } },
      { id: 2, vector: { img: [0, 2] }, payload: { g: "b" } },
      { id: 3, vector: { txt: [0, 1, 0], kw: { indices: [5], values: [1] } }, payload: { g: "a" } },
      { id: 4, vector: {}, payload: { g: "b" } },
      { id: 5, vector: { img: [2, 2], kw: { indices: [1, 7], values: [0.5, 3] } }, payload: { g: "a" } },
    ],
  });
}

beforeAll(async () => {
  h = await harness("named", { path: dir });
  await make(h);
});
afterAll(async () => {
  await h.stop();
});


/** The answers every state of the collection below must give (before and after a restart). */
async function expectInitialAnswers(x: Harness) {
  // img [1, 1] by Dot: 5 → 4, 2 → 2, 1 → 1; points 3 and 4 have no img and are not scored
  expectScores(await x.client.query("n", { query: [1, 1], using: "img" }), [[5, 4], [2, 2], [1, 1]]);
  // txt [2, 1, 0] by Cosine: 1 → 2/√5, 3 → 1/√5
  expectScores(await x.client.query("n", { query: [2, 1, 0], using: "txt" }), [[1, 2 / Math.sqrt(5)], [3, 1 / Math.sqrt(5)]]);
  // kw {1: 1, 3: 1}: 1 → 1·1 + 2·1 = 3, 5 → 0.5·1 = 0.5; 3 shares no index and is not a hit
  expectScores(await x.client.query("n", { query: { indices: [1, 3], values: [1, 1] }, using: "kw" }), [[1, 3], [5, 0.5]]);
}

describe("named dense and sparse vectors", () => {
  it("each space scores exactly the points that carry its vector", async () => {
    await expectInitialAnswers(h);
  });

  it("sparse dot products: unsorted query indices, the nearest form, no overlap at all", async () => {
    // {7: 1, 1: 2}: 5 → 0.5·2 + 3·1 = 4, 1 → 1·2 = 2
    expectScores(await h.client.query("n", { query: { nearest: { indices: [7, 1], values: [1, 2] } }, using: "kw" }), [[5, 4], [1, 2]]);
    expect(ids(await h.client.query("n", { query: { indices: [99], values: [1] }, using: "kw" }))).toEqual([]);
    // a filter narrows the sparse scan too
    const f = await h.client.query("n", { query: { indices: [1], values: [1] }, using: "kw", filter: { must: [{ key: "g", match: { value: "a" } }, { has_id: [5] }] } });
    expectScores(f, [[5, 0.5]]);
    // by id: point 1's kw vector, point 1 itself left out
    expectScores(await h.client.query("n", { query: 1, using: "kw" }), [[5, 0.5 * 1]]);
  });

  it("using reaches recommend, groups, the distance matrix and lookup_from's vector", async () => {
    // recommend average_vector on img: positive 5 ([2, 2]) → query [2, 2]: 2 → 4, 1 → 2 (5 itself left out)
    expectScores(await h.client.query("n", { query: { recommend: { positive: [5] } }, using: "img" }), [[2, 4], [1, 2]]);
    const g = await h.client.queryGroups("n", { query: [1, 1], using: "img", group_by: "g", group_size: 1, limit: 2 });
    expect(g.groups.map((x) => [x.id, x.hits.map((p) => p.id)])).toEqual([["a", [5]], ["b", [2]]]);
    // matrix on img: only 1, 2 and 5 have it; Dot 1·2 = 0, 1·5 = 2, 2·5 = 4
    const m = await h.client.searchMatrixPairs("n", { using: "img", sample: 10, limit: 1 });
    expect(m.pairs.map((p) => [p.a, p.b, p.score])).toEqual([[1, 5, 2], [2, 5, 4], [5, 2, 4]]);
    await h.client.createCollection("other", { vectors: { size: 2, distance: "Dot" } });
    await h.client.upsert("other", { wait: true, points: [{ id: 1, vector: [0, 1] }] });
    // img of point 5 taken from n (its own), and a plain collection's vector scored against n's img
    expectScores(await h.client.query("other", { query: 5, lookup_from: { collection: "n", vector: "img" } }), [[1, 2]]);
    // other's point 1 ([0, 1]) against n's img: 2 → 2 and 5 → 2 (a tie, in row order), 1 → 0; n's point 1 is not left out
    expectScores(await h.client.query("n", { query: 1, using: "img", lookup_from: { collection: "other" } }), [[2, 2], [5, 2], [1, 0]]);
    // no "using" in a collection without an unnamed vector: Qdrant's name error
    const r = await h.raw("POST", "/collections/n/points/query", { query: [1, 1] });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toMatch(/Not existing vector name error/);
  });

  it("with_vector true | [names] answers Qdrant's named shapes, sparse indices sorted", async () => {
    const all = await h.client.retrieve("n", { ids: [1, 4], with_vector: true });
    expect(all.find((p) => p.id === 1)!.vector).toEqual({ img: [1, 0], txt: [1, 0, 0], kw: { indices: [1, 3], values: [1, 2] } });
    expect(all.find((p) => p.id === 4)!.vector).toEqual({});
    const some = await h.client.retrieve("n", { ids: [3, 5], with_vector: ["img"] });
    expect(some.map((p) => [p.id, p.vector])).toEqual([[3, {}], [5, { img: [2, 2] }]]);
    const sc = await h.client.scroll("n", { with_vector: ["kw"], limit: 2 });
    expect(sc.points.map((p) => p.vector)).toEqual([{ kw: { indices: [1, 3], values: [1, 2] } }, {}]);
  });

  it("has_vector selects the points carrying a vector", async () => {
    const sel = async (filter: Record<string, unknown>) => (await h.client.scroll("n", { filter, limit: 10 })).points.map((p) => p.id);
    expect(await sel({ must: [{ has_vector: "kw" }] })).toEqual([1, 3, 5]);
    expect(await sel({ must_not: [{ has_vector: "img" }] })).toEqual([3, 4]);
    expect(await sel({ must: [{ has_vector: "nothing-by-this-name" }] })).toEqual([]);
    expect((await h.client.count("n", { filter: { must: [{ has_vector: "txt" }] }, exact: true })).count).toBe(2);
  });

  it("GET /collections/{name} shows the spaces as created", async () => {
    const info = await h.client.getCollection("n");
    expect(info.config.params.vectors).toEqual({ img: { size: 2, distance: "Dot" }, txt: { size: 3, distance: "Cosine", on_disk: false } });
    expect(info.config.params.sparse_vectors).toEqual({ kw: {} });
    expect(info.points_count).toBe(5);
  });

  it("refuses what Qdrant refuses, and what the store does not do, naming it", async () => {
    const bad = async (method: string, path: string, body: unknown, status: number, re: RegExp) => {
      const r = await h.raw(method, path, body);
      expect(r.status).toBe(status);
      expect(r.json.status.error).toMatch(re);
    };
    await bad("PUT", "/collections/n/points?wait=true", { points: [{ id: 9, vector: { kw: { indices: [1, 2], values: [1] } } }] }, 422, /indices and values must be the same length/);
    await bad("PUT", "/collections/n/points?wait=true", { points: [{ id: 9, vector: { kw: { indices: [4, 4], values: [1, 2] } } }] }, 422, /must be unique/);
    await bad("PUT", "/collections/n/points?wait=true", { points: [{ id: 9, vector: { nope: [1, 2] } }] }, 400, /Not existing vector name error: nope/);
    await bad("PUT", "/collections/n/points?wait=true", { points: [{ id: 9, vector: { img: [1, 2, 3] } }] }, 400, /Vector dimension error: expected dim: 2, got 3/);
    await bad("POST", "/collections/n/points/query", { query: [1, 1], using: "nope" }, 400, /Not existing vector name error: nope/);
    await bad("PUT", "/collections/x8", { vectors: { a: { size: 2, distance: "Dot", datatype: "turbo4" } } }, 400, /datatype "turbo4" \(a 4-bit quantization\) is not supported/);
    await bad("PUT", "/collections/x8", { sparse_vectors: { s: { modifier: "bm25" } } }, 400, /modifier "bm25" is unknown. Should be one of: "none", "idf"/);
    await bad("PUT", "/collections/n/points/vectors?wait=true", { points: [{ id: 77, vector: { img: [1, 1] } }] }, 404, /No point with id 77 found/);
    expect((await h.raw("GET", "/collections/x8")).status).toBe(404);
  });

  it("answers the same after a restart (log replay), then after a compaction (snapshot)", async () => {
    await h.stop();
    h = await harness("named", { path: dir });
    await expectInitialAnswers(h);
    await h.running.store.compact("n");
    await h.stop();
    h = await harness("named", { path: dir });
    await expectInitialAnswers(h);
    expect((await h.client.retrieve("n", { ids: [1], with_vector: true }))[0]!.vector).toEqual({
      img: [1, 0], txt: [1, 0, 0], kw: { indices: [1, 3], values: [1, 2] },
    });
  });

  it("update_vectors keeps the other vectors, delete_vectors drops the named ones, also inside /points/batch", async () => {
    await h.client.updateVectors("n", { wait: true, points: [{ id: 2, vector: { txt: [0, 0, 1] } }] });
    expect((await h.client.retrieve("n", { ids: [2], with_vector: true }))[0]!.vector).toEqual({ img: [0, 2], txt: [0, 0, 1] });
    await h.client.deleteVectors("n", { wait: true, points: [1], vector: ["img"] });
    // img [1, 1]: 5 → 4, 2 → 2; point 1 has no img any more
    expectScores(await h.client.query("n", { query: [1, 1], using: "img" }), [[5, 4], [2, 2]]);
    await h.client.batchUpdate("n", {
      wait: true,
      operations: [
        { update_vectors: { points: [{ id: 4, vector: { kw: { indices: [1], values: [10] } } }] } },
        { delete_vectors: { filter: { must: [{ key: "g", match: { value: "a" } }] }, vector: ["kw"] } },
      ],
    });
    // kw {1: 1}: only 4 has kw now (1, 3, 5 lost it by the filter), 4 → 10
    expectScores(await h.client.query("n", { query: { indices: [1], values: [1] }, using: "kw" }), [[4, 10]]);
    // an upsert replaces the point whole: 5 keeps only txt
    await h.client.upsert("n", { wait: true, points: [{ id: 5, vector: { txt: [1, 1, 0] }, payload: { g: "a" } }] });
    const v5 = (await h.client.retrieve("n", { ids: [5], with_vector: true }))[0]!.vector as Record<string, number[]>;
    expect(Object.keys(v5)).toEqual(["txt"]);
    expect(v5.txt!.map(Math.fround)).toEqual([Math.SQRT1_2, Math.SQRT1_2, 0].map(Math.fround));
    // and all of it survives a restart
    await h.stop();
    h = await harness("named", { path: dir });
    expectScores(await h.client.query("n", { query: [1, 1], using: "img" }), [[2, 2]]);
    expectScores(await h.client.query("n", { query: { indices: [1], values: [1] }, using: "kw" }), [[4, 10]]);
    expect((await h.client.retrieve("n", { ids: [2], with_vector: ["txt"] }))[0]!.vector).toEqual({ txt: [0, 0, 1] });
  });

  it("the batch upsert form takes named lists", async () => {
    await h.client.createCollection("bt", { vectors: { a: { size: 2, distance: "Euclid" } }, sparse_vectors: { s: {} } });
    await h.client.upsert("bt", { wait: true, batch: { ids: [1, 2], vectors: { a: [[0, 0], [3, 4]], s: [{ indices: [1], values: [2] }, { indices: [2], values: [1] }] } } });
    expectScores(await h.client.query("bt", { query: [0, 0], using: "a" }), [[1, 0], [2, 5]]);
    expectScores(await h.client.query("bt", { query: { indices: [2], values: [3] }, using: "s" }), [[2, 3]]);
  });
});

describe("a named vector on disk", () => {
  it("keeps its rows in its own file, only for the points carrying it, across deletes and a restart", async () => {
    const d = temp("named-disk");
    const x = await harness("named-disk", { path: d });
    const put = (c: Harness) => c.client.upsert("dk", {
      wait: true,
      points: [
        { id: 1, vector: { a: [1, 0], b: [0, 1] } },
        { id: 2, vector: { b: [1, 1] } },
        { id: 3, vector: { a: [3, 1] } },
        { id: 4, vector: { a: [0, 2], b: [2, 0] } },
      ],
    });
    // a [1, 1] by Dot: 3 → 4, 4 → 2 (1 deleted); b [1, 0]: 4 → 2, 2 → 1
    const check = async (c: Harness) => {
      expectScores(await c.client.query("dk", { query: [1, 1], using: "a" }), [[3, 4], [4, 2]]);
      expectScores(await c.client.query("dk", { query: [1, 0], using: "b" }), [[4, 2], [2, 1]]);
    };
    try {
      await x.client.createCollection("dk", { vectors: { a: { size: 2, distance: "Dot", on_disk: true }, b: { size: 2, distance: "Dot" } } });
      await put(x);
      await x.client.delete("dk", { wait: true, points: [1] });
      await check(x);
      // the a rows of 3 and 4 (1 deleted, 2 has none), 2 f32 each, in the file; b stays in memory
      expect(statSync(join(d, "collections", "dk", "vectors-a.f32")).size).toBe(2 * 2 * 4);
      expect((await x.client.getCollection("dk")).config.params.vectors).toEqual({ a: { size: 2, distance: "Dot", on_disk: true }, b: { size: 2, distance: "Dot" } });
    } finally {
      await x.stop();
    }
    const y = await harness("named-disk", { path: d });
    try {
      await check(y);
    } finally {
      await y.stop();
    }
  });
});

describe("a data folder written by the store before named vectors", () => {
  it("loads: its snapshot and its log (committed as written by that code) answer as then", async () => {
    const old = temp("main-folder");
    cpSync(join(import.meta.dirname, "fixtures", "main-folder"), old, { recursive: true });
    const x = await harness("main-folder", { path: old });
    try {
      // old: Cosine, 1 [1,0,0] {a:1,b:true}, 3 [0,0,1], 4 [1,1,0] {a:4}, 5 [0,1,1] {a:5}; 2 deleted
      const r = await x.client.retrieve("old", { ids: [1, 2, 3, 4, 5], with_vector: true });
      expect(r.map((p) => [p.id, p.payload])).toEqual([[1, { a: 1, b: true }], [3, {}], [4, { a: 4 }], [5, { a: 5 }]]);
      expect((r.find((p) => p.id === 4)!.vector as number[]).map(Math.fround)).toEqual([Math.SQRT1_2, Math.SQRT1_2, 0].map(Math.fround));
      // 3 and 5 tie at 0: their order is the store's row order, so the two above them are what is checked
      expectScores(await x.client.query("old", { query: [1, 0, 0], limit: 2 }), [[1, 1], [4, Math.SQRT1_2]]);
      expectScores(await x.client.query("old", { query: [0, 1, 1] }), [[5, 1], [3, Math.SQRT1_2], [4, 0.5], [1, 0]]);
      expectScores(await x.client.query("logonly", { query: [1, 0] }), [[8, 3], [7, 1]]);
      expect((await x.client.getCollection("old")).config.params.vectors).toEqual({ size: 3, distance: "Cosine" });
      // and keeps working: a write, then a restart
      await x.client.upsert("old", { wait: true, points: [{ id: 6, vector: [0, 1, 0] }] });
    } finally {
      await x.stop();
    }
    const y = await harness("main-folder", { path: old });
    try {
      expect((await y.client.count("old", { exact: true })).count).toBe(5);
    } finally {
      await y.stop();
    }
  });
});
