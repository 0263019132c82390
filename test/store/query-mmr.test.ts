/**
 * Qdrant's mmr (maximal marginal relevance) in the embedded store, through the
 * real client, responses checked against Qdrant's schema; picks by hand.
 *
 * Dot: 1 = [1, 0], 2 = [0.9, 0.1] (nearly 1 again), 3 = [0, 0.8]; query
 * [1, 0.2] → relevance 1, 0.92, 0.16; similarities 1·2 = 0.9, 1·3 = 0,
 * 2·3 = 0.08. λ = 0.5: 1 first; then 3 (0.5·0.16 − 0 = 0.08) beats 2
 * (0.5·0.92 − 0.5·0.9 = 0.01).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mmrSelect } from "../../src/store/embedded/engine/mmr.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const Q = [1, 0.2];
beforeAll(async () => {
  h = await harness("query-mmr");
  await h.client.createCollection("d", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("d", { wait: true, points: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0.9, 0.1] }, { id: 3, vector: [0, 0.8] }] });
  await h.client.createCollection("e", { vectors: { size: 2, distance: "Euclid" } });
  await h.client.upsert("e", { wait: true, points: [{ id: 1, vector: [0, 0] }, { id: 2, vector: [0.1, 0] }, { id: 3, vector: [0, 1] }] });
});
afterAll(async () => {
  await h.stop();
});

const ids = (r: { points: Array<{ id: string | number }> }) => r.points.map((p) => p.id);

describe("mmr", () => {
  it("diversity 0.5 (the default) passes over the near-duplicate; scores stay the relevance", async () => {
    const r = await h.client.query("d", { query: { nearest: Q, mmr: { candidates_limit: 3 } }, limit: 3 });
    expect(ids(r)).toEqual([1, 3, 2]);
    r.points.forEach((p, i) => expect(p.score).toBeCloseTo([1, 0.16, 0.92][i]!, 5));
    expect(ids(await h.client.query("d", { query: { nearest: Q } }))).toEqual([1, 2, 3]);
  });
  it("diversity 0 is plain relevance, 1 only dissimilarity", async () => {
    expect(ids(await h.client.query("d", { query: { nearest: Q, mmr: { diversity: 0 } }, limit: 3 }))).toEqual([1, 2, 3]);
    expect(ids(await h.client.query("d", { query: { nearest: Q, mmr: { diversity: 1 } }, limit: 3 }))).toEqual([1, 3, 2]);
  });
  it("candidates_limit defaults to the limit and bounds the pool", async () => {
    expect(ids(await h.client.query("d", { query: { nearest: Q, mmr: { diversity: 1, candidates_limit: 2 } }, limit: 3 }))).toEqual([1, 2]);
    expect(ids(await h.client.query("d", { query: { nearest: Q, mmr: { diversity: 1, candidates_limit: 3 } }, limit: 2 }))).toEqual([1, 3]);
    expect(ids(await h.client.query("d", { query: { nearest: Q, mmr: { diversity: 1 } }, limit: 2 }))).toEqual([1, 2]);
  });
  it("Euclid uses −distance² as similarity and answers distances", async () => {
    // query [0, 0.2]: d² 0.04, 0.05, 0.64; 2 after 1: 0.5·(−0.05) − 0.5·(−0.01) = −0.02; 3: 0.5·(−0.64) − 0.5·(−1) = 0.18
    const r = await h.client.query("e", { query: { nearest: [0, 0.2], mmr: { diversity: 0.5 } }, limit: 3 });
    expect(ids(r)).toEqual([1, 3, 2]);
    r.points.forEach((p, i) => expect(p.score).toBeCloseTo([0.2, 0.8, Math.sqrt(0.05)][i]!, 5));
  });
  it("after a prefetch, on its candidates", async () => {
    const r = await h.client.query("d", { prefetch: { query: Q, limit: 2 }, query: { nearest: Q, mmr: { diversity: 1, candidates_limit: 5 } }, limit: 3 });
    expect(ids(r)).toEqual([1, 2]);
  });
  it("ties go to the last best in swap-remove order, as Qdrant's IndexSet", () => {
    // relevances tie: Qdrant's max_by_key keeps the last, index 2; then [0, 1] stays, both tie again → 1
    expect(mmrSelect([1, 1, 1], () => 0, 0.5, 3)).toEqual([2, 1, 0]);
  });
  it("refuses a diversity outside 0..1", async () => {
    const r = await h.raw("POST", "/collections/d/points/query", { query: { nearest: Q, mmr: { diversity: 1.5 } } });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain("diversity must be a number from 0 to 1, got 1.5");
  });
});
