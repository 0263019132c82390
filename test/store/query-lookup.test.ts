/**
 * `lookup_from` in the embedded store: point ids in a query take their vector
 * from another collection, and (as Qdrant) exclude nothing in this one.
 * Through the real client, responses checked against Qdrant's schema.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness("query-lookup");
  await h.client.createCollection("q", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("q", { wait: true, points: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }, { id: 3, vector: [1, 0.5] }] });
  await h.client.createCollection("src", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("src", { wait: true, points: [{ id: 1, vector: [0, 2] }] });
  await h.client.createCollection("wide", { vectors: { size: 3, distance: "Dot" } });
  await h.client.upsert("wide", { wait: true, points: [{ id: 1, vector: [1, 2, 3] }] });
});
afterAll(async () => {
  await h.stop();
});

const scored = (r: { points: Array<{ id: string | number; score: number }> }) => r.points.map((p) => [p.id, p.score]);

describe("lookup_from", () => {
  it("takes the id's vector from the other collection and keeps the same id here", async () => {
    // src's point 1 is [0, 2]: 2 → 2, 3 → 1, 1 → 0 (point 1 of q is not excluded)
    expect(scored(await h.client.query("q", { query: 1, lookup_from: { collection: "src" } }))).toEqual([[2, 2], [3, 1], [1, 0]]);
    // without it, q's own point 1 ([1, 0]) is the query and is left out
    expect(scored(await h.client.query("q", { query: 1 }))).toEqual([[3, 1], [2, 0]]);
  });
  it("in recommend and in a prefetch", async () => {
    const r = await h.client.query("q", { query: { recommend: { positive: [1] } }, lookup_from: { collection: "src" } });
    expect(r.points.map((p) => p.id)).toEqual([2, 3, 1]);
    // the prefetch looks up [0, 2]: top 2 = {2, 3}; the outer query is q's point 1 ([1, 0]), which drops 1 everywhere
    const m = await h.client.query("q", { prefetch: { query: 1, lookup_from: { collection: "src" }, limit: 2 }, query: 1 });
    expect(scored(m)).toEqual([[3, 1], [2, 0]]);
  });
  it("refusals: unknown collection 404, missing point 404, another dimension 400, a vector name 400", async () => {
    const post = (body: unknown) => h.raw("POST", "/collections/q/points/query", body);
    expect((await post({ query: 1, lookup_from: { collection: "nope" } })).status).toBe(404);
    const miss = await post({ query: 5, lookup_from: { collection: "src" } });
    expect(miss.status).toBe(404);
    expect(miss.json.status.error).toContain("collection src");
    const dim = await post({ query: 1, lookup_from: { collection: "wide" } });
    expect(dim.status).toBe(400);
    expect(dim.json.status.error).toContain("Vector dimension error: expected dim: 2, got 3");
    const name = await post({ query: 1, lookup_from: { collection: "src", vector: "image" } });
    expect(name.status).toBe(400);
    expect(name.json.status.error).toContain("Not existing vector name");
    const bad = await post({ query: 1, lookup_from: "src" });
    expect(bad.status).toBe(400);
    expect(bad.json.status.error).toContain("lookup_from must be");
  });
});
