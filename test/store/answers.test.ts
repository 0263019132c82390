/**
 * Qdrant's answers: 422 for schema violations (wording of Qdrant's
 * validation.rs), 400 for semantic errors, settings kept and returned by GET
 * (across a restart), payload indexes with acknowledged / completed and their
 * points counts. Every response goes through the schema-validating harness.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, tempDir } from "./helpers.js";
import { rmSync } from "node:fs";

let h: Harness;

beforeAll(async () => {
  h = await harness("answers");
  await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("c", {
    wait: true,
    points: [
      { id: 1, vector: [1, 0], payload: { color: "red", n: 3, tags: ["a", "b"] } },
      { id: 2, vector: [0, 1], payload: { color: 7, n: 2.5 } },
      { id: 3, vector: [1, 1], payload: { n: [1, 2] } },
      { id: 4, vector: [1, 2], payload: {} },
    ],
  });
});
afterAll(async () => {
  await h.stop();
});

async function expect422(method: string, path: string, body: unknown, message: string) {
  const r = await h.raw(method, path, body);
  expect(r.status).toBe(422);
  expect(r.json.status.error).toBe(message);
}

describe("422 where Qdrant validates the schema", () => {
  it("collection create: factors, HNSW, WAL, optimizers, name length", async () => {
    const v = { size: 2, distance: "Dot" };
    await expect422("PUT", "/collections/x", { vectors: v, shard_number: 0 }, "Validation error in JSON body: [shard_number: value 0 invalid, must be 1 or larger]");
    await expect422("PUT", "/collections/x", { vectors: v, replication_factor: -1 }, "Validation error in JSON body: [replication_factor: value -1 invalid, must be 1 or larger]");
    await expect422("PUT", "/collections/x", { vectors: v, write_consistency_factor: 0, hnsw_config: { ef_construct: 0 } },
      "Validation error in JSON body: [write_consistency_factor: value 0 invalid, must be 1 or larger; hnsw_config.ef_construct: value 0 invalid, must be 4 or larger]");
    await expect422("PUT", "/collections/x", { vectors: v, wal_config: { wal_capacity_mb: 0 } }, "Validation error in JSON body: [wal_config.wal_capacity_mb: value 0 invalid, must be 1 or larger]");
    await expect422("PUT", "/collections/x", { vectors: v, optimizers_config: { deleted_threshold: 1.5 } }, "Validation error in JSON body: [optimizers_config.deleted_threshold: value 1.5 invalid, must be from 0.0 to 1.0]");
    const long = "n".repeat(256);
    await expect422("PUT", `/collections/${long}`, { vectors: v }, `Validation error in path parameters: [collection_name: value "${long}" invalid, must be from 1 to 255 characters]`);
    expect((await h.client.collectionExists("x")).exists).toBe(false); // nothing was created
  });

  it("collection update: params and HNSW ranges", async () => {
    await expect422("PATCH", "/collections/c", { params: { replication_factor: 0 } }, "Validation error in JSON body: [params.replication_factor: value 0 invalid, must be 1 or larger]");
    await expect422("PATCH", "/collections/c", { hnsw_config: { full_scan_threshold: 5 } }, "Validation error in JSON body: [hnsw_config.full_scan_threshold: value 5 invalid, must be 10 or larger]");
  });

  it("queries: hnsw_ef 0, a condition with only key, recommend without examples, limit 0 in a prefetch", async () => {
    await expect422("POST", "/collections/c/points/query", { query: [1, 0], params: { hnsw_ef: 0 } }, "Validation error in JSON body: [params.hnsw_ef: value 0 invalid, must be 1 or larger]");
    await expect422("POST", "/collections/c/points/query", { query: [1, 0], filter: { must: [{ key: "color" }] } },
      "Validation error in JSON body: [filter.must[0]: Validation error: At least one field condition must be specified [{}]]");
    await expect422("POST", "/collections/c/points/query", { query: { recommend: { positive: [], negative: [] } } },
      "Validation error in JSON body: [query.recommend.positives, negatives: Validation error: At least one positive or negative vector/id must be provided [{}]]");
    await expect422("POST", "/collections/c/points/query/batch", { searches: [{ query: [1, 0] }, { query: [1, 0], filter: { should: { key: "n", match: null } } }] },
      "Validation error in JSON body: [searches[1].filter.should: Validation error: At least one field condition must be specified [{}]]");
    await expect422("POST", "/collections/c/points/scroll", { filter: { must_not: [{ must: [{ key: "n" }] }] } },
      "Validation error in JSON body: [filter.must_not[0].must[0]: Validation error: At least one field condition must be specified [{}]]");
    await expect422("POST", "/collections/c/points/count", { filter: { min_should: { conditions: [{ key: "n", range: { gt: 1 } }], min_count: 0 } } },
      "Validation error in JSON body: [filter.min_should.min_count: value 0 invalid, must be 1 or larger]");
  });

  it("semantic errors stay 400 and missing things 404", async () => {
    const r = await h.raw("POST", "/collections/c/points/query", { query: [1, 0, 0] });
    expect(r.status).toBe(400);
    expect(r.json.status.error).toMatch(/^Wrong input: /);
    expect((await h.raw("POST", "/collections/nope/points/query", { query: [1, 0] })).status).toBe(404);
    expect((await h.raw("GET", "/collections/c/points/99")).status).toBe(404);
    const q = await h.raw("PUT", "/collections/q", { vectors: { size: 2, distance: "Dot" }, quantization_config: { product: { compression: "x4" } } });
    expect(q.status).toBe(400);
    expect(q.json.status.error).toMatch(/^Wrong input: quantization_config.product: product quantization is not supported by the embedded store/);
    const u = await h.raw("PATCH", "/collections/c", { sparse_vectors: { s: { modifier: "none" } } });
    expect(u.status).toBe(400);
    expect(u.json.status.error).toMatch(/^Wrong input: sparse_vectors is not supported by the embedded store on update/);
    const bad = await h.raw("PUT", "/collections/c/index", { field_name: "color", field_schema: "colour" });
    expect(bad.status).toBe(400);
    expect(bad.json.status.error).toMatch(/field_schema must be one of "keyword", .*got "colour"/);
  });
});

describe("settings the store keeps without acting on them", () => {
  it("create and PATCH merge over the defaults; GET answers them, after a restart too", async () => {
    const dir = tempDir("answers-settings");
    const g = await harness("answers-settings", { path: dir });
    try {
      await g.client.createCollection("s", {
        vectors: { size: 3, distance: "Cosine" }, shard_number: 3, replication_factor: 2, on_disk_payload: true,
        hnsw_config: { m: 32, ef_construct: 200 }, wal_config: { wal_capacity_mb: 64 }, optimizers_config: { indexing_threshold: 5000 },
      });
      await g.client.updateCollection("s", { params: { write_consistency_factor: 2 }, hnsw_config: { m: 8 }, optimizers_config: { deleted_threshold: 0.5 } });
    } finally {
      await g.stop();
    }
    const g2 = await harness("answers-settings", { path: dir });
    try {
      const c = (await g2.client.getCollection("s")).config;
      expect(c.params).toEqual({ vectors: { size: 3, distance: "Cosine" }, shard_number: 3, replication_factor: 2, write_consistency_factor: 2, on_disk_payload: true });
      expect(c.hnsw_config).toEqual({ m: 8, ef_construct: 200, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false });
      expect(c.wal_config).toEqual({ wal_capacity_mb: 64, wal_segments_ahead: 0 });
      expect(c.optimizer_config.indexing_threshold).toBe(5000);
      expect(c.optimizer_config.deleted_threshold).toBe(0.5);
      expect(c.optimizer_config.vacuum_min_vector_number).toBe(1000); // untouched default
    } finally {
      await g2.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("payload indexes", () => {
  it("answers acknowledged without wait and completed with it; lists type, params and points", async () => {
    const a = await h.raw("PUT", "/collections/c/index", { field_name: "color", field_schema: "keyword" });
    expect(a.status).toBe(200);
    expect(a.json.result.status).toBe("acknowledged");
    const b = await h.client.createPayloadIndex("c", { field_name: "n", field_schema: { type: "float" } as never, wait: true });
    expect(b.status).toBe("completed");
    await h.client.createPayloadIndex("c", { field_name: "tags", field_schema: "keyword", wait: true });
    const schema = (await h.client.getCollection("c")).payload_schema;
    // color: a string only on point 1 (point 2's is a number); n: numbers on 1, 2, 3 (3 holds an array of numbers)
    expect(schema).toEqual({
      color: { data_type: "keyword", points: 1 },
      n: { data_type: "float", params: { type: "float" }, points: 3 },
      tags: { data_type: "keyword", points: 1 },
    });
    const d = await h.raw("DELETE", "/collections/c/index/tags");
    expect(d.json.result.status).toBe("acknowledged");
    const d2 = await h.client.deletePayloadIndex("c", "color", { wait: true });
    expect(d2.status).toBe("completed");
    expect(Object.keys((await h.client.getCollection("c")).payload_schema)).toEqual(["n"]);
  });
});

describe("health, telemetry and metrics", () => {
  it("counts requests by endpoint and status, and collections and points as they are", async () => {
    const g = await harness("answers-telemetry");
    try {
      for (const p of ["/healthz", "/livez", "/readyz"]) {
        const r = await g.raw("GET", p);
        expect(r.status).toBe(200);
        expect(r.headers.get("content-type")).toBe("text/plain");
      }
      await g.client.createCollection("t", { vectors: { size: 2, distance: "Dot" } });
      await g.client.upsert("t", { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: [id, 0] })) });
      expect((await g.raw("GET", "/collections/missing")).status).toBe(404);
      expect((await g.raw("GET", "/collections/missing")).status).toBe(404);
      const t = await g.raw("GET", "/telemetry");
      expect(t.status).toBe(200);
      const res = t.json.result.requests.rest.responses;
      expect(t.json.result.collections).toEqual({ number_of_collections: 1 });
      expect(res["PUT /collections/{name}"]["200"].count).toBe(1);
      expect(res["PUT /collections/{name}/points"]["200"].count).toBe(1);
      expect(res["GET /collections/{name}"]["404"]).toMatchObject({ count: 2, fail_count: 2 });
      expect(res["GET /healthz"]["200"].count).toBe(1);
      const s = res["GET /collections/{name}"]["404"];
      expect(s.min_duration_micros).toBeLessThanOrEqual(s.avg_duration_micros);
      expect(s.avg_duration_micros).toBeLessThanOrEqual(s.max_duration_micros);
      const m = await g.raw("GET", "/metrics");
      expect(m.status).toBe(200);
      const text = m.json as string;
      expect(text).toContain("\ncollections_total 1\n");
      expect(text).toContain("\ncollections_vector_total 3\n");
      expect(text).toContain('\ncollection_points{collection="t"} 3\n');
      expect(text).toContain('\nrest_responses_total{method="GET",endpoint="/collections/{name}",status="404"} 2\n');
      expect(text).toContain('\nrest_responses_fail_total{method="GET",endpoint="/collections/{name}",status="404"} 2\n');
      // the telemetry request itself is counted once answered
      expect(text).toContain('\nrest_responses_total{method="GET",endpoint="/telemetry",status="200"} 1\n');
    } finally {
      await g.stop();
    }
  });
});
