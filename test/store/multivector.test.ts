/**
 * Multivectors (`multivector_config: {"comparator": "max_sim"}`) through the
 * real client over real HTTP (every answer checked against Qdrant's schema):
 * points carry a list of vectors; a query with a list of vectors scores a
 * point by Σ over the query's vectors of the best similarity among the
 * point's (raw similarities: dot, −d², −L1), then post-processed as Qdrant
 * does a nearest score (Euclid √|s|, Manhattan |s|), worked by hand here;
 * with_vector answers the list; upsert validation as Qdrant's; durable
 * through the log and a snapshot; what the store does not do with them is
 * refused naming it.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, expectScores, harness, ids, tempDirs } from "./helpers.js";

const newDir = tempDirs();
let dir: string;
let h: Harness;
const MAX_SIM = { comparator: "max_sim" as const };

beforeAll(async () => {
  dir = newDir("multivector");
  h = await harness("multivector", { path: dir });
  await h.client.createCollection("mv", { vectors: { colbert: { size: 2, distance: "Dot", multivector_config: MAX_SIM }, plain: { size: 2, distance: "Dot" } } });
  await h.client.upsert("mv", { wait: true, points: [
    { id: 1, vector: { colbert: [[1, 0], [0, 1]] }, payload: { k: 1 } },
    { id: 2, vector: { colbert: [[3, 0]] }, payload: { k: 2 } },
    { id: 3, vector: { colbert: [[0, 3], [1, 1]], plain: [1, 1] }, payload: { k: 3 } },
  ] });
  await h.client.createCollection("me", { vectors: { size: 2, distance: "Euclid", multivector_config: MAX_SIM } });
  await h.client.upsert("me", { wait: true, points: [{ id: 1, vector: [[0, 0], [3, 4]] }, { id: 2, vector: [[1, 1]] }] });
  await h.client.createCollection("mc", { vectors: { c: { size: 2, distance: "Cosine", multivector_config: MAX_SIM } } });
  await h.client.upsert("mc", { wait: true, points: [{ id: 1, vector: { c: [[3, 4], [1, 0]] } }] });
  await h.client.createCollection("mm", { vectors: { size: 2, distance: "Manhattan", multivector_config: MAX_SIM } });
  await h.client.upsert("mm", { wait: true, points: [{ id: 1, vector: [[1, 2]] }] });
});
afterAll(async () => {
  await h.stop();
});

async function expectAnswers() {
  // Dot, q = [[1,0],[0,1]]: id 1: 1 + 1 = 2; id 2: 3 + 0 = 3; id 3: max(0,1) + max(3,1) = 4
  expectScores(await h.client.query("mv", { query: [[1, 0], [0, 1]], using: "colbert" }), [[3, 4], [2, 3], [1, 2]]);
  // Euclid, q = [[0,0],[3,3]]: id 1: max(0, −25) + max(−18, −1) = −1 → √1; id 2: −2 + −8 = −10 → √10
  expectScores(await h.client.query("me", { query: { nearest: [[0, 0], [3, 3]] } }), [[1, 1], [2, Math.sqrt(10)]]);
  // Cosine: stored [[0.6, 0.8], [1, 0]], q [[0, 2]] → [[0, 1]]: max(0.8, 0)
  expectScores(await h.client.query("mc", { query: [[0, 2]], using: "c" }), [[1, 0.8]]);
  // Manhattan, q = [[0,0],[1,1]]: −3 + −1 = −4 → 4
  expectScores(await h.client.query("mm", { query: [[0, 0], [1, 1]] }), [[1, 4]]);
  const got = await h.client.retrieve("mv", { ids: [1, 3], with_vector: true });
  expect(got.map((p) => p.vector)).toEqual([{ colbert: [[1, 0], [0, 1]] }, { colbert: [[0, 3], [1, 1]], plain: [1, 1] }]);
  expect((await h.client.retrieve("me", { ids: [1], with_vector: true }))[0]!.vector).toEqual([[0, 0], [3, 4]]);
  expect((await h.client.retrieve("mc", { ids: [1], with_vector: true }))[0]!.vector).toEqual({ c: [[0.6, 0.8], [1, 0]] });
}

describe("multivectors", () => {
  it("scores by max_sim as Qdrant does, and answers the lists", async () => {
    expect((await h.client.getCollection("me")).config.params.vectors).toEqual({ size: 2, distance: "Euclid", multivector_config: MAX_SIM });
    await expectAnswers();
  });

  it("takes filters, score_threshold, offset, a point id, prefetch and fusion", async () => {
    expect(ids(await h.client.query("mv", { query: [[1, 0], [0, 1]], using: "colbert", filter: { must: [{ key: "k", range: { lt: 3 } }] } }))).toEqual([2, 1]);
    expectScores(await h.client.query("me", { query: [[0, 0], [3, 3]], score_threshold: 2 }), [[1, 1]]);
    expect(ids(await h.client.query("mv", { query: [[1, 0], [0, 1]], using: "colbert", offset: 1, limit: 1 }))).toEqual([2]);
    // by id: point 1's own vectors, point 1 left out: id 3: 1 + 3, id 2: 3 + 0
    expectScores(await h.client.query("mv", { query: 1, using: "colbert" }), [[3, 4], [2, 3]]);
    // rescoring a dense prefetch's candidates (only point 3 has "plain")
    expectScores(await h.client.query("mv", { prefetch: { query: [1, 1], using: "plain" }, query: [[1, 0], [0, 1]], using: "colbert" }), [[3, 4]]);
    // rrf (k = 2) of the multivector list [3, 2, 1] and the dense list [3]: 1/2 + 1/2, 1/3, 1/4
    const fused = await h.client.query("mv", { prefetch: [{ query: [[1, 0], [0, 1]], using: "colbert" }, { query: [1, 1], using: "plain" }], query: { fusion: "rrf" } });
    expectScores(fused, [[3, 1], [2, 1 / 3], [1, 1 / 4]]);
  });

  it("replaces, updates and deletes multivectors; has_vector sees them", async () => {
    await h.client.updateVectors("mv", { wait: true, points: [{ id: 2, vector: { colbert: [[0, 5], [1, 0]] } }] });
    // id 2 now: max(0, 1) + max(5, 0) = 6
    expectScores(await h.client.query("mv", { query: [[1, 0], [0, 1]], using: "colbert", limit: 1 }), [[2, 6]]);
    await h.client.deleteVectors("mv", { wait: true, points: [1], vector: ["colbert"] });
    expect((await h.client.count("mv", { filter: { must: [{ has_vector: "colbert" }] } })).count).toBe(2);
    expect(ids(await h.client.query("mv", { query: [[1, 0], [0, 1]], using: "colbert" }))).toEqual([2, 3]);
    // back as it was, for the restart test
    await h.client.upsert("mv", { wait: true, points: [{ id: 1, vector: { colbert: [[1, 0], [0, 1]] }, payload: { k: 1 } }, { id: 2, vector: { colbert: [[3, 0]] }, payload: { k: 2 } }] });
  });

  it("answers the same after a restart (log replay) and after a snapshot", async () => {
    await h.stop();
    h = await harness("multivector", { path: dir });
    await expectAnswers();
    for (const c of ["mv", "me", "mc", "mm"]) await h.running.store.compact(c);
    await h.stop();
    h = await harness("multivector", { path: dir });
    await expectAnswers();
  });

  it("validates upserts as Qdrant does and refuses what the store does not do", async () => {
    const bad = async (method: string, path: string, body: unknown, status: number, re: RegExp) => {
      const r = await h.raw(method, path, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.status.error).toMatch(re);
    };
    const up = (vector: unknown) => ({ points: [{ id: 9, vector }] });
    await bad("PUT", "/collections/me/points?wait=true", up([]), 422, /^Validation error in JSON body: \[body\.points\[0\]\.vector: multi vector must not be empty\]/);
    await bad("PUT", "/collections/me/points?wait=true", up([[]]), 422, /all vectors must be non-empty/);
    await bad("PUT", "/collections/me/points?wait=true", up([[1, 2], [1]]), 422, /all vectors must have the same dimension, found vector with dimension 1/);
    await bad("PUT", "/collections/me/points?wait=true", up([[1, 2, 3]]), 400, /^Wrong input: Vector dimension error: expected dim: 2, got 3 \(at body\.points\[0\]\.vector\[0\]\)/);
    await bad("PUT", "/collections/me/points?wait=true", up([1, 2]), 400, /is a multivector: a list of vectors/);
    await bad("PUT", "/collections/mv/points?wait=true", up({ colbert: [[1, 1e39]] }), 400, /colbert\[0\]\[1\] is 1e\+39, outside the range of a 32-bit float/);
    expect((await h.client.count("me")).count).toBe(2);
    await bad("POST", "/collections/me/points/query", { query: [1, 2] }, 400, /is a multivector: a list of vectors/);
    await bad("POST", "/collections/mv/points/query", { query: { recommend: { positive: [1] } }, using: "colbert" }, 400, /on multivector "colbert" the embedded store answers nearest queries/);
    await bad("POST", "/collections/mv/points/query", { query: { nearest: [[1, 0]], mmr: {} }, using: "colbert" }, 400, /mmr is not supported on multivector "colbert"/);
    await bad("POST", "/collections/mv/points/search/matrix/pairs", { using: "colbert" }, 400, /distance matrix on multivector "colbert" is not supported/);
    await bad("PUT", "/collections/x", { vectors: { size: 2, distance: "Dot", multivector_config: { comparator: "min_sim" } } }, 400, /multivector_config must be \{"comparator": "max_sim"\}/);
    await bad("PUT", "/collections/x", { vectors: { size: 2, distance: "Dot", on_disk: true, multivector_config: MAX_SIM } }, 400, /on_disk is not supported with multivector_config/);
    await bad("PUT", "/collections/x", { vectors: { size: 2, distance: "Dot", multivector_config: MAX_SIM }, quantization_config: { scalar: { type: "int8" } } }, 400, /quantization_config is not supported by the embedded store on a collection with a multivector/);
    await bad("PATCH", "/collections/mv", { vectors: { colbert: { on_disk: true } } }, 400, /params of multivector "colbert" cannot be changed/);
    await bad("PATCH", "/collections/mv", { quantization_config: { scalar: { type: "int8" } } }, 400, /quantization_config is not supported by the embedded store on a collection with a multivector/);
  });
});
