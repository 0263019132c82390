/**
 * What one request may hold (src/store/embedded/limits.ts, prepare.ts,
 * wide-scan.ts), over real HTTP with the real client: vector values beyond
 * f32 refused before anything is applied, stored extremes never wedge a
 * search, nesting limited on parse (and what was accepted replays at
 * restart), every batch all-or-nothing, and `GET /` exactly Qdrant's keys.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError } from "../../src/store/embedded-store.js";
import { type Harness, harness, naiveScore, naiveTop, tempDir } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness("limits");
  await h.client.createCollection("e", { vectors: { size: 4, distance: "Euclid" } });
  await h.client.upsert("e", { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: [id, 0, 0, 0], payload: { n: id } })) });
});
afterAll(async () => {
  await h.stop();
});

async function expectError(p: Promise<{ status: number; json: any }>, status: number, message: RegExp) {
  const r = await p;
  expect([r.status, r.json?.status?.error]).toEqual([status, expect.stringMatching(message)]);
}

/** The collection as ids → payload, through scroll (what a client sees). */
async function state(name: string): Promise<Record<string, unknown>> {
  const r = await h.client.scroll(name, { limit: 1000, with_payload: true, with_vector: true });
  return Object.fromEntries(r.points.map((p) => [String(p.id), { payload: p.payload, vector: p.vector }]));
}

/** `{"a":{"a":...{"a":1}...}}` with `levels` objects. */
function nested(levels: number): string {
  return '{"a":'.repeat(levels - 1) + '{"a":1}' + "}".repeat(levels - 1);
}

describe("vector values beyond f32", () => {
  const BAD: [string, RegExp][] = [
    ["1e39", /is 1e\+39, outside the range of a 32-bit float/],
    ["3.4028236e38", /is 3\.4028236e\+38, outside the range of a 32-bit float/],
    ["-1e200", /is -1e\+200, outside the range of a 32-bit float/],
    ["1e400", /is Infinity, outside the range of a 32-bit float/],
    ["-1e999", /is -Infinity, outside the range of a 32-bit float/],
  ];

  it("are refused with 400 naming the place, before anything is applied", async () => {
    const before = await state("e");
    for (const [text, message] of BAD) {
      const body = `{"points":[{"id":7,"vector":[0,0,0,0]},{"id":8,"vector":[0,${text},0,0]}]}`;
      await expectError(h.raw("PUT", "/collections/e/points?wait=true", body), 400, new RegExp(`body\\.points\\[1\\]\\.vector\\[1\\] ${message.source}`));
      await expectError(h.raw("PUT", "/collections/e/points?wait=true", `{"batch":{"ids":[9],"vectors":[[${text},0,0,0]]}}`), 400, /body\.batch\.vectors\[0\]\[0\] is .* outside the range/);
      await expectError(h.raw("POST", "/collections/e/points/query", `{"query":[0,0,${text},0]}`), 400, /body\.query\[2\] is .* outside the range/);
      await expectError(h.raw("POST", "/collections/e/points/query/batch", `{"searches":[{"query":[0,0,0,${text}]}]}`), 400, /searches\[0\]\.query\[3\] is .* outside the range/);
      await expectError(
        h.raw("POST", "/collections/e/points/batch?wait=true", `{"operations":[{"delete":{"points":[1]}},{"upsert":{"points":[{"id":5,"vector":[${text},0,0,0]}]}}]}`),
        400, /operations\[1\]\.upsert\.points\[0\]\.vector\[0\] is .* outside/,
      );
    }
    // NaN is not JSON: a format error, never a stored NaN
    await expectError(h.raw("PUT", "/collections/e/points?wait=true", '{"points":[{"id":7,"vector":[NaN,0,0,0]}]}'), 400, /Format error in JSON body/);
    // the real client sends what it is given: 1e39 goes out as JSON and is refused
    await expect(h.client.upsert("e", { wait: true, points: [{ id: 7, vector: [1e39, 0, 0, 0] }] })).rejects.toMatchObject({ status: 400 });
    expect(await state("e")).toEqual(before);
  });

  it("in-process upsertPoints and query refuse non-finite values with HttpError 400", async () => {
    const store = h.running.store;
    for (const bad of [Infinity, -Infinity, NaN]) {
      const vectors = new Float32Array([0, 0, 0, 0, 0, 0, bad, 0]);
      const p = store.upsertPoints("e", { ids: [20, 21], vectors });
      await expect(p).rejects.toBeInstanceOf(HttpError);
      await expect(store.upsertPoints("e", { ids: [20, 21], vectors })).rejects.toThrow(/upsertPoints\.vectors\[1\]\[2\] must be a finite number/);
    }
    expect(() => store.query("e", { query: [0, 1e39, 0, 0] })).toThrow(/query\.query\[1\] is 1e\+39, outside the range of a 32-bit float/);
    expect(store.get("e").count).toBe(3);
  });

  it("the largest f32 values are stored, and searches over them still answer (in f64 where f32 overflows)", async () => {
    const MAX = 3.4028234663852886e38;
    const pts = [
      [MAX, -MAX, 1e20, 0], [-MAX, MAX, 0, 1], [1, 2, 3, 4], [1e30, 1e30, -1e30, 5], [0, 0, 0, 0],
    ].map((v) => v.map(Math.fround));
    for (const distance of ["Euclid", "Dot", "Manhattan", "Cosine"] as const) {
      const name = `big-${distance}`;
      await h.client.createCollection(name, { vectors: { size: 4, distance } });
      await h.client.upsert(name, { wait: true, points: pts.map((vector, id) => ({ id, vector })) });
      for (const q of [[1, 1, 1, 1], [MAX, MAX, MAX, MAX].map(Math.fround), [-1e25, 3, 1e25, 0]]) {
        const r = await h.client.query(name, { query: q, limit: 5 });
        // the order Qdrant gives, scored naively in f64 (Cosine: the zero vector scores 0)
        const want = naiveTop(distance, q, pts, 5, (i) => distance !== "Cosine" || i !== 4);
        const got = r.points.map((p) => p.id).filter((id) => distance !== "Cosine" || id !== 4);
        expect([distance, q, got]).toEqual([distance, q, want]);
        for (const p of r.points) {
          expect(Number.isFinite(p.score)).toBe(true);
          if (distance !== "Cosine") expect(p.score / naiveScore(distance, q, pts[p.id as number]!) || 1).toBeCloseTo(1, 5);
        }
      }
      const rec = await h.client.query(name, { query: { recommend: { positive: [0], negative: [1], strategy: "best_score" } }, limit: 3 });
      expect(rec.points.every((p) => Number.isFinite(p.score))).toBe(true);
      // 2·mean(positive) − mean(negative) of stored extremes leaves f32 (Cosine vectors are unit length: it cannot)
      const avg = await h.raw("POST", `/collections/${name}/points/query`, { query: { recommend: { positive: [0, 3], negative: [1] } } });
      if (distance === "Cosine") expect(avg.status).toBe(200);
      else expect([avg.status, avg.json.status.error]).toEqual([400, expect.stringMatching(/the recommend vector .* leaves the f32 range at \[0\]/)]);
    }
  });
});

