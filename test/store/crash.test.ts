/**
 * Crash safety: a child process serves a folder and takes upserts with
 * wait=true; it is killed with SIGKILL at seeded random moments. After every
 * restart, each acknowledged point is there with its payload, and the store
 * opens without manual repair. The child runs the store's sources compiled
 * to a temp folder (transpile.ts), so the test needs no build step.
 */

import { spawn, spawnSync } from "node:child_process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rand, tempDir } from "./helpers.js";
import { startStoreChild } from "./store-child.js";
import { ROOT, transpileStore } from "./transpile.js";

const ROUNDS = 24;
let out: string;
let data: string;

beforeAll(() => {
  out = tempDir("crash-js");
  data = tempDir("crash-data");
  transpileStore(out);
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

const start = () => startStoreChild({ compiled: out, data });

it(`keeps every acknowledged point through ${ROUNDS} kill -9s`, async () => {
  const r = rand(20261129);
  const acked = new Map<number, { i: number; tag: string }>();
  let next = 0;
  let compacted = false;
  for (let round = 0; round < ROUNDS; round++) {
    const { child, url, exited } = await start();
    const client = new QdrantClient({ url, checkCompatibility: false });
    if (round === 0) await client.createCollection("c", { vectors: { size: 16, distance: "Cosine" } });
    // every point acknowledged before this round must be back, payload and all
    const ids = [...acked.keys()];
    for (let s = 0; s < ids.length; s += 2000) {
      const got = await client.retrieve("c", { ids: ids.slice(s, s + 2000), with_payload: true });
      expect(got.length).toBe(Math.min(2000, ids.length - s));
      for (const p of got) expect(p.payload).toEqual(acked.get(p.id as number));
    }
    // writers keep upserting until the kill lands
    let killed = false;
    const writer = async () => {
      while (!killed) {
        const n = 1 + Math.floor((r() + 1) * 40);
        const batch = Array.from({ length: n }, () => next++);
        const points = batch.map((i) => ({
          id: i, vector: Array.from({ length: 16 }, (_, d) => Math.sin(i + d) + 1.5), payload: { i, tag: `r${round}` },
        }));
        try {
          await client.upsert("c", { wait: true, points });
          for (const p of points) acked.set(p.id, p.payload);
        } catch {
          return; // the process died mid-request: not acknowledged
        }
      }
    };
    const writers = [writer(), writer()];
    compacted ||= readdirSync(join(data, "collections/c")).some((f) => f.startsWith("snapshot-"));
    await new Promise((res) => setTimeout(res, 30 + Math.floor((r() + 1) * 150)));
    killed = true;
    child.kill("SIGKILL");
    await Promise.all([...writers, exited]);
  }
  expect(acked.size).toBeGreaterThan(ROUNDS * 10);
  expect(compacted).toBe(true); // the kills also landed around compactions
  // a last clean start: everything is there and the folder needed no repair
  const { child, url, exited } = await start();
  const client = new QdrantClient({ url, checkCompatibility: false });
  expect((await client.count("c")).count).toBeGreaterThanOrEqual(acked.size);
  child.kill("SIGTERM");
  await exited;
}, 120_000);

it("lets exactly one of several processes starting at once take a folder with a stale lock", async () => {
  const folder = tempDir("lock-race");
  try {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(join(folder, "LOCK"), JSON.stringify({ pid: dead }));
    const outs = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [join(ROOT, "test/store/fixtures/lock-child.mjs"), join(out, "src"), folder], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        c.stdout!.on("data", (b: Buffer) => (text += b.toString()));
        c.once("exit", () => resolve(text.trim()));
      })),
    );
    expect(outs.filter((o) => o === "ok")).toHaveLength(1);
    for (const o of outs.filter((x) => x !== "ok")) expect(o).toMatch(/^StoreError: the store folder .* is in use by process \d+/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}, 60_000);

/** What a point of the named-vector crash test holds: its vectors by name (sparse as {indices, values}). */
type NamedState = Record<string, number[] | { indices: number[]; values: number[] }>;

/** Vectors that print back exactly (small halves): a 4-d Dot, a 3-d Euclid, and a sparse one. */
function namedVector(name: string, id: number, ver: number): number[] | { indices: number[]; values: number[] } {
  if (name === "a") return Array.from({ length: 4 }, (_, d) => ((id + ver * 7 + d) % 9) / 2);
  if (name === "b") return Array.from({ length: 3 }, (_, d) => ((id * 3 + ver + d) % 11) / 2 - 2);
  const n = 1 + ((id + ver) % 3);
  return { indices: Array.from({ length: n }, (_, k) => (id % 5) + k * 3 + ver), values: Array.from({ length: n }, (_, k) => (k + 1) / 2) };
}

