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