describe("nesting", () => {
  it("a body nested deeper than 127 levels: 400 naming the place, whatever the depth, nothing applied", async () => {
    const before = await state("e");
    for (const levels of [127, 1000, 10_000, 200_000]) {
      await expectError(h.raw("PUT", "/collections/e/points?wait=true", `{"points":[{"id":1,"vector":[0,0,0,0],"payload":${nested(levels)}}]}`),
        400, /Format error in JSON body: recursion limit exceeded: the body nests arrays and objects deeper than 127 levels \(at body\.points\[0\]\.payload\.a\.a.*\)/);
      await expectError(h.raw("POST", "/collections/e/points/payload?wait=true", `{"points":[1],"payload":${nested(levels)}}`), 400, /recursion limit exceeded/);
      const filter = '{"must":['.repeat(levels) + "]}".repeat(levels);
      await expectError(h.raw("POST", "/collections/e/points/count", `{"filter":${filter}}`), 400, /recursion limit exceeded/);
      await expectError(h.raw("POST", "/collections/e/points/delete?wait=true", `{"filter":${filter}}`), 400, /recursion limit exceeded/);
      const arrays = "[".repeat(levels) + "]".repeat(levels);
      await expectError(h.raw("POST", "/collections/e/points/scroll", `{"filter":{"must":[{"key":"n","match":{"any":${arrays}}}]}}`), 400, /recursion limit exceeded/);
    }
    // brackets inside strings do not count
    const r = await h.raw("POST", "/collections/e/points/payload?wait=true", { points: [3], payload: { s: "[[[[{{{{".repeat(100) } });
    expect(r.status).toBe(200);
    await h.raw("POST", "/collections/e/points/payload/delete?wait=true", { points: [3], keys: ["s"] });
    expect(await state("e")).toEqual(before);
  });

  it("the deepest accepted payloads and filters replay at restart, compacted or not", async () => {
    const dir = tempDir("limits-replay");
    let s = await harness("limits-replay", { path: dir });
    try {
      await s.client.createCollection("d", { vectors: { size: 2, distance: "Dot" } });
      // body { points [ { payload ... : the payload may nest 124 more levels
      const deep = JSON.parse(nested(124));
      await s.client.upsert("d", { wait: true, points: [{ id: 1, vector: [1, 0], payload: deep }, { id: 2, vector: [0, 1], payload: {} }] });
      await s.client.overwritePayload("d", { wait: true, points: [2], payload: deep });
      // a key of 60 steps with a value 60 deep: 120 levels in the stored payload
      const key = Array.from({ length: 60 }, () => "k").join(".");
      await s.client.setPayload("d", { wait: true, points: [1], key, payload: JSON.parse(nested(60)) });
      // a filter 120 levels deep is logged as sent and re-evaluated at replay (it matches nothing)
      const filter = JSON.parse('{"must":['.repeat(60) + '{"key":"nope","match":{"value":1}}' + "]}".repeat(60));
      const del = await s.raw("POST", "/collections/d/points/delete?wait=true", { filter });
      expect(del.status).toBe(200);
      const want = await s.client.retrieve("d", { ids: [1, 2], with_payload: true });
      expect(want).toHaveLength(2);
      for (const compact of [false, true]) {
        if (compact) await s.running.store.compact("d");
        await s.stop();
        s = await harness("limits-replay", { path: dir });
        expect(await s.client.retrieve("d", { ids: [1, 2], with_payload: true })).toEqual(want);
      }
    } finally {
      await s.stop();
    }
  });

  it("a key path or a set_payload that would nest too deep: 400; in-process payloads and queries too", async () => {
    const key65 = Array.from({ length: 65 }, () => "k").join(".");
    await expectError(h.raw("POST", "/collections/e/points/payload", { points: [1], key: key65, payload: { a: 1 } }), 400, /has 65 steps; at most 64 are allowed/);
    await expectError(h.raw("POST", "/collections/e/points/scroll", { with_payload: [key65] }), 400, /has 65 steps/);
    const key64 = Array.from({ length: 64 }, () => "k").join(".");
    await expectError(h.raw("POST", "/collections/e/points/payload", `{"points":[1],"key":"${key64}","payload":${nested(64)}}`),
      400, /would nest deeper than 127 levels/);
    const store = h.running.store;
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    await expect(store.upsertPoints("e", { ids: [30], vectors: new Float32Array(4), payloads: [deep] })).rejects.toThrow(/upsertPoints\.payloads\[0\] is nested deeper than 127 levels/);
    let filter: Record<string, unknown> = { key: "n", match: { value: 1 } };
    for (let i = 0; i < 10_000; i++) filter = { must: [filter] };
    expect(() => store.query("e", { filter })).toThrow(HttpError);
    await expectError(h.raw("PUT", "/collections/e/points?wait=true", '{"points":[{"id":1,"vector":[0,0,0,0],"payload":{"x":1e999}}]}'),
      400, /body\.points\[0\]\.payload\.x is Infinity; payload numbers must be finite/);
    expect(store.get("e").count).toBe(3);
  });
});

