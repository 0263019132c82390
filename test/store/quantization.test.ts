/**
 * Scalar quantization in the embedded store through the real client over
 * real HTTP: Qdrant's `quantization_config.scalar` on create / PATCH (kept
 * in collection.json across a restart), and the search params `exact` and
 * `quantization: {ignore, rescore, oversampling}` with Qdrant's defaults
 * (scalar: no rescoring unless asked; oversampling counts above 1).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, naiveTop, tempDir, vectors } from "./helpers.js";

const SCALAR = { scalar: { type: "int8" as const, always_ram: true } };

let h: Harness;
beforeAll(async () => {
  h = await harness("quant");
  // 1-d Euclid on 0..127: min/max grid, one code step per unit, so quantized
  // distances are whole numbers; 10.2 and 10.45 share code 10 with the point 10
  await h.client.createCollection("line", { vectors: { size: 1, distance: "Euclid" }, quantization_config: SCALAR });
  const points = Array.from({ length: 128 }, (_, i) => ({ id: i, vector: [i] }));
  points.push({ id: 200, vector: [10.2] }, { id: 201, vector: [10.45] });
  await h.client.upsert("line", { wait: true, points });
});
afterAll(async () => {
  await h.stop();
});

const top = (r: { points: Array<{ id: string | number; score: number }> }) => r.points.map((p) => [p.id, p.score] as const);

describe("quantized search, hand case", () => {
  it("answers on the codes by default: quantized scores, ties to the first stored", async () => {
    const r = await h.client.query("line", { query: [10.4], limit: 2 });
    // query code 10: the points 10, 200 and 201 all score 0
    expect(top(r)).toEqual([[10, 0], [200, 0]]);
  });

  it("rescore re-ranks the candidates on the originals; oversampling widens them", async () => {
    const one = await h.client.query("line", { query: [10.4], limit: 1, params: { quantization: { rescore: true } } });
    expect(one.points.map((p) => p.id)).toEqual([10]);
    expect(one.points[0]!.score).toBeCloseTo(0.4, 5);
    // 1 × 3 = 3 candidates: 10, 200, 201, rescored exactly
    const three = await h.client.query("line", { query: [10.4], limit: 1, params: { quantization: { rescore: true, oversampling: 3 } } });
    expect(three.points.map((p) => p.id)).toEqual([201]);
    expect(three.points[0]!.score).toBeCloseTo(0.05, 5);
    // 2.9 × 1 truncates to 2 candidates (10, 200): Qdrant's rule
    const two = await h.client.query("line", { query: [10.4], limit: 1, params: { quantization: { rescore: true, oversampling: 2.9 } } });
    expect(two.points.map((p) => p.id)).toEqual([200]);
    // oversampling without rescore: still the quantized best
    const noRescore = await h.client.query("line", { query: [10.4], limit: 1, params: { quantization: { oversampling: 3 } } });
    expect(top(noRescore)).toEqual([[10, 0]]);
  });

  it("exact and ignore bypass the codes", async () => {
    for (const params of [{ exact: true }, { quantization: { ignore: true } }]) {
      const r = await h.client.query("line", { query: [10.4], limit: 3, params });
      expect(r.points.map((p) => p.id)).toEqual([201, 200, 10]);
      expect(r.points[0]!.score).toBeCloseTo(0.05, 5);
    }
  });

  it("each search of /points/query/batch takes its own params", async () => {
    const r = await h.client.queryBatch("line", {
      searches: [{ query: [10.4], limit: 1, params: { quantization: { rescore: true, oversampling: 3 } } }, { query: [10.4], limit: 1 }],
    });
    expect(r.map((x) => x.points.map((p) => p.id))).toEqual([[201], [10]]);
  });

  it("the codes follow writes (rebuilt on the next search)", async () => {
    await h.client.upsert("line", { wait: true, points: [{ id: 300, vector: [50.1] }] });
    const r = await h.client.query("line", { query: [50.2], limit: 1, params: { quantization: { rescore: true, oversampling: 4 } } });
    expect(r.points.map((p) => p.id)).toEqual([300]);
    await h.client.delete("line", { wait: true, points: [300] });
    const after = await h.client.query("line", { query: [50.2], limit: 1, params: { quantization: { rescore: true, oversampling: 4 } } });
    expect(after.points.map((p) => p.id)).toEqual([50]);
  });
});

describe("recall on random data (property, seeded)", () => {
  for (const distance of ["Euclid", "Cosine", "Dot", "Manhattan"] as const) {
    it(`${distance}: rescored candidates find the exact top-10 (recall >= 0.99), filters hold`, async () => {
      const name = `r-${distance}`;
      const dim = 32, n = 1500;
      const xs = vectors(n, dim, 7);
      await h.client.createCollection(name, { vectors: { size: dim, distance }, quantization_config: { scalar: { type: "int8", quantile: 0.99 } } });
      await h.client.upsert(name, { wait: true, points: xs.map((v, i) => ({ id: i, vector: v, payload: { even: i % 2 === 0 } })) });
      const qs = vectors(20, dim, 8);
      let hit = 0, hitRaw = 0, hitFiltered = 0;
      for (const q of qs) {
        const truth = new Set(naiveTop(distance, q, xs, 10));
        const re = await h.client.query(name, { query: q, limit: 10, params: { quantization: { rescore: true, oversampling: 4 } } });
        hit += re.points.filter((p) => truth.has(p.id as number)).length;
        const raw = await h.client.query(name, { query: q, limit: 10 });
        hitRaw += raw.points.filter((p) => truth.has(p.id as number)).length;
        const evenTruth = new Set(naiveTop(distance, q, xs, 10, (i) => i % 2 === 0));
        const f = await h.client.query(name, {
          query: q, limit: 10, filter: { must: [{ key: "even", match: { value: true } }] }, params: { quantization: { rescore: true, oversampling: 4 } },
        });
        expect(f.points.every((p) => (p.id as number) % 2 === 0)).toBe(true);
        hitFiltered += f.points.filter((p) => evenTruth.has(p.id as number)).length;
      }
      expect(hit / 200).toBeGreaterThanOrEqual(0.99);
      expect(hitFiltered / 200).toBeGreaterThanOrEqual(0.99);
      expect(hitRaw / 200).toBeGreaterThan(0.6);
      expect(hitRaw).toBeLessThanOrEqual(hit);
    });
  }
});

describe("quantization_config", () => {
  it("is returned by GET, changed by PATCH (Disabled drops it)", async () => {
    const info = await h.client.getCollection("line");
    expect(info.config.quantization_config).toEqual(SCALAR);
    await h.client.updateCollection("line", { quantization_config: "Disabled" });
    expect((await h.client.getCollection("line")).config.quantization_config).toBeNull();
    // no codes: the scan is exact whatever the params say
    const r = await h.client.query("line", { query: [10.4], limit: 1 });
    expect(r.points.map((p) => p.id)).toEqual([201]);
    await h.client.updateCollection("line", { quantization_config: { scalar: { type: "int8", quantile: 0.9 } } });
    expect((await h.client.getCollection("line")).config.quantization_config).toEqual({ scalar: { type: "int8", quantile: 0.9 } });
    // a PATCH without quantization_config leaves it as it is
    await h.client.updateCollection("line", { optimizers_config: { indexing_threshold: 20000 } });
    expect((await h.client.getCollection("line")).config.quantization_config).toEqual({ scalar: { type: "int8", quantile: 0.9 } });
  });

  it("survives a restart (collection.json keeps it; the codes are rebuilt)", async () => {
    const dir = tempDir("quant-restart");
    const a = await harness("quant-a", { path: dir });
    await a.client.createCollection("c", { vectors: { size: 1, distance: "Euclid" }, quantization_config: SCALAR });
    await a.client.upsert("c", { wait: true, points: [...Array.from({ length: 128 }, (_, i) => ({ id: i, vector: [i] })), { id: 500, vector: [3.2] }] });
    await a.stop();
    const b = await harness("quant-b", { path: dir });
    expect((await b.client.getCollection("c")).config.quantization_config).toEqual(SCALAR);
    expect(top(await b.client.query("c", { query: [3.1], limit: 2 }))).toEqual([[3, 0], [500, 0]]);
    await b.stop();
  });

  it("refuses what it cannot do, with Qdrant's statuses", async () => {
    const bad = async (body: unknown, status: number, msg: RegExp, path = "/collections/bad", method = "PUT") => {
      const r = await h.raw(method, path, body);
      expect(r.status).toBe(status);
      expect(r.json.status.error).toMatch(msg);
    };
    const vectors = { size: 4, distance: "Dot" };
    await bad({ vectors, quantization_config: { scalar: { type: "int8", quantile: 0.3 } } }, 422, /Validation error in JSON body: \[quantization_config.scalar.quantile: value 0.3 invalid/);
    await bad({ vectors, quantization_config: { scalar: { type: "int4" } } }, 400, /quantization_config.scalar.type must be "int8", got "int4"/);
    await bad({ vectors, quantization_config: { product: { compression: "x4" } } }, 400, /product quantization is not supported by the embedded store/);
    await bad({ vectors, quantization_config: { binary: {} } }, 400, /binary quantization is not supported/);
    expect((await h.raw("GET", "/collections/bad/exists")).json.result.exists).toBe(false);
    await bad({ quantization_config: "Enabled" }, 400, /quantization_config must be .* or "Disabled", got "Enabled"/, "/collections/line", "PATCH");
    await bad({ quantization_config: SCALAR }, 404, /Collection `nope` doesn't exist|nope/, "/collections/nope", "PATCH");
    const q = (params: unknown) => ({ query: [1], params });
    await bad(q({ quantization: { oversampling: 0.5 } }), 422, /params.quantization.oversampling: value 0.5 invalid, must be 1.0 or larger/, "/collections/line/points/query", "POST");
    await bad(q({ quantization: { rescore: "yes" } }), 400, /params.quantization.rescore must be true or false, got "yes"/, "/collections/line/points/query", "POST");
    await bad(q({ exact: 1 }), 400, /params.exact must be true or false, got 1/, "/collections/line/points/query", "POST");
  });
});
