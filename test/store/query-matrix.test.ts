/**
 * Qdrant's distance matrix (POST /points/search/matrix/pairs and /offsets) in
 * the embedded store, through the real client, responses checked against
 * Qdrant's schema; expectations by hand from points on a line.
 *
 * Euclid, ids 1..4 at x = 0, 1, 3, 7: with limit 2 each point's two nearest
 * (itself dropped) are 1 → 2 (1), 3 (3); 2 → 1 (1), 3 (2); 3 → 2 (2), 1 (3);
 * 4 → 3 (4), 2 (6).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const X: Record<number, number> = { 1: 0, 2: 1, 3: 3, 4: 7 };
beforeAll(async () => {
  h = await harness("query-matrix");
  await h.client.createCollection("e", { vectors: { size: 2, distance: "Euclid" } });
  await h.client.upsert("e", { wait: true, points: Object.entries(X).map(([id, x]) => ({ id: Number(id), vector: [x, 0], payload: { big: Number(id) > 2 } })) });
  await h.client.createCollection("d", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("d", { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: [id, 0] })) });
});
afterAll(async () => {
  await h.stop();
});

describe("matrix pairs and offsets", () => {
  it("pairs: every point's nearest among the sample, rows in id order", async () => {
    const r = await h.client.searchMatrixPairs("e", { limit: 2 });
    expect(r.pairs).toEqual([
      { a: 1, b: 2, score: 1 }, { a: 1, b: 3, score: 3 },
      { a: 2, b: 1, score: 1 }, { a: 2, b: 3, score: 2 },
      { a: 3, b: 2, score: 2 }, { a: 3, b: 1, score: 3 },
      { a: 4, b: 3, score: 4 }, { a: 4, b: 2, score: 6 },
    ]);
  });
  it("offsets: the same as a sparse matrix over ids", async () => {
    const r = await h.client.searchMatrixOffsets("e", { limit: 2 });
    expect(r).toEqual({
      ids: [1, 2, 3, 4],
      offsets_row: [0, 0, 1, 1, 2, 2, 3, 3],
      offsets_col: [1, 2, 0, 2, 1, 0, 2, 1],
      scores: [1, 3, 1, 2, 2, 3, 4, 6],
    });
  });
  it("Dot: a point that is not its own best keeps limit others, as Qdrant's limit + 1 cut", async () => {
    // 1 · {1, 2, 3} = 1, 2, 3: top 2 = [3, 2] without 1, so the last goes; 2: [3 (6), 2 (4)] → drop itself
    const r = await h.client.searchMatrixPairs("d", { limit: 1 });
    expect(r.pairs).toEqual([{ a: 1, b: 3, score: 3 }, { a: 2, b: 3, score: 6 }, { a: 3, b: 2, score: 6 }]);
  });
  it("a filter keeps the sample to its points", async () => {
    const r = await h.client.searchMatrixPairs("e", { limit: 1, filter: { must: [{ key: "big", match: { value: true } }] } });
    expect(r.pairs).toEqual([{ a: 3, b: 4, score: 4 }, { a: 4, b: 3, score: 4 }]);
  });
  it("a random sample: `sample` distinct points in id order, scores as in the full table", async () => {
    const dist = (a: number, b: number) => Math.abs(X[a]! - X[b]!);
    for (let t = 0; t < 8; t++) {
      const r = await h.client.searchMatrixOffsets("e", { sample: 3, limit: 1 });
      expect(r.ids).toHaveLength(3);
      expect([...r.ids].sort()).toEqual(r.ids);
      r.offsets_row.forEach((row, i) => {
        const a = r.ids[row] as number;
        const b = r.ids[r.offsets_col[i]!] as number;
        expect(r.scores[i]).toBe(dist(a, b));
        const others = (r.ids as number[]).filter((x) => x !== a).map((x) => dist(a, x));
        expect(r.scores[i]).toBe(Math.min(...others));
      });
      expect(r.offsets_row).toEqual([0, 1, 2]);
    }
  });
  it("fewer than two points: an empty answer", async () => {
    const f = { must: [{ has_id: [4] }] };
    expect(await h.client.searchMatrixPairs("e", { filter: f })).toEqual({ pairs: [] });
    expect(await h.client.searchMatrixOffsets("e", { filter: f })).toEqual({ ids: [], offsets_row: [], offsets_col: [], scores: [] });
  });
  it("refuses a sample below 2, a limit below 1, another vector name, an unknown collection", async () => {
    const post = (body: unknown, name = "e") => h.raw("POST", `/collections/${name}/points/search/matrix/pairs`, body);
    const s = await post({ sample: 1 });
    expect(s.status).toBe(400);
    expect(s.json.status.error).toContain("body.sample must be an integer >= 2, got 1");
    const l = await post({ limit: 0 });
    expect(l.status).toBe(400);
    expect(l.json.status.error).toContain("body.limit");
    const u = await post({ using: "text" });
    expect(u.status).toBe(400);
    expect(u.json.status.error).toContain("Not existing vector name");
    expect((await post({}, "nope")).status).toBe(404);
  });
});
