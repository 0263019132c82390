/**
 * `serve()`'s HTTP API over real HTTP, against the embedded store: the
 * isolation headers on every answer, typed JSON errors, input checks, and
 * thumbnails confined to the image folder (no traversal, no symlink escape).
 */

import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, listMarks, QdrantStore, startEmbeddedStore, type RunningStore } from "../../src/index.js";
import { serve, type ServeHandle } from "../../src/serve/index.js";
import { MODEL } from "./env.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010800000000", "hex");
const DIM = 64;
const vec = (seed: number) => Array.from({ length: DIM }, (_, i) => Math.sin(seed * 31 + i));
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe("serve(): the JSON API", () => {
  let tmp: string;
  let running: RunningStore;
  let store: QdrantStore;
  let server: ServeHandle;
  const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
  const post = (body: unknown) => get("/api/search", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "margin-serve-"));
    const images = join(tmp, "images");
    await mkdir(join(images, "bag"), { recursive: true });
    await writeFile(join(images, "bag", "a.png"), PNG);
    await writeFile(join(tmp, "secret.png"), PNG);
    await symlink(join(tmp, "secret.png"), join(images, "bag", "link.png"));
    running = await startEmbeddedStore({ path: join(tmp, "store"), port: 0 });
    store = await QdrantStore.connect({ url: running.url });
    await store.ensureCollection({ name: "c", size: DIM, distance: "Euclid" });
    await store.upsert("c", [
      { id: ID(1), vector: vec(1), payload: { path: "bag/a.png", label: "bag" } },
      { id: ID(2), vector: vec(2), payload: { path: "../secret.png", label: "bag" } },
      { id: ID(3), vector: vec(3), payload: { path: "bag/link.png", label: "bag" } },
      { id: ID(4), vector: vec(4), payload: { path: "bag/missing.png", label: "shoe" } },
      { id: ID(5), vector: vec(5), payload: { label: "shoe" } },
    ]);
    server = await serve({ port: 0, collection: "c", store, modelCard: MODEL, imagesRoot: images });
  });
  afterAll(async () => {
    await server?.close();
    await running?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it("POST /api/feedback ranks the marks with the strategy as search() does, and checks its body", async () => {
    const fb = (body: unknown) => get("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const r = await fb({ vector: vec(1), positives: [ID(2)], negatives: [ID(4)], strategy: "sum-scores", limit: 3 });
    expect(r.status).toBe(200);
    const body = await r.json();
    // Qdrant's sum_scores in the store: Σ −d² to the query and the right mark, + d² to the wrong one
    const d2 = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
    const want = [1, 3, 5].map((n) => ({ id: ID(n), s: -d2(vec(n), vec(1)) - d2(vec(n), vec(2)) + d2(vec(n), vec(4)) })).sort((a, b) => b.s - a.s);
    expect(body.strategy).toBe("sum-scores");
    expect(body.results.map((h: { id: string }) => h.id)).toEqual(want.map((w) => w.id));
    body.results.forEach((h: { score: number }, i: number) => expect(h.score).toBeCloseTo(want[i]!.s, 2));
    // the marks are kept with the collection, with the query vector as searched (refused bodies record nothing)
    const kept = await listMarks(store, "c");
    expect(kept.records).toHaveLength(1);
    expect(kept.records[0]).toMatchObject({ queryId: null, right: [ID(2)], wrong: [ID(4)], model: "fashion-mnist-triplet-64" });
    Array.from(kept.records[0]!.queryVector).forEach((x, d) => expect(x).toBeCloseTo(vec(1)[d]!, 5));
    for (const [bad, message] of [
      [{ vector: vec(1), positives: [], negatives: [], strategy: "kde" }, "mark at least one result"],
      [{ vector: vec(1), positives: [ID(2)], negatives: [], strategy: "magic" }, 'strategy must be one of "plain"'],
      [{ vector: vec(1), positives: ["x"], negatives: [], strategy: "kde" }, 'point id "x" is neither a UUID nor an unsigned integer'],
      [{ vector: vec(1), positives: [1.5], negatives: [], strategy: "kde" }, "positives[0] must be a point id"],
      [{ vector: [1], positives: [ID(2)], negatives: [], strategy: "kde" }, "POST /api/feedback: vector has 1 values but the model outputs 64"],
    ] as const) {
      const e = await fb(bad);
      expect(e.status).toBe(400);
      expect((await e.json()).error.message).toContain(message);
    }
    expect((await listMarks(store, "c")).records).toHaveLength(1);
  });

  it("sends COOP/COEP on every answer, errors included", async () => {
    for (const [path, status] of [["/", 200], ["/api/model", 200], ["/api/model.onnx", 200], ["/build/margin.wasm", 200], ["/api/nope", 404], ["/nope.js", 404]] as const) {
      const r = await get(path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(r.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      await r.arrayBuffer();
    }
  });

  it("answers the model card, the ONNX bytes, the kernels wasm and collection info", async () => {
    const m = await (await get("/api/model")).json();
    expect(m.card.name).toBe("fashion-mnist-triplet-64");
    expect(m.onnx).toBe("/api/model.onnx");
    const wasm = await get("/build/margin.wasm");
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer()))).toBe(true);
    expect(await (await get("/api/collection")).json()).toEqual({
      name: "c", points: 5, model: "fashion-mnist-triplet-64", dim: DIM, distance: "Euclid", thumbnails: true,
    });
  });

  it("searches by vector with a filter, and returns vectors when asked", async () => {
    const r = await post({ vector: vec(1), limit: 3, withVectors: true, filter: { must: [{ key: "label", match: { value: "bag" } }] } });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.results.map((h: { id: string }) => h.id)).toEqual([ID(1), ID(2), ID(3)]);
    expect(body.results[0].score).toBeCloseTo(0, 5);
    expect(body.results[0].payload.label).toBe("bag");
    expect(body.results[0].vector).toHaveLength(DIM);
    const plain = await (await post({ vector: vec(4) })).json();
    expect(plain.results).toHaveLength(5);
    expect(plain.results[0].vector).toBeUndefined();
  });

  it("refuses bad search bodies with typed JSON errors", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ vector: [1, 2] }, /vector has 2 values but the model outputs 64/],
      [{ vector: [...vec(1).slice(1), "x"] }, /vector\[63\] must be a finite number/],
      [{ vector: vec(1), limit: 0 }, /limit must be an integer in \[1, 1000\]/],
      [{ vector: vec(1), filter: [] }, /filter must be a Qdrant filter object/],
      [{ vector: vec(1), k: 3 }, /unknown field "k"/],
      [[1, 2], /the body must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect(r.status).toBe(400);
      const e = await r.json();
      expect(e.error.code).toBe("E_INPUT");
      expect(e.error.message).toMatch(message);
    }
    const notJson = await get("/api/search", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
    expect([notJson.status, (await notJson.json()).error.message]).toEqual([400, expect.stringMatching(/not valid JSON/)]);
    const wrongType = await get("/api/search", { method: "POST", body: "x" });
    expect(wrongType.status).toBe(415);
    const wrongMethod = await get("/api/search");
    expect([wrongMethod.status, (await wrongMethod.json()).error.message]).toEqual([405, "GET /api/search is not allowed; use POST"]);
    const huge = await post({ vector: new Array(300_000).fill(0.5) });
    expect(huge.status).toBe(413);
  });

  it("serves a stored image by point id, and nothing outside the image folder", async () => {
    const ok = await get(`/api/thumb/${ID(1)}`);
    expect([ok.status, ok.headers.get("content-type")]).toEqual([200, "image/png"]);
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(PNG);
    const expectError = async (path: string, status: number, message: RegExp) => {
      const r = await get(path);
      const body = await r.json();
      expect([path, r.status]).toEqual([path, status]);
      expect(body.error.message).toMatch(message);
    };
    await expectError(`/api/thumb/${ID(2)}`, 403, /leaves the served folder/);
    await expectError(`/api/thumb/${ID(3)}`, 403, /links outside the served folder/);
    await expectError(`/api/thumb/${ID(4)}`, 404, /no file "bag\/missing.png"/);
    await expectError(`/api/thumb/${ID(5)}`, 404, /has no payload "path"/);
    await expectError(`/api/thumb/${ID(9)}`, 404, /no point .* in collection "c"/);
    await expectError("/api/thumb/..%2F..%2Fetc%2Fpasswd", 400, /neither a UUID nor an unsigned integer/);
    // encoded slashes stay part of one name; dot segments are resolved by the URL parser first
    await expectError("/..%2F..%2Fpackage.json", 404, /no file "\.\.%2F\.\.%2Fpackage\.json"/);
    await expectError("/%2e%2e/%2e%2e/package.json", 404, /no file "package.json" under the served folder/);
  });

  it("says which collection is missing, and what to do about an unbound port", async () => {
    const other = await serve({ port: 0, collection: "absent", store, modelCard: MODEL });
    try {
      const r = await fetch(`${other.url}/api/collection`);
      expect(r.status).toBe(502);
      expect((await r.json()).error.message).toMatch(/collection "absent"/);
      const t = await fetch(`${other.url}/api/thumb/${ID(1)}`);
      expect((await t.json()).error.message).toMatch(/start `margin serve` with --images DIR/);
    } finally {
      await other.close();
    }
    const taken = serve({ port: server.port, collection: "c", store, modelCard: MODEL });
    await expect(taken).rejects.toThrow(InputError);
    await expect(taken).rejects.toThrow(/port \d+ is taken; use --port with another one/);
    await expect(serve({ port: 70000, collection: "c", store, modelCard: MODEL })).rejects.toThrow(/port must be an integer in \[0, 65535\], got 70000/);
  });
});
