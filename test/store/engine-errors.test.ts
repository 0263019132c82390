/**
 * The engine refuses with its own EngineError (no HTTP status); the wire, in
 * process as over HTTP, answers the same refusal with Qdrant's code and the
 * same words.
 */

import { rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import { EngineError } from "../../src/store/embedded/engine/errors.js";
import { Engine } from "../../src/store/embedded/engine/store.js";
import { EmbeddedStore, HttpError } from "../../src/store/embedded-store.js";
import { harness, tempDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return e;
  }
  throw new Error("accepted what it should refuse");
}

it("the engine's refusals carry a kind and no status; EmbeddedStore answers them as HttpError 400 / 404 / 409", async () => {
  const d = tempDir("engine-errors");
  dirs.push(d);
  const engine = await Engine.open({ path: d });
  await engine.createCollection("c", 3, "Dot");
  const cases: [() => unknown, string, number, RegExp][] = [
    [() => engine.createCollection("c", 3, "Dot"), "exists", 409, /^Wrong input: Collection `c` already exists!$/],
    [() => engine.get("nope"), "not_found", 404, /^Not found: Collection `nope` doesn't exist!$/],
    [() => engine.upsertPoints("c", { ids: [1], vectors: new Float32Array([1, 2]) }), "wrong_input", 400, /upsertPoints: 1 ids need 3 vector values/],
    [() => engine.createCollection(".hidden", 3, "Dot"), "wrong_input", 400, /collection name "\.hidden" is not allowed/],
  ];
  for (const [call, kind] of cases) {
    const e = await refusal(call);
    expect(e).toBeInstanceOf(EngineError);
    expect(e).not.toBeInstanceOf(HttpError);
    expect((e as EngineError).kind).toBe(kind);
    expect(e).not.toHaveProperty("status");
  }
  engine.close();

  const store = await EmbeddedStore.open({ path: d });
  const same: [() => unknown, number, RegExp][] = [
    [() => store.createCollection("c", 3, "Dot"), 409, cases[0]![3]],
    [() => store.get("nope"), 404, cases[1]![3]],
    [() => store.upsertPoints("c", { ids: [1], vectors: new Float32Array([1, 2]) }), 400, cases[2]![3]],
    [() => store.query("c", { query: [1, 2] }), 400, /Vector dimension error: expected dim: 3, got 2 \(at query\.query\)/],
  ];
  for (const [call, status, message] of same) {
    const e = await refusal(call);
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(status);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).cause).toBeInstanceOf(EngineError);
  }
  store.close();
});

it("over HTTP the same refusal gets the same code and words", async () => {
  const h = await harness("engine-errors-http");
  try {
    await h.client.createCollection("c", { vectors: { size: 3, distance: "Dot" } });
    const dup = await h.raw("PUT", "/collections/c", { vectors: { size: 3, distance: "Dot" } });
    expect(dup.status).toBe(409);
    expect(dup.json.status.error).toBe("Wrong input: Collection `c` already exists!");
    const missing = await h.raw("POST", "/collections/nope/points/count", {});
    expect(missing.status).toBe(404);
    expect(missing.json.status.error).toBe("Not found: Collection `nope` doesn't exist!");
  } finally {
    await h.stop();
  }
});