it("keeps every acknowledged write to named and sparse vectors (subsets, update_vectors, delete_vectors) through kill -9s", async () => {
  const ROUNDS_NV = 10;
  const r = rand(20261202);
  const pick = (n: number) => Math.floor(((r() + 1) / 2) * n);
  const NAMES = ["a", "b", "s"];
  const subset = () => NAMES.filter(() => r() > 0);
  const model = new Map<number, NamedState>(); // acknowledged state of every point still checked
  let next = 0;
  let ver = 0;
  let compacted = false;
  for (let round = 0; round < ROUNDS_NV; round++) {
    const { child, url, exited } = await start();
    const client = new QdrantClient({ url, checkCompatibility: false });
    if (round === 0) {
      await client.createCollection("nv", { vectors: { a: { size: 4, distance: "Dot" }, b: { size: 3, distance: "Euclid" } }, sparse_vectors: { s: {} } });
    }
    const ids = [...model.keys()];
    for (let s = 0; s < ids.length; s += 1000) {
      const got = await client.retrieve("nv", { ids: ids.slice(s, s + 1000), with_vector: true, with_payload: false });
      expect(got.length).toBe(Math.min(1000, ids.length - s));
      for (const p of got) expect([p.id, p.vector]).toEqual([p.id, model.get(p.id as number)]);
    }
    if (round === 2 || round === 6) {
      // a bulk load that takes the log past the compaction threshold, so later kills land around snapshots too
      const points = Array.from({ length: 1500 }, () => next++).map((id) => ({ id, vector: Object.fromEntries(NAMES.map((n) => [n, namedVector(n, id, 0)])) }));
      await client.upsert("nv", { wait: true, points });
      points.forEach((p) => model.set(p.id, p.vector as NamedState));
    }
    let killed = false;
    // one writer: each request's effect is known once acknowledged; the points of the one cut by the kill are no longer checked
    const writer = async () => {
      while (!killed) {
        const kind = ids.length + model.size < 20 ? 0 : pick(4);
        const known = [...model.keys()];
        const some = () => [...new Set(Array.from({ length: 1 + pick(5) }, () => known[pick(known.length)]!))];
        ver++;
        let touched: number[];
        let effect: () => void;
        let send: () => Promise<unknown>;
        if (kind === 0) {
          touched = Array.from({ length: 1 + pick(80) }, () => next++);
          const points = touched.map((id) => ({ id, vector: Object.fromEntries(subset().map((n) => [n, namedVector(n, id, ver)])) }));
          send = () => client.upsert("nv", { wait: true, points });
          effect = () => points.forEach((p) => model.set(p.id, p.vector as NamedState));
        } else if (kind === 1) {
          touched = some();
          const points = touched.map((id) => ({ id, vector: Object.fromEntries((subset().length ? subset() : ["a"]).map((n) => [n, namedVector(n, id, ver)])) }));
          send = () => client.updateVectors("nv", { wait: true, points });
          effect = () => points.forEach((p) => Object.assign(model.get(p.id)!, p.vector));
        } else if (kind === 2) {
          touched = some();
          const names = subset().length ? subset() : ["s"];
          send = () => client.deleteVectors("nv", { wait: true, points: touched, vector: names });
          effect = () => touched.forEach((id) => names.forEach((n) => delete model.get(id)![n]));
        } else {
          touched = some();
          const [u, d] = [touched.slice(0, 1), touched.slice(1)];
          const upd = u.map((id) => ({ id, vector: { b: namedVector("b", id, ver) } }));
          send = () => client.batchUpdate("nv", {
            wait: true,
            operations: [{ update_vectors: { points: upd } }, ...(d.length ? [{ delete_vectors: { points: d, vector: ["a", "b"] } }] : [])],
          });
          effect = () => {
            upd.forEach((p) => Object.assign(model.get(p.id)!, p.vector));
            d.forEach((id) => ["a", "b"].forEach((n) => delete model.get(id)![n]));
          };
        }
        try {
          await send();
          effect();
        } catch {
          for (const id of touched) model.delete(id); // the process died mid-request: either state may be on disk
          return;
        }
      }
    };
    const w = writer();
    compacted ||= readdirSync(join(data, "collections/nv")).some((f) => f.startsWith("snapshot-"));
    await new Promise((res) => setTimeout(res, 100 + Math.floor((r() + 1) * 200)));
    killed = true;
    child.kill("SIGKILL");
    await Promise.all([w, exited]);
  }
  expect(model.size).toBeGreaterThan(ROUNDS_NV * 5);
  const { child, url, exited } = await start();
  const client = new QdrantClient({ url, checkCompatibility: false });
  const got = await client.retrieve("nv", { ids: [...model.keys()], with_vector: true });
  for (const p of got) expect([p.id, p.vector]).toEqual([p.id, model.get(p.id as number)]);
  expect(got.length).toBe(model.size);
  expect(compacted || readdirSync(join(data, "collections/nv")).some((f) => f.startsWith("snapshot-"))).toBe(true);
  child.kill("SIGTERM");
  await exited;
}, 120_000);
