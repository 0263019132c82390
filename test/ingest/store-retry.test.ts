import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QdrantStore, StoreError } from "../../src/index.js";

// A stand-in for a failing Qdrant: answers the listing, and fails the first
// `failures` upserts with 503 (or every one with `always`), counting requests.
let server: Server;
let url: string;
const state = { failures: 0, upserts: 0, bodies: [] as number[], status: 503 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && req.url === "/collections") return send(200, { result: { collections: [] }, status: "ok", time: 0 });
      if (req.method === "PUT" && req.url?.startsWith("/collections/c/points")) {
        state.upserts++;
        state.bodies.push(Buffer.concat(chunks).length);
        if (state.failures > 0) {
          state.failures--;
          return send(state.status, { status: { error: "Service Unavailable: overloaded" }, time: 0 });
        }
        return send(200, { result: { operation_id: 1, status: "completed" }, status: "ok", time: 0 });
      }
      send(404, { status: { error: "Not found" }, time: 0 });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const points = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, vector: new Float32Array(64).fill(0.5), payload: { path: `p${i}.png` } }));

describe("QdrantStore retries", () => {
  it("retries transient failures with backoff and then succeeds", async () => {
    const store = await QdrantStore.connect({ url, retries: 3, backoffMs: 1 });
    Object.assign(state, { failures: 2, upserts: 0, status: 503 });
    await store.upsert("c", points(3));
    expect(state.upserts).toBe(3);
  });

  it("gives up after the bounded retries with a StoreError that says what and how", async () => {
    const store = await QdrantStore.connect({ url, retries: 2, backoffMs: 1 });
    Object.assign(state, { failures: 100, upserts: 0, status: 503 });
    const err = await store.upsert("c", points(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe(`Qdrant at ${url}, collection "c": upsert failed after 3 tries: 503 Service Unavailable: overloaded; ` +
      "the server is failing; check its logs and rerun (acknowledged points are kept)");
    expect(state.upserts).toBe(3);
  });

  it("does not retry a refused request (4xx)", async () => {
    const store = await QdrantStore.connect({ url, retries: 5, backoffMs: 1 });
    Object.assign(state, { failures: 1, upserts: 0, status: 400 });
    await expect(store.upsert("c", points(1))).rejects.toThrow(/upsert failed after 1 try: 400 .*the request was refused/);
    expect(state.upserts).toBe(1);
  });

  it("splits upserts to stay under the request size limit", async () => {
    const store = await QdrantStore.connect({ url, retries: 0 });
    Object.assign(state, { failures: 0, upserts: 0, bodies: [] });
    await store.upsert("c", points(100), { maxBytes: 20_000 });
    expect(state.upserts).toBeGreaterThan(1);
    expect(Math.max(...state.bodies)).toBeLessThanOrEqual(20_000);
    await expect(store.upsert("c", [{ id: 1, vector: [NaN] }])).rejects.toThrow("point 1 has a non-finite vector value NaN");
  });
});
