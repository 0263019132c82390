/** Bad requests get Qdrant-style 4xx bodies that say what is wrong, and change nothing. */

import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { EmbeddedStore, startEmbeddedStore } from "../../src/store/embedded-store.js";
import { type Harness, harness, tempDir } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness("errors", { maxBodyBytes: 64 * 1024 });
  await h.client.createCollection("c", { vectors: { size: 3, distance: "Cosine" } });
  await h.client.upsert("c", { points: [{ id: 1, vector: [1, 0, 0], payload: { a: 1 } }] });
});
afterAll(async () => {
  await h.stop();
});

async function expectError(p: Promise<{ status: number; json: any }>, status: number, message: RegExp) {
  const r = await p;
  expect(r.status).toBe(status);
  expect(r.json.status.error).toMatch(message);
  expect(typeof r.json.time).toBe("number");
}

describe("bad requests", () => {
  it("a vector of the wrong size: 400, nothing applied", async () => {
    await expectError(
      h.raw("PUT", "/collections/c/points?wait=true", { points: [{ id: 2, vector: [1, 0, 0] }, { id: 3, vector: [1, 2] }] }),
      400, /Vector dimension error: expected dim: 3, got 2 \(at body\.points\[1\]\.vector\)/,
    );
    expect((await h.client.count("c")).count).toBe(1);
  });

  it("an unknown collection: 404", async () => {
    await expectError(h.raw("POST", "/collections/nope/points/query", { query: [1, 0, 0] }), 404, /Not found: Collection `nope` doesn't exist!/);
    await expectError(h.raw("GET", "/collections/nope"), 404, /doesn't exist/);
  });

  it("an id neither unsigned integer nor UUID: 400", async () => {
    await expectError(h.raw("PUT", "/collections/c/points", { points: [{ id: -4, vector: [1, 0, 0] }] }), 400, /point id -4 is neither an unsigned integer nor a UUID/);
    await expectError(h.raw("PUT", "/collections/c/points", { points: [{ id: "abc", vector: [1, 0, 0] }] }), 400, /"abc" is neither/);
    await expectError(h.raw("GET", "/collections/c/points/xyz"), 400, /neither an unsigned integer nor a UUID/);
  });

  it("a missing point: 404", async () => {
    await expectError(h.raw("GET", "/collections/c/points/77"), 404, /No point with id 77 found/);
    await expectError(h.raw("POST", "/collections/c/points/payload", { payload: { x: 1 }, points: [77] }), 404, /No point with id 77 found/);
  });

  it("malformed JSON and a body that is not an object: 400", async () => {
    await expectError(h.raw("PUT", "/collections/c/points", '{"points": [ {"id": 1,'), 400, /Format error in JSON body/);
    await expectError(h.raw("PUT", "/collections/c/points", "[1,2]"), 400, /expected a JSON object/);
  });

  it("a body over the limit: 413", async () => {
    const big = { points: Array.from({ length: 3000 }, (_, i) => ({ id: i + 10, vector: [0.1, 0.2, 0.3], payload: { pad: "x".repeat(20) } })) };
    await expectError(h.raw("PUT", "/collections/c/points", big), 413, /Payload too large/);
    expect((await h.client.count("c")).count).toBe(1);
  });

  it("a filter of unknown shape: 400 naming the place", async () => {
    await expectError(h.raw("POST", "/collections/c/points/count", { filter: { must: [{ color: "red" }] } }), 400, /filter\.must\[0\]: condition .* has an unknown shape/);
    await expectError(h.raw("POST", "/collections/c/points/delete?wait=true", { filter: { must: [{ key: "a", match: {} }] } }), 400, /unknown shape/);
    expect((await h.client.count("c")).count).toBe(1);
  });

  it("a batch with one bad operation applies none of it", async () => {
    await expectError(h.raw("POST", "/collections/c/points/batch?wait=true", {
      operations: [{ upsert: { points: [{ id: 5, vector: [0, 1, 0] }] } }, { delete: { points: ["nope"] } }],
    }), 400, /operations\[1\]\.delete\.points\[0\]/);
    expect((await h.client.count("c")).count).toBe(1);
  });

  it("collections: 409 when it exists, 400 for a bad config or name", async () => {
    await expectError(h.raw("PUT", "/collections/c", { vectors: { size: 3, distance: "Cosine" } }), 409, /already exists/);
    await expectError(h.raw("PUT", "/collections/d", { vectors: { size: 3, distance: "Hamming" } }), 400, /Should be one of: "Cosine", "Euclid", "Dot", "Manhattan"/);
    await expectError(h.raw("PUT", "/collections/d", { vectors: { size: 0, distance: "Dot" } }), 400, /size must be an integer/);
    await expectError(h.raw("PUT", "/collections/.hidden", { vectors: { size: 2, distance: "Dot" } }), 400, /not allowed/);
  });

  it("unsupported query kinds say so", async () => {
    await expectError(h.raw("POST", "/collections/c/points/query", { query: { foo: { sum: [1, "$score"] } } }), 400, /"foo" is not supported by the embedded store/);
    await expectError(h.raw("POST", "/collections/c/points/query", { query: [1, 0, 0], using: "image" }), 400, /Not existing vector name/);
    await expectError(h.raw("POST", "/collections/c/points/query", { query: [1, 0, 0], limit: 0 }), 422, /^Validation error in JSON body: \[limit: value 0 invalid, must be 1 or larger\]$/);
  });

  it("unknown routes: 404 in Qdrant's shape; the wrong method: 405", async () => {
    await expectError(h.raw("GET", "/cluster"), 404, /no endpoint GET \/cluster/);
    await expectError(h.raw("POST", "/collections/c/exists"), 405, /not allowed/);
  });

  it("treats __proto__ and constructor as plain payload keys", async () => {
    const r = await h.raw("POST", "/collections/c/points/payload?wait=true", JSON.parse('{"payload": {"__proto__": {"polluted": 1}}, "points": [1], "key": "__proto__"}'));
    expect(r.status).toBe(200);
    await h.raw("POST", "/collections/c/points/payload?wait=true", JSON.parse('{"payload": {"__proto__": {"polluted": 2}}, "points": [1]}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [p] = await h.client.retrieve("c", { ids: [1] });
    expect(Object.getPrototypeOf(p!.payload)).toBe(Object.prototype);
    expect(JSON.stringify(p!.payload)).toBe('{"a":1,"__proto__":{"polluted":2}}');
    expect((await h.client.count("c", { filter: { must: [{ is_empty: { key: "constructor" } }] } })).count).toBe(1);
    await h.client.overwritePayload("c", { payload: { a: 1 }, points: [1] });
  });

  it("sends no CORS headers unless asked", async () => {
    const r = await h.raw("GET", "/collections");
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("security", () => {
  it("with an API key, requests without the matching api-key header get 401", async () => {
    const k = await harness("key", { apiKey: "s3cret", cors: "http://localhost:5173" });
    try {
      await expectError(k.raw("GET", "/collections"), 401, /Must provide an API key/);
      await expectError(k.raw("GET", "/collections", undefined, { "api-key": "wrong" }), 401, /API key/);
      const ok = await k.raw("GET", "/collections", undefined, { "api-key": "s3cret", origin: "http://localhost:5173" });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      const bearer = await k.raw("GET", "/collections", undefined, { authorization: "Bearer s3cret" });
      expect(bearer.status).toBe(200);
      expect((await k.raw("GET", "/healthz")).status).toBe(200);
    } finally {
      await k.stop();
    }
  });

  it("binds 127.0.0.1 by default", () => {
    expect(h.running.host).toBe("127.0.0.1");
    expect(h.running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("a second store on the same folder gets a StoreError naming the folder and the owner", async () => {
    const err = await EmbeddedStore.open({ path: h.dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(h.dir);
    expect((err as Error).message).toContain(`process ${process.pid}`);
  });

  it("a port in use is a StoreError that says what to do", async () => {
    const dir = tempDir("port");
    const err = await startEmbeddedStore({ path: dir, port: h.running.port }).catch((e: unknown) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/another server uses the port: pass --port/);
  });
});