describe("all or nothing", () => {
  it("a batch whose later operation is bad leaves the collection unchanged", async () => {
    const before = await state("e");
    const deepText = nested(130);
    const cases: [string, number, RegExp][] = [
      [`[{"upsert":{"points":[{"id":10,"vector":[1,1,1,1]}]}},{"set_payload":{"points":[999],"payload":{"x":1}}}]`, 404, /No point with id 999 found/],
      [`[{"delete":{"points":[1]}},{"overwrite_payload":{"points":[2],"payload":${deepText}}}]`, 400, /recursion limit exceeded/],
      [`[{"delete":{"points":[1]}},{"delete":{"filter":{"must":[{"key":"n","range":{"gt":"x"}}]}}}]`, 400, /operations\[1\]\.delete\.filter\.must\[0\]\.range\.gt must be/],
      [`[{"clear_payload":{"points":[1]}},{"delete_payload":{"points":[2],"keys":["a..b"]}}]`, 400, /operations\[1\]\.delete_payload\.keys\[0\]/],
      [`[{"upsert":{"points":[{"id":11,"vector":[1,1,1,1]}]}},{"upsert":{"points":[{"id":12,"vector":[1,1,1]}]}}]`, 400, /Vector dimension error/],
      [`[{"delete":{"points":[1]}},{"set_payload":{"points":[2],"payload":{"x":1e999}}}]`, 400, /payload numbers must be finite/],
      [`[{"delete":{"points":[1]}},{"nonsense":{}}]`, 400, /operations\[1\] must be one of/],
    ];
    for (const [ops, status, message] of cases) {
      await expectError(h.raw("POST", "/collections/e/points/batch?wait=true", `{"operations":${ops}}`), status, message);
      expect(await state("e")).toEqual(before);
      expect((await h.client.count("e")).count).toBe(3);
    }
  });
});

describe("GET /", () => {
  it("answers exactly Qdrant's keys", async () => {
    const r = await h.raw("GET", "/");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["commit", "title", "version"]);
    expect(r.json.title).toBe("qdrant - vector search engine");
    expect(r.json.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
