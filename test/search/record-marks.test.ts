/** Marks given to `margin search` are recorded with the collection (issue 15), unless --no-record. */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QdrantStore, startEmbeddedStore } from "../../src/index.js";
import { margin } from "../helpers/cli.js";
import { gaussian } from "../helpers/random.js";

const DIM = 8;

describe("margin search records its marks", () => {
  let dir: string;
  let store: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-record-"));
    store = join(dir, "store");
    const s = await startEmbeddedStore({ path: store, port: 0 });
    try {
      const q = await QdrantStore.connect({ url: s.url });
      await q.ensureCollection({ name: "c", size: DIM, distance: "Euclid" });
      const g = gaussian(40 * DIM, 3, 1);
      await q.upsert("c", Array.from({ length: 40 }, (_, i) => ({ id: i + 1, vector: g.slice(i * DIM, (i + 1) * DIM), payload: { model: "m1" } })));
    } finally {
      await s.close();
    }
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps id marks with the query, skips them with --no-record, and margin feedback lists them", async () => {
    const base = ["--collection", "c", "--store", store, "--json"];
    const a = await margin(["search", "--id", "1", "--positive", "2", "--positive", "5", "--negative", "3", ...base]);
    expect(a.code, a.stderr).toBe(0);
    const b = await margin(["search", "--id", "7", "--positive", "8", "--no-record", ...base]);
    expect(b.code, b.stderr).toBe(0);
    const plain = await margin(["search", "--id", "9", ...base]);
    expect(plain.code, plain.stderr).toBe(0);
    const f = await margin(["feedback", "--collection", "c", "--store", store, "--json"]);
    expect(f.code, f.stderr).toBe(0);
    const j = JSON.parse(f.stdout) as { records: { queryId: unknown; right: unknown[]; wrong: unknown[]; model: string }[] };
    expect(j.records).toHaveLength(1);
    expect(j.records[0]).toMatchObject({ queryId: 1, right: [2, 5], wrong: [3], model: "m1" });
  }, 120_000);
});
