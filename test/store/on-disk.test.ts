/**
 * Qdrant's `vectors.on_disk: true` in the embedded store, through the real
 * client over real HTTP (every answer checked against Qdrant's schema): a
 * collection whose f32 vectors stay in a file answers every query as the
 * same collection in memory does, after the same seeded writes (upserts,
 * overwrites, deletes by id and by filter, payload changes), with and
 * without quantization, exact or rescored; across restarts, a snapshot, and
 * a vectors file damaged while the store was down (rebuilt, never read); a
 * file cut under a running store is refused with a 500, not served; and the
 * collection's wasm memory stays below the size of its f32 vectors.
 */

import { appendFileSync, openSync, closeSync, writeSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, rand, tempDirs, vectors } from "./helpers.js";

const newDir = tempDirs();
const DIM = 256; // 1024 rows a block of the file: the scans stream several blocks
const N = 3000;
const SCALAR = { scalar: { type: "int8" as const, quantile: 0.99, always_ram: true } };
/** Pairs of collections: the same config and writes, one on disk, one in memory. */
const PAIRS = [
  { name: "euclid_q", distance: "Euclid" as const, quantization: SCALAR },
  { name: "cosine", distance: "Cosine" as const, quantization: undefined },
];
const disk = (name: string) => `${name}_disk`;
const ram = (name: string) => `${name}_ram`;

let dir: string;
let h: Harness;

async function writeAll(name: string): Promise<void> {
  const xs = vectors(N, DIM, 5);
  for (let s = 0; s < N; s += 500) {
    const points = xs.slice(s, s + 500).map((vector, i) => ({ id: s + i, vector, payload: { g: (s + i) % 5, ...(((s + i) % 37 === 0) ? { tag: "drop" } : {}) } }));
    await h.client.upsert(name, { wait: true, points });
  }
  // overwrite 200 vectors, delete 150 by id (holes filled by the last rows) and the tagged ones by filter
  const r = rand(9);
  const fresh = vectors(200, DIM, 6);
  await h.client.upsert(name, { wait: true, points: fresh.map((vector, i) => ({ id: (i * 13) % N, vector, payload: { g: i % 5 } })) });
  const gone = Array.from({ length: 150 }, () => Math.floor(((r() + 1) / 2) * N));
  await h.client.delete(name, { wait: true, points: gone });
  await h.client.delete(name, { wait: true, filter: { must: [{ key: "tag", match: { value: "drop" } }] } });
  await h.client.setPayload(name, { wait: true, payload: { seen: true }, points: [1, 2, 3] });
  // new points after the deletes: appended rows
  await h.client.upsert(name, { wait: true, points: vectors(100, DIM, 7).map((vector, i) => ({ id: N + i, vector, payload: { g: i % 5 } })) });
}

type Scored = { id: string | number; score: number; vector?: unknown };

/** Every kind of read, asked of one collection. */
async function answers(name: string, quantized: boolean): Promise<Scored[][]> {
  const qs = vectors(12, DIM, 8);
  const params = quantized
    ? [undefined, { quantization: { rescore: true, oversampling: 2 } }, { exact: true }, { quantization: { ignore: true } }]
    : [undefined, { exact: true }];
  const out: Scored[][] = [];
  for (const [i, query] of qs.entries()) {
    for (const p of params) {
      out.push((await h.client.query(name, { query, limit: 10, ...(p ? { params: p } : {}) })).points);
      out.push((await h.client.query(name, { query, limit: 5, filter: { must: [{ key: "g", match: { value: i % 5 } }] }, ...(p ? { params: p } : {}) })).points);
    }
  }
  // a point's own vector as the query, with_vector answers, recommend (every row scored against the examples)
  out.push((await h.client.query(name, { query: 17, limit: 5, with_vector: true })).points);
  out.push((await h.client.query(name, { query: { recommend: { positive: [17, 40], negative: [99], strategy: "best_score" } }, limit: 5 })).points);
  out.push((await h.client.retrieve(name, { ids: [0, 1, 2, 3, 2999, N + 99], with_vector: true })).map((p) => ({ id: p.id, score: 0, vector: p.vector })));
  return out;
}

