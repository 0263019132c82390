/**
 * Qdrant's conditional writes (≥ 1.16): `update_filter` and `update_mode` on
 * upsert, `update_filter` on update_vectors, through the real client over real
 * HTTP (responses schema-checked). Semantics from Qdrant's source
 * (lib/shard/src/update/points/upsert.rs retain_conditional_upsert_points,
 * lib/shard/src/resolve.rs): judged on the state the write meets,
 *   upsert (default): new points are inserted, existing ones written only when the filter keeps them;
 *   insert_only:      new points only;
 *   update_only:      existing points the filter keeps (no filter: every existing one), no new ones;
 *   update_vectors:   an existing point the filter does not keep is left as it is.
 * Every expected state below is worked out by hand and checked again after a
 * restart (log replay) and after a compaction (snapshot).
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, tempDirs } from "./helpers.js";

const dirs = tempDirs();
const dir = dirs("update-filter");
let h: Harness;
const red = { must: [{ key: "color", match: { value: "red" } }] };

beforeAll(async () => {
  h = await harness("update-filter", { path: dir });
  await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("c", {
    wait: true,
    points: [
      { id: 1, vector: [1, 0], payload: { v: 1, color: "red" } },
      { id: 2, vector: [1, 0], payload: { v: 1, color: "blue" } },
    ],
  });
  await h.client.createCollection("n", { vectors: { a: { size: 2, distance: "Dot" } }, sparse_vectors: { s: {} } });
  await h.client.upsert("n", {
    wait: true,
    points: [
      { id: 1, vector: { a: [1, 0] }, payload: { color: "red" } },
      { id: 2, vector: { a: [1, 0] }, payload: { color: "blue" } },
    ],
  });
});
afterAll(async () => {
  await h.stop();
});

/** id → [vector, payload] of every point. */
async function state(col: string): Promise<Record<string, [unknown, unknown]>> {
  const r = await h.client.scroll(col, { limit: 100, with_payload: true, with_vector: true });
  return Object.fromEntries(r.points.map((p) => [p.id, [p.vector, p.payload]]));
}

describe("update_filter and update_mode", () => {
  it("upsert with update_filter: existing points only where the filter holds, new points always", async () => {
    await h.client.upsert("c", {
      wait: true,
      update_filter: red,
      points: [
        { id: 1, vector: [2, 0], payload: { v: 2, color: "red" } },
        { id: 2, vector: [2, 0], payload: { v: 2, color: "red" } }, // blue now: kept as it is
        { id: 3, vector: [2, 0], payload: { v: 2, color: "green" } }, // new: inserted whatever the filter says
      ],
    });
    expect(await state("c")).toEqual({
      1: [[2, 0], { v: 2, color: "red" }],
      2: [[1, 0], { v: 1, color: "blue" }],
      3: [[2, 0], { v: 2, color: "green" }],
    });
  });

  it("insert_only writes only new points; update_only only existing ones (the batch form too)", async () => {
    await h.client.upsert("c", { wait: true, update_mode: "insert_only", points: [{ id: 1, vector: [3, 0], payload: { v: 3 } }, { id: 4, vector: [3, 0], payload: { v: 3 } }] });
    await h.client.upsert("c", { wait: true, update_mode: "update_only", batch: { ids: [2, 5], vectors: [[4, 0], [4, 0]], payloads: [{ v: 4 }, { v: 4 }] } });
    // update_only with a filter: 3 is green, 1 red: only 1 is written
    await h.client.upsert("c", { wait: true, update_mode: "update_only", update_filter: red, points: [{ id: 1, vector: [5, 0], payload: { v: 5, color: "red" } }, { id: 3, vector: [5, 0], payload: { v: 5 } }] });
    expect(await state("c")).toEqual({
      1: [[5, 0], { v: 5, color: "red" }],
      2: [[4, 0], { v: 4 }],
      3: [[2, 0], { v: 2, color: "green" }],
      4: [[3, 0], { v: 3 }],
    });
  });

  it("inside /points/batch a condition sees the operations before it", async () => {
    await h.client.batchUpdate("c", {
      wait: true,
      operations: [
        { set_payload: { points: [2], payload: { color: "red" } } },
        { upsert: { update_filter: red, points: [{ id: 2, vector: [6, 0], payload: { v: 6 } }, { id: 4, vector: [6, 0], payload: { v: 6 } }] } },
      ],
    });
    // 2 turned red just before: written; 4 has no color: kept
    const s = await state("c");
    expect(s[2]).toEqual([[6, 0], { v: 6 }]);
    expect(s[4]).toEqual([[3, 0], { v: 3 }]);
  });

  it("update_vectors with update_filter leaves the points it does not keep as they are", async () => {
    const r = await h.raw("PUT", "/collections/n/points/vectors?wait=true", { update_filter: red, points: [{ id: 1, vector: { a: [0, 1] } }, { id: 2, vector: { a: [0, 1] } }] });
    expect(r.status).toBe(200);
    await h.client.batchUpdate("n", {
      wait: true,
      operations: [{ update_vectors: { update_filter: { must: [{ key: "color", match: { value: "blue" } }] }, points: [{ id: 1, vector: { s: { indices: [7], values: [1] } } }, { id: 2, vector: { s: { indices: [7], values: [2] } } }] } }],
    });
    expect(await state("n")).toEqual({
      1: [{ a: [0, 1] }, { color: "red" }],
      2: [{ a: [1, 0], s: { indices: [7], values: [2] } }, { color: "blue" }],
    });
    // a missing point is still Qdrant's 404, filter or not
    const m = await h.raw("PUT", "/collections/n/points/vectors?wait=true", { update_filter: red, points: [{ id: 9, vector: { a: [0, 1] } }] });
    expect(m.status).toBe(404);
  });

  it("the same state after a restart (the log replays each condition on the state it met) and after a compaction", async () => {
    const before = { c: await state("c"), n: await state("n") };
    await h.stop();
    h = await harness("update-filter", { path: dir });
    expect({ c: await state("c"), n: await state("n") }).toEqual(before);
    await h.running.store.compact("c");
    await h.running.store.compact("n");
    await h.stop();
    h = await harness("update-filter", { path: dir });
    expect({ c: await state("c"), n: await state("n") }).toEqual(before);
  });

  it("refusals: an unknown update_mode (400), a condition with only a key (422), a filter of unknown shape (400)", async () => {
    const put = (body: unknown) => h.raw("PUT", "/collections/c/points?wait=true", body);
    const a = await put({ update_mode: "sometimes", points: [{ id: 1, vector: [1, 0] }] });
    expect([a.status, a.json.status.error]).toEqual([400, 'Wrong input: body.update_mode "sometimes" is unknown. Should be one of: "upsert", "insert_only", "update_only"']);
    const b = await put({ update_filter: { must: [{ key: "color" }] }, points: [{ id: 1, vector: [1, 0] }] });
    expect([b.status, b.json.status.error]).toEqual([422, "Validation error in JSON body: [update_filter.must[0]: Validation error: At least one field condition must be specified [{}]]"]);
    const c = await put({ update_filter: { must: [{ nope: 1 }] }, points: [{ id: 1, vector: [1, 0] }] });
    expect(c.status).toBe(400);
    expect(c.json.status.error).toContain("body.update_filter.must[0]");
    expect((await state("c"))[1]).toEqual([[5, 0], { v: 5, color: "red" }]);
  });
});
