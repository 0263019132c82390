/**
 * Qdrant's `order_by` and `sample: random` queries in the embedded store,
 * through the real client over real HTTP, responses checked against Qdrant's
 * schema. Orders worked out by hand from the payloads below: a point is
 * listed once per value, equal values go to the lower id first ascending and
 * the higher id first descending (Qdrant's ScoredPointTies merge).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexValue, rangeIndexKind } from "../../src/store/embedded/engine/order-by.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const PAYLOADS: Record<number, Record<string, unknown>> = {
  1: { n: 3, f: 0.5, t: "2024-01-02T00:00:00Z" },
  2: { n: 1, f: 2.5, t: "2024-01-01T00:00:00Z" },
  3: { n: 3, f: -1 },
  4: { n: [2, 5] },
  5: { n: 1.5 }, // not an integer: the integer index skips it
  6: {},
  7: { n: "x", k: "a" },
};
beforeAll(async () => {
  h = await harness("query-order");
  await h.client.createCollection("o", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("o", { wait: true, points: Object.entries(PAYLOADS).map(([id, payload]) => ({ id: Number(id), vector: [10 - Number(id), 1], payload })) });
  await h.client.createPayloadIndex("o", { field_name: "n", field_schema: "integer", wait: true });
  await h.client.createPayloadIndex("o", { field_name: "f", field_schema: "float", wait: true });
  await h.client.createPayloadIndex("o", { field_name: "t", field_schema: "datetime", wait: true });
  await h.client.createPayloadIndex("o", { field_name: "k", field_schema: "keyword", wait: true });
});
afterAll(async () => {
  await h.stop();
});

type Res = { points: Array<{ id: string | number; score: number; order_value?: unknown }> };
const ids = (r: Res) => r.points.map((p) => p.id);
const values = (r: Res) => r.points.map((p) => p.order_value);

describe("order_by", () => {
  it("ascending by default, once per value, ties by id", async () => {
    const r = await h.client.query("o", { query: { order_by: "n" }, limit: 10 });
    expect(ids(r)).toEqual([2, 4, 1, 3, 4]);
    expect(values(r)).toEqual([1, 2, 3, 3, 5]);
    expect(r.points.every((p) => p.score === 0)).toBe(true);
  });
  it("descending: equal values go to the higher id first", async () => {
    const r = await h.client.query("o", { query: { order_by: { key: "n", direction: "desc" } }, limit: 10 });
    expect(ids(r)).toEqual([4, 3, 1, 4, 2]);
    expect(values(r)).toEqual([5, 3, 3, 2, 1]);
  });
  it("start_from bounds from the start of the direction (asc ≥, desc ≤)", async () => {
    const up = await h.client.query("o", { query: { order_by: { key: "n", start_from: 3 } } });
    expect(ids(up)).toEqual([1, 3, 4]);
    const down = await h.client.query("o", { query: { order_by: { key: "n", direction: "desc", start_from: 2.5 } } });
    expect(ids(down)).toEqual([4, 2]);
    expect(values(down)).toEqual([2, 1]);
  });
  it("limit, offset and filter", async () => {
    expect(ids(await h.client.query("o", { query: { order_by: "n" }, limit: 2, offset: 1 }))).toEqual([4, 1]);
    expect(ids(await h.client.query("o", { query: { order_by: "n" }, filter: { must: [{ has_id: [1, 2, 3] }] } }))).toEqual([2, 1, 3]);
  });
  it("float and datetime indexes", async () => {
    const f = await h.client.query("o", { query: { order_by: "f" } });
    expect(ids(f)).toEqual([3, 1, 2]);
    expect(values(f)).toEqual([-1, 0.5, 2.5]);
    const t = await h.client.query("o", { query: { order_by: { key: "t", direction: "desc" } } });
    expect(ids(t)).toEqual([1, 2]);
    expect(values(t)).toEqual([Date.UTC(2024, 0, 2) * 1000, Date.UTC(2024, 0, 1) * 1000]); // microseconds, as Qdrant
    const from = await h.client.query("o", { query: { order_by: { key: "t", start_from: "2024-01-01T12:00:00Z" } } });
    expect(ids(from)).toEqual([1]);
  });
  it("re-orders a prefetch's candidates", async () => {
    // by [1, 0] the top 3 are ids 1, 2, 3 (vectors [10 − id, 1]); by n desc: 3 (3), 1 (3), 2 (1)
    const r = await h.client.query("o", { prefetch: { query: [1, 0], limit: 3 }, query: { order_by: { key: "n", direction: "desc" } } });
    expect(ids(r)).toEqual([3, 1, 2]);
  });
  it("needs a range index, and refuses score_threshold, as Qdrant", async () => {
    for (const key of ["k", "missing"]) {
      const r = await h.raw("POST", "/collections/o/points/query", { query: { order_by: key } });
      expect(r.status).toBe(400);
      expect(r.json.status.error).toContain(`No range index for \`order_by\` key: \`${key}\`. Please create one to use \`order_by\``);
    }
    const t = await h.raw("POST", "/collections/o/points/query", { query: { order_by: "n" }, score_threshold: 1 });
    expect(t.status).toBe(400);
    expect(t.json.status.error).toContain("Can't use score_threshold with an order_by query.");
    const d = await h.raw("POST", "/collections/o/points/query", { query: { order_by: { key: "n", direction: "up" } } });
    expect(d.status).toBe(400);
    expect(d.json.status.error).toContain('"up"');
  });
  it("which schemas order and which values an index holds", () => {
    expect(rangeIndexKind("integer")).toBe("integer");
    expect(rangeIndexKind({ type: "integer", range: false })).toBeUndefined();
    expect(rangeIndexKind({ type: "float" })).toBe("float");
    expect(rangeIndexKind("keyword")).toBeUndefined();
    expect(indexValue("integer", 1.5)).toBeUndefined();
    expect(indexValue("float", 1.5)).toBe(1.5);
    expect(indexValue("datetime", "1970-01-01T00:00:01Z")).toBe(1_000_000);
    expect(indexValue("integer", "3")).toBeUndefined();
  });
});

describe("sample: random", () => {
  it("distinct points, as many as asked or as there are, from the filtered set", async () => {
    const all = await h.client.query("o", { query: { sample: "random" }, limit: 10 });
    expect(ids(all).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const two = await h.client.query("o", { query: { sample: "random" }, limit: 2 });
    expect(new Set(ids(two)).size).toBe(2);
    const some = await h.client.query("o", { query: { sample: "random" }, filter: { must: [{ has_id: [1, 2, 3] }] } });
    expect(ids(some).sort()).toEqual([1, 2, 3]);
  });
  it("the order changes between calls (Qdrant's sampling is not seeded)", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(ids(await h.client.query("o", { query: { sample: "random" }, limit: 7 })).join(","));
    expect(seen.size).toBeGreaterThan(1); // 20 draws of one of 5040 orders all equal: p ≈ 5040^−19
  });
  it("an unknown sampling is refused", async () => {
    const r = await h.raw("POST", "/collections/o/points/query", { query: { sample: "first" } });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toContain('"first"');
  });
});
