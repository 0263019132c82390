/**
 * An on_disk move is atomic across kill -9: a child process serves a folder
 * while a client moves a collection's vectors between memory and their file
 * (PATCH `vectors: {"": {"on_disk": b}}`), back and forth, and writes
 * points between moves; it is killed with SIGKILL at seeded random moments.
 * After every restart the collection is whole: on_disk is that of the last
 * acknowledged move or of the one in flight, the file exists exactly when
 * it is on disk (and holds every row), every acknowledged point is there
 * with its vector, and an exact query answers as a plain scan does.
 * The child runs the store's sources compiled to a temp folder (transpile.ts).
 */

import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { naiveTop, rand, tempDir, vectors } from "./helpers.js";
import { startStoreChild } from "./store-child.js";
import { transpileStore } from "./transpile.js";

const ROUNDS = 10;
const DIM = 64;
const BATCH = 300;
let out: string;
let data: string;

beforeAll(() => {
  out = tempDir("move-crash-js");
  data = tempDir("move-crash-data");
  transpileStore(out);
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

it(`moves a collection's vectors between memory and disk through ${ROUNDS} kill -9s`, async () => {
  const r = rand(20261203);
  const all = vectors(BATCH * 200, DIM, 3); // point i has vector all[i]
  let acked: boolean = false; // on_disk of the last acknowledged move
  let inFlight: boolean | null = null;
  let points = 0; // points 0..points-1 are acknowledged
  let moves = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { child, url, exited } = await startStoreChild({ compiled: out, data });
    const client = new QdrantClient({ url, checkCompatibility: false });
    if (round === 0) {
      await client.createCollection("m", { vectors: { size: DIM, distance: "Euclid" } });
      await client.upsert("m", { wait: true, points: all.slice(0, 2 * BATCH).map((vector, id) => ({ id, vector })) });
      points = 2 * BATCH;
    }
    const onDisk = (await client.getCollection("m")).config.params.vectors as { on_disk?: boolean };
    expect([acked, inFlight]).toContain(onDisk.on_disk ?? false);
    acked = onDisk.on_disk ?? false;
    inFlight = null;
    const file = join(data, "collections", "m", "vectors.f32");
    const count = (await client.count("m", { exact: true })).count;
    expect(count).toBeGreaterThanOrEqual(points); // a batch in flight may have landed too
    points = count;
    expect(existsSync(file)).toBe(acked);
    if (acked) expect(statSync(file).size).toBe(count * DIM * 4);
    const ids = [0, 1, Math.floor(count / 2), count - 1];
    const got = await client.retrieve("m", { ids, with_vector: true });
    expect(got.map((p) => (p.vector as number[]).map(Math.fround))).toEqual(ids.map((i) => all[i]!.map(Math.fround)));
    const q = vectors(1, DIM, 100 + round)[0]!;
    const res = await client.query("m", { query: q, limit: 5 });
    expect(res.points.map((p) => p.id)).toEqual(naiveTop("Euclid", q, all.slice(0, count), 5));
    let killed = false;
    const mover = (async () => {
      while (!killed) {
        try {
          const next = !acked;
          inFlight = next;
          await client.updateCollection("m", { vectors: { "": { on_disk: next } } });
          acked = next;
          inFlight = null;
          moves++;
          const from = points;
          await client.upsert("m", { wait: true, points: all.slice(from, from + BATCH).map((vector, i) => ({ id: from + i, vector })) });
          points = from + BATCH;
        } catch {
          return; // died mid-request: not acknowledged, may or may not have landed
        }
      }
    })();
    await new Promise((res) => setTimeout(res, 20 + Math.floor((r() + 1) * 150)));
    killed = true;
    child.kill("SIGKILL");
    await Promise.all([mover, exited]);
  }
  expect(moves).toBeGreaterThan(ROUNDS);
}, 180_000);
