/**
 * POST /points/query/groups in the embedded store, through the real client's
 * queryGroups, responses checked against Qdrant's schema. Groups worked out by
 * hand: Dot scores against [1, 0] are the points' x, so the walk is best x
 * first; floats, booleans and missing keys group nowhere (Qdrant drops a point
 * that has any such value).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupKeys } from "../../src/store/embedded/engine/groups.js";
import { splitPath } from "../../src/store/embedded/state/payload.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const POINTS: Array<[number, number, Record<string, unknown>]> = [
  [1, 5, { g: "a" }],
  [2, 4, { g: "b" }],
  [3, 3, { g: "a" }],
  [4, 2, { g: ["a", "c"] }],
  [5, 1, { g: 7 }],
  [6, 6, { g: 1.5 }], // the best hit, but a float key: no group
  [7, 0.5, {}],
  [8, 0.25, { g: ["b", true] }], // one bad value drops the point
];
beforeAll(async () => {
  h = await harness("query-groups");
  await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("c", { wait: true, points: POINTS.map(([id, x, payload]) => ({ id, vector: [x, 0], payload })) });
  await h.client.createCollection("lk", { vectors: { size: 1, distance: "Dot" } });
  await h.client.upsert("lk", { wait: true, points: [{ id: 7, vector: [1], payload: { name: "seven" } }] });
});
afterAll(async () => {
  await h.stop();
});

type G = { groups: Array<{ id: string | number; hits: Array<{ id: string | number; score: number; payload?: unknown }>; lookup?: unknown }> };
const shape = (r: G) => r.groups.map((g) => [g.id, g.hits.map((p) => p.id)]);

describe("query groups", () => {
  it("groups by the key's values, best hit first, group_size hits each", async () => {
    const r = await h.client.queryGroups("c", { query: [1, 0], group_by: "g", group_size: 2 });
    expect(shape(r)).toEqual([["a", [1, 3]], ["b", [2]], ["c", [4]], [7, [5]]]);
    expect(r.groups[0]!.hits.map((p) => p.score)).toEqual([5, 3]);
  });
  it("limit counts groups; group_size defaults to 3", async () => {
    expect(shape(await h.client.queryGroups("c", { query: [1, 0], group_by: "g", limit: 2 }))).toEqual([["a", [1, 3, 4]], ["b", [2]]]);
    expect(shape(await h.client.queryGroups("c", { query: [1, 0], group_by: "g", group_size: 1 }))).toEqual([["a", [1]], ["b", [2]], ["c", [4]], [7, [5]]]);
  });
  it("a filter, and with_payload on the hits", async () => {
    const r = await h.client.queryGroups("c", { query: [1, 0], group_by: "g", filter: { must_not: [{ has_id: [1] }] }, with_payload: true });
    expect(shape(r)).toEqual([["b", [2]], ["a", [3, 4]], ["c", [4]], [7, [5]]]);
    expect(r.groups[1]!.hits[1]!.payload).toEqual({ g: ["a", "c"] });
  });
  it("with_lookup brings the point of another collection whose id is the group's key", async () => {
    const r = await h.client.queryGroups("c", { query: [1, 0], group_by: "g", group_size: 1, with_lookup: "lk" });
    const byId = Object.fromEntries(r.groups.map((g) => [g.id, g.lookup]));
    expect(byId[7]).toEqual({ id: 7, payload: { name: "seven" } });
    expect(byId.a).toBeUndefined();
    const v = await h.client.queryGroups("c", { query: [1, 0], group_by: "g", with_lookup: { collection: "lk", with_payload: false, with_vectors: true } });
    expect(v.groups.find((g) => g.id === 7)!.lookup).toEqual({ id: 7, vector: [1] });
  });
  it("groups over a multi-stage query", async () => {
    // the prefetch keeps the best 3 (6, 1, 2); 6 has a float key
    const r = await h.client.queryGroups("c", { prefetch: { query: [1, 0], limit: 3 }, query: [1, 0], group_by: "g" });
    expect(shape(r)).toEqual([["a", [1]], ["b", [2]]]);
  });
  it("refusals: no group_by, group_size 0, an unknown lookup collection", async () => {
    const post = (body: unknown) => h.raw("POST", "/collections/c/points/query/groups", body);
    const a = await post({ query: [1, 0] });
    expect(a.status).toBe(400);
    expect(a.json.status.error).toContain("body.group_by");
    // group_size and limit are Qdrant's validator ranges: 422 before the handler
    const b = await post({ query: [1, 0], group_by: "g", group_size: 0 });
    expect(b.status).toBe(422);
    expect(b.json.status.error).toBe("Validation error in JSON body: [group_size: value 0 invalid, must be 1 or larger]");
    const l = await post({ query: [1, 0], group_by: "g", limit: 0 });
    expect(l.status).toBe(422);
    expect(l.json.status.error).toBe("Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
    const c = await post({ query: [1, 0], group_by: "g", with_lookup: "nope" });
    expect(c.status).toBe(404);
  });
  it("a formula query groups its prefetch's candidates, scored by the formula", async () => {
    // $score + 10·(id is 2): point 2 (x 4) scores 14 and leads; the prefetch keeps 6, 1, 2, 3
    const r = await h.client.queryGroups("c", {
      prefetch: { query: [1, 0], limit: 4 },
      query: { formula: { sum: ["$score", { mult: [10, { has_id: [2] }] }] } },
      group_by: "g",
      group_size: 2,
    });
    expect(shape(r)).toEqual([["b", [2]], ["a", [1, 3]]]);
    expect(r.groups[0]!.hits[0]!.score).toBe(14);
  });
  it("a formula on groups is checked as on /points/query: the same 422s and 400s", async () => {
    const post = (body: unknown) => h.raw("POST", "/collections/c/points/query/groups", body);
    const base = { prefetch: { query: [1, 0] }, group_by: "g" };
    const a = await post({ ...base, query: { formula: { sum: ["$score", { key: "g" }] } } });
    expect(a.status).toBe(422);
    expect(a.json.status.error).toBe("Validation error in JSON body: [query.sum[1]: Validation error: At least one field condition must be specified [{}]]");
    const b = await post({ ...base, query: { formula: "$score", defaults: { $nope: 1 } } });
    expect(b.status).toBe(422);
    expect(b.json.status.error).toBe("Validation error in JSON body: [query.defaults: Invalid reserved word: $nope]");
    const c = await post({ prefetch: { query: [1, 0], filter: { must: [{ key: "g" }] } }, query: { formula: "$score" }, group_by: "g" });
    expect(c.status).toBe(422);
    expect(c.json.status.error).toBe("Validation error in JSON body: [prefetch.filter.must[0]: Validation error: At least one field condition must be specified [{}]]");
    // the same answers as /points/query gives for the same bodies
    for (const body of [a, b, c].map((_, i) => [
      { ...base, query: { formula: { sum: ["$score", { key: "g" }] } } },
      { ...base, query: { formula: "$score", defaults: { $nope: 1 } } },
      { prefetch: { query: [1, 0], filter: { must: [{ key: "g" }] } }, query: { formula: "$score" } },
    ][i]!)) {
      const q = await h.raw("POST", "/collections/c/points/query", body);
      const g = await post({ ...body, group_by: "g" });
      expect([g.status, g.json.status.error]).toEqual([q.status, q.json.status.error]);
    }
    const d = await post({ query: { formula: "$score" }, group_by: "g" });
    expect(d.status).toBe(400);
    expect(d.json.status.error).toMatch(/^Wrong input: Validation failed: cannot apply Formula without prefetches/);
  });
  it("which values make group keys", () => {
    const g = splitPath("g")!;
    expect(groupKeys({ g: ["x", "x", 3] }, g)).toEqual(["x", 3]);
    expect(groupKeys({ g: 2.5 }, g)).toBeUndefined();
    expect(groupKeys({ g: null }, g)).toBeUndefined();
    expect(groupKeys({}, g)).toBeUndefined();
    expect(groupKeys({ g: [] }, g)).toBeUndefined();
  });
});
