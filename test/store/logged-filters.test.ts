/**
 * A delete or payload change by filter is logged as the filter and evaluated
 * again on replay. Filters logged before the store read key paths as Qdrant
 * does (no `paths: 2` in the selector) must replay with the reading of their
 * time, or a restart would change which points they touched.
 */

import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/store/embedded/log/frames.js";
import { harness, tempDirs } from "./helpers.js";

const dir = tempDirs();

describe("filters in the log", () => {
  it("an old record replays as it was read then; a new one as Qdrant reads it", async () => {
    const d = dir("old");
    const h = await harness("logged-filters", { path: d });
    const points = [
      { id: 1, vector: [1, 0], payload: { a: [{ b: 1 }] } }, // b inside an array of objects
      { id: 2, vector: [0, 1], payload: { a: { b: 1 } } },
      { id: 3, vector: [1, 1], payload: { a: [{ b: 2 }], "my key": 1 } },
    ];
    try {
      for (const n of ["legacy", "current"]) {
        await h.client.createCollection(n, { vectors: { size: 2, distance: "Dot" } });
        await h.client.upsert(n, { wait: true, points });
      }
      // today's request: a.b steps into objects only, so point 1 stays
      await h.client.delete("current", { wait: true, filter: { must: [{ key: "a.b", match: { value: 1 } }] } });
      const now = await h.client.scroll("current", { with_payload: false });
      expect(now.points.map((p) => p.id)).toEqual([1, 3]);
    } finally {
      await h.stop();
    }
    // what the store wrote before `paths: 2`: the bare filter; "my key" was then a plain dotted key
    const wal = join(d, "collections", "legacy", "wal-000001.log");
    appendFileSync(wal, encodeFrame({ op: 3, ops: [{ type: "delete", sel: { filter: { must: [{ key: "a.b", match: { value: 1 } }] } } }] }));
    appendFileSync(wal, encodeFrame({ op: 4, ops: [{ type: "set_payload", sel: { filter: { must: [{ key: "my key", match: { value: 1 } }] } }, payload: { seen: true } }] }));
    const g = await harness("logged-filters-2", { path: d });
    try {
      expect(g.running.store.degraded()).toEqual([]);
      const old = await g.client.scroll("legacy", { with_payload: true });
      // replayed as then: a.b reached into the array, so 1 and 2 are gone; "my key" matched point 3
      expect(old.points.map((p) => [p.id, p.payload])).toEqual([[3, { a: [{ b: 2 }], "my key": 1, seen: true }]]);
      const now = await g.client.scroll("current", { with_payload: false });
      expect(now.points.map((p) => p.id)).toEqual([1, 3]);
    } finally {
      await g.stop();
    }
  });
});