function expectSame(got: Scored[][], want: Scored[][]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(got[i]!.map((p) => p.id), `answer ${i}`).toEqual(want[i]!.map((p) => p.id));
    got[i]!.forEach((p, j) => {
      // the file is scanned block by block: a score may differ from the one-block scan in its last bits
      expect(p.score).toBeCloseTo(want[i]![j]!.score, 4);
      if (want[i]![j]!.vector !== undefined) expect(p.vector).toEqual(want[i]![j]!.vector);
    });
  }
}

async function expectPairsSame(): Promise<void> {
  for (const p of PAIRS) expectSame(await answers(disk(p.name), !!p.quantization), await answers(ram(p.name), !!p.quantization));
}

const fileOf = (name: string) => join(dir, "collections", name, "vectors.f32");

beforeAll(async () => {
  dir = newDir("on-disk");
  h = await harness("on-disk", { path: dir });
  for (const p of PAIRS) {
    for (const [name, onDisk] of [[disk(p.name), true], [ram(p.name), false]] as const) {
      await h.client.createCollection(name, { vectors: { size: DIM, distance: p.distance, ...(onDisk ? { on_disk: true } : {}) }, ...(p.quantization ? { quantization_config: p.quantization } : {}) });
      await writeAll(name);
    }
  }
}, 120_000);
afterAll(async () => {
  await h.stop();
});

describe("on_disk vectors", () => {
  it("answers as the same collection in memory, with and without quantization", async () => {
    const info = await h.client.getCollection(disk("euclid_q"));
    expect(info.config.params.vectors).toEqual({ size: DIM, distance: "Euclid", on_disk: true });
    expect((await h.client.getCollection(ram("euclid_q"))).config.params.vectors).toEqual({ size: DIM, distance: "Euclid" });
    const count = (await h.client.count(disk("euclid_q"))).count;
    expect(count).toBe((await h.client.count(ram("euclid_q"))).count);
    // the file holds exactly the points' rows (deletes keep it dense)
    expect(statSync(fileOf(disk("euclid_q"))).size).toBe(count * DIM * 4);
    await expectPairsSame();
  }, 120_000);

  it("keeps the originals out of memory: the collection's wasm bytes stay below its f32 size", () => {
    const f32 = (h.running.store.get(disk("euclid_q")).count) * DIM * 4;
    // codes (a quarter of f32 plus 4 B a row) and one 1 MiB block of the file, in a memory that started small
    expect(h.running.store.get(disk("euclid_q")).vectorBytes).toBeLessThan(f32);
    expect(h.running.store.get(disk("cosine")).vectorBytes).toBeLessThan(f32);
    // the same collection in memory holds them (a structural check, not a timing)
    expect(h.running.store.get(ram("euclid_q")).vectorBytes).toBeGreaterThan(f32);
  });

  it("refuses a file cut under a running store with a 500 instead of serving it", async () => {
    const name = disk("cosine");
    truncateSync(fileOf(name), 100 * DIM * 4 + 3);
    const r = await h.raw("POST", `/collections/${name}/points/query`, { query: vectors(1, DIM, 1)[0], limit: 3 });
    expect(r.status).toBe(500);
    expect(r.json.status.error).toMatch(/vectors\.f32 ends at byte \d+, before its \d+ rows of 1024 bytes.*restart the store to rebuild it/);
  });

  it("rebuilds a damaged or missing file at restart, and after a snapshot", async () => {
    await h.stop();
    // damage both files while the store is down: garbage over the middle, one cut short, one with a tail
    const fd = openSync(fileOf(disk("euclid_q")), "r+");
    writeSync(fd, Buffer.alloc(4096, 0x7f), 0, 4096, 50_000);
    closeSync(fd);
    appendFileSync(fileOf(disk("euclid_q")), "tail");
    truncateSync(fileOf(disk("cosine")), 12_345);
    h = await harness("on-disk", { path: dir });
    await expectPairsSame();
    // a snapshot reads the rows back from the file; a restart from it rebuilds the file once more
    for (const p of PAIRS) await h.running.store.compact(disk(p.name));
    await h.stop();
    truncateSync(fileOf(disk("euclid_q")), 0);
    h = await harness("on-disk", { path: dir });
    await expectPairsSame();
    expect(statSync(fileOf(disk("euclid_q"))).size).toBe(h.running.store.get(disk("euclid_q")).count * DIM * 4);
  }, 120_000);
});
