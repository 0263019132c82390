/** The embedded store through @qdrant/js-client-rest over real HTTP. */

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Dist, type Harness, harness, naiveScore, naiveTop, vectors } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness("api");
});
afterAll(async () => {
  await h.stop();
});

const DIM = 8;
const N = 300;
const xs = vectors(N, DIM, 7);
const payloadOf = (i: number) => ({ i, group: `g${i % 3}`, tags: i % 2 ? ["odd"] : ["even", "x"], nested: { v: i % 5 } });

describe("collections", () => {
  it("creates, lists, describes, checks existence and deletes", async () => {
    const c = h.client;
    expect(await c.createCollection("tmp", { vectors: { size: 3, distance: "Dot" } })).toBe(true);
    expect((await c.getCollections()).collections.map((x) => x.name)).toContain("tmp");
    const info = await c.getCollection("tmp");
    expect(info.points_count).toBe(0);
    expect(info.config.params.vectors).toEqual({ size: 3, distance: "Dot" });
    expect(await c.collectionExists("tmp")).toEqual({ exists: true });
    expect(await c.deleteCollection("tmp")).toBe(true);
    expect(await c.collectionExists("tmp")).toEqual({ exists: false });
    expect(await c.deleteCollection("tmp")).toBe(false);
  });

  it("passes the client's compatibility check without a warning", async () => {
    const { QdrantClient } = await import("@qdrant/js-client-rest");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const c = new QdrantClient({ url: h.running.url }); // checkCompatibility defaults to true
      await c.getCollections();
      await new Promise((r) => setTimeout(r, 100));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("answers GET / with a version the client accepts, and /healthz", async () => {
    expect((await h.client.versionInfo()).version).toMatch(/^1\.19\./);
    const r = await h.raw("GET", "/healthz");
    expect(r.status).toBe(200);
  });
});

describe.each(["Cosine", "Euclid", "Dot", "Manhattan"] as Dist[])("search with %s", (dist) => {
  const name = `s-${dist}`;
  beforeAll(async () => {
    await h.client.createCollection(name, { vectors: { size: DIM, distance: dist } });
    // half as a list of points, half in the batch form
    const half = N / 2;
    await h.client.upsert(name, { wait: true, points: xs.slice(0, half).map((v, i) => ({ id: i, vector: v, payload: payloadOf(i) })) });
    await h.client.upsert(name, {
      wait: true,
      batch: { ids: xs.slice(half).map((_, j) => half + j), vectors: xs.slice(half), payloads: xs.slice(half).map((_, j) => payloadOf(half + j)) },
    });
  });

  it("finds the exact top-k with Qdrant's scores and order", async () => {
    const q = xs[11]!.map((v) => v + 0.05);
    const res = await h.client.query(name, { query: q, limit: 10, with_payload: true });
    expect(res.points.map((p) => p.id)).toEqual(naiveTop(dist, q, xs, 10));
    for (const p of res.points) expect(p.score).toBeCloseTo(naiveScore(dist, q, xs[p.id as number]!), 4);
    expect(res.points[0]!.payload).toEqual(payloadOf(res.points[0]!.id as number));
  });

  it("pages with offset, keeps a score threshold, and filters before ranking", async () => {
    const q = xs[3]!;
    const all = naiveTop(dist, q, xs, 30);
    const page = await h.client.query(name, { query: q, limit: 5, offset: 5 });
    expect(page.points.map((p) => p.id)).toEqual(all.slice(5, 10));
    const t = naiveScore(dist, q, xs[all[7]!]!);
    const kept = await h.client.query(name, { query: q, limit: 30, score_threshold: t });
    const asc = dist === "Euclid" || dist === "Manhattan";
    expect(kept.points.length).toBeGreaterThanOrEqual(7);
    for (const p of kept.points) expect(asc ? p.score <= t + 1e-5 : p.score >= t - 1e-5).toBe(true);
    const f = await h.client.query(name, { query: q, limit: 10, filter: { must: [{ key: "group", match: { value: "g1" } }] } });
    expect(f.points.map((p) => p.id)).toEqual(naiveTop(dist, q, xs, 10, (i) => i % 3 === 1));
  });

  it("searches by point id, excluding that point", async () => {
    const res = await h.client.query(name, { query: 42, limit: 5 });
    const want = naiveTop(dist, xs[42]!, xs, 6, (i) => i !== 42).slice(0, 5);
    expect(res.points.map((p) => p.id)).toEqual(want);
    const nearest = await h.client.query(name, { query: { nearest: 42 }, limit: 5 });
    expect(nearest.points.map((p) => p.id)).toEqual(want);
  });

  it("recommends with average_vector and best_score", async () => {
    const pos = [1, 2], neg = [3];
    const avg = (ids: number[]) => xs[0]!.map((_, d) => ids.reduce((s, i) => s + norm(dist, xs[i]!)[d]!, 0) / ids.length);
    const ap = avg(pos), an = avg(neg);
    const target = ap.map((v, d) => 2 * v - an[d]!);
    const res = await h.client.query(name, { query: { recommend: { positive: pos, negative: neg, strategy: "average_vector" } }, limit: 5 });
    expect(res.points.map((p) => p.id)).toEqual(naiveTop(dist, target, xs, 8, (i) => !pos.includes(i) && !neg.includes(i)).slice(0, 5));
    const best = await h.client.query(name, { query: { recommend: { positive: pos, negative: neg, strategy: "best_score" } }, limit: 5 });
    const sim = (a: number[], b: number[]) => {
      const s = naiveScore(dist, a, b);
      return dist === "Euclid" ? -(s * s) : dist === "Manhattan" ? -s : s;
    };
    const sig = (x: number) => 0.5 * (x / (1 + Math.abs(x)) + 1);
    const scored = xs.map((x, i) => {
      const bp = Math.max(...pos.map((p) => sim(xs[p]!, x)));
      const bn = Math.max(...neg.map((n) => sim(xs[n]!, x)));
      return { i, s: bp > bn ? sig(bp) : -sig(bn) };
    }).filter(({ i }) => !pos.includes(i) && !neg.includes(i)).sort((a, b) => b.s - a.s);
    expect(best.points.map((p) => p.score)).toEqual(scored.slice(0, 5).map(({ s }) => expect.closeTo(s, 4)));
  });
});

function norm(dist: Dist, v: number[]): number[] {
  if (dist !== "Cosine") return v;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe("points", () => {
  const name = "points";
  beforeAll(async () => {
    await h.client.createCollection(name, { vectors: { size: DIM, distance: "Euclid" } });
    await h.client.upsert(name, { wait: true, points: xs.slice(0, 50).map((v, i) => ({ id: i, vector: v, payload: payloadOf(i) })) });
  });

  it("gets one point and retrieves many, with payload selectors and vectors", async () => {
    const one = await h.client.api().getPoint({ collection_name: name, id: 7 });
    expect(one.data.result).toMatchObject({ id: 7, payload: payloadOf(7) });
    expect((one.data.result!.vector as number[]).map(Math.fround)).toEqual(xs[7]);
    const many = await h.client.retrieve(name, { ids: [3, 999, 4], with_payload: { include: ["group", "nested.v"] }, with_vector: true });
    expect(many.map((p) => p.id)).toEqual([3, 4]);
    expect(many[0]!.payload).toEqual({ group: "g0", nested: { v: 3 } });
    expect((many[1]!.vector as number[]).map(Math.fround)).toEqual(xs[4]);
    const ex = await h.client.retrieve(name, { ids: [5], with_payload: { exclude: ["tags", "nested"] } });
    expect(ex[0]!.payload).toEqual({ i: 5, group: "g2" });
    const keys = await h.client.retrieve(name, { ids: [5], with_payload: ["i"] });
    expect(keys[0]!.payload).toEqual({ i: 5 });
  });

  it("scrolls in id order with pages, filters and counts", async () => {
    const seen: unknown[] = [];
    let offset: string | number | null | undefined = undefined;
    do {
      const page: any = await h.client.scroll(name, { limit: 7, offset: offset ?? undefined, with_payload: false });
      seen.push(...page.points.map((p: { id: unknown }) => p.id));
      offset = page.next_page_offset;
    } while (offset !== null && offset !== undefined);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const odd = await h.client.scroll(name, { limit: 100, filter: { must: [{ key: "tags", match: { value: "odd" } }] } });
    expect(odd.points.map((p) => p.id)).toEqual(Array.from({ length: 25 }, (_, i) => 2 * i + 1));
    expect(await h.client.count(name, { filter: { must_not: [{ key: "tags", match: { any: ["odd"] } }] } })).toEqual({ count: 25 });
    expect(await h.client.count(name)).toEqual({ count: 50 });
  });

  it("sets, overwrites, deletes and clears payload", async () => {
    await h.client.setPayload(name, { payload: { color: "red" }, points: [1, 2] });
    await h.client.setPayload(name, { payload: { deep: 1 }, points: [1], key: "nested" });
    let [p1] = await h.client.retrieve(name, { ids: [1] });
    expect(p1!.payload).toEqual({ ...payloadOf(1), color: "red", nested: { v: 1, deep: 1 } });
    await h.client.overwritePayload(name, { payload: { only: true }, points: [2] });
    await h.client.deletePayload(name, { keys: ["color", "nested.deep"], points: [1] });
    await h.client.clearPayload(name, { points: [3] });
    [p1] = await h.client.retrieve(name, { ids: [1] });
    const [p2, p3] = await h.client.retrieve(name, { ids: [2, 3] });
    expect(p1!.payload).toEqual(payloadOf(1));
    expect(p2!.payload).toEqual({ only: true });
    expect(p3!.payload).toEqual({});
    await h.client.setPayload(name, { payload: { flag: 1 }, filter: { must: [{ key: "group", match: { value: "g2" } }] } });
    expect(await h.client.count(name, { filter: { must: [{ key: "flag", match: { value: 1 } }] } })).toEqual({ count: 15 }); // g2 minus point 2, overwritten above
  });

  it("deletes by ids and by filter", async () => {
    await h.client.delete(name, { wait: true, points: [0, 1] });
    await h.client.delete(name, { wait: true, filter: { must: [{ key: "i", range: { gte: 40 } }] } });
    expect((await h.client.count(name)).count).toBe(38);
    expect(await h.client.retrieve(name, { ids: [0, 40, 2] })).toHaveLength(1);
  });

  it("applies /points/batch operations in order, as one request", async () => {
    const res = await h.client.batchUpdate(name, {
      operations: [
        { upsert: { points: [{ id: 1000, vector: xs[0]!, payload: { b: 1 } }] } },
        { set_payload: { payload: { b: 2 }, points: [1000] } },
        { delete: { points: [2] } },
      ],
    });
    expect(res).toHaveLength(3);
    const [p] = await h.client.retrieve(name, { ids: [1000] });
    expect(p!.payload).toEqual({ b: 2 });
    expect(await h.client.retrieve(name, { ids: [2] })).toHaveLength(0);
  });

  it("accepts payload index creation and deletion", async () => {
    await h.client.createPayloadIndex(name, { field_name: "group", field_schema: "keyword", wait: true });
    expect(Object.keys((await h.client.getCollection(name)).payload_schema)).toEqual(["group"]);
    await h.client.deletePayloadIndex(name, "group");
    expect((await h.client.getCollection(name)).payload_schema).toEqual({});
  });

  it("answers query/batch; the endpoints Qdrant 1.19 removed answer 404 naming the replacement", async () => {
    const q = xs[9]!;
    const batch = await h.client.queryBatch(name, { searches: [{ query: q, limit: 3 }, { query: 10, limit: 2, with_payload: true }] });
    expect(batch).toHaveLength(2);
    expect(batch[0]!.points[0]!.id).toBe(9);
    expect(batch[1]!.points).toHaveLength(2);
    const r = await h.client.query(name, { query: { recommend: { positive: [9] } }, limit: 3 });
    expect(r.points.map((p) => p.id)).not.toContain(9);
    for (const old of ["search", "recommend", "search/batch", "recommend/batch"]) {
      const gone = await h.raw("POST", `/collections/${name}/points/${old}`, { vector: q, limit: 3 });
      expect(gone.status).toBe(404);
      expect(gone.json.status.error).toMatch(new RegExp(`points/${old} was removed in Qdrant 1\\.19.*use POST /collections/\\{name\\}/points/query`));
    }
    const uuids = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
    await h.client.upsert(name, { points: [{ id: uuids.replaceAll("-", "").toUpperCase(), vector: q }] });
    const got = await h.client.retrieve(name, { ids: [uuids] });
    expect(got[0]!.id).toBe(uuids);
  });
});
