/** The schema oracle itself: Qdrant's OpenAPI schema accepts Qdrant's answers and rejects near misses. */

import { describe, expect, it } from "vitest";
import { responseValidator } from "../helpers/qdrant-openapi.js";

const v = responseValidator();
const ok = (result: unknown) => ({ result, status: "ok", time: 0.001 });
const point = { id: 7, version: 3, score: 0.5, payload: { a: 1 } };

describe("Qdrant's OpenAPI schema as the store's contract", () => {
  it("maps concrete paths to Qdrant's templates, literal segments first", () => {
    expect(v.templateOf("POST", "/collections/c/points/query/batch")).toBe("/collections/{collection_name}/points/query/batch");
    expect(v.templateOf("GET", "/collections/c/points/42")).toBe("/collections/{collection_name}/points/{id}");
    expect(v.templateOf("POST", "/collections/c/points/search")).toBeUndefined(); // removed in 1.19
  });

  it("accepts well-formed answers", () => {
    expect(v.check("GET", "/", 200, { title: "qdrant - vector search engine", version: "1.19.0", commit: null })).toEqual([]);
    expect(v.check("POST", "/collections/c/points/query", 200, ok({ points: [point] }))).toEqual([]);
    expect(v.check("PUT", "/collections/c/points", 200, ok({ operation_id: 4, status: "completed" }))).toEqual([]);
    expect(v.check("POST", "/collections/c/points/count", 404, { status: { error: "Not found: Collection `c` doesn't exist!" }, time: 0 })).toEqual([]);
  });

  it.each([
    ["an extra key", "GET", "/", { title: "qdrant", version: "1.19.0", commit: null, margin: "embedded" }],
    ["a negative operation id", "PUT", "/collections/c/points", ok({ operation_id: -1, status: "completed" })],
    ["an unknown update status", "PUT", "/collections/c/points", ok({ operation_id: 1, status: "done" })],
    ["a fractional point id", "POST", "/collections/c/points/query", ok({ points: [{ ...point, id: 1.5 }] })],
    ["a missing version", "POST", "/collections/c/points/query", ok({ points: [{ id: 1, score: 0.5 }] })],
    ["a string score", "POST", "/collections/c/points/query", ok({ points: [{ ...point, score: "0.5" }] })],
    ["a count that is not an integer", "POST", "/collections/c/points/count", ok({ count: 2.5 })],
  ])("rejects %s", (_what, method, path, body) => {
    expect(v.check(method, path, 200, body).length).toBeGreaterThan(0);
  });

  it("refuses to judge an endpoint Qdrant does not have", () => {
    expect(() => v.check("POST", "/collections/c/points/search", 200, ok([]))).toThrow(/no endpoint POST/);
  });
});
