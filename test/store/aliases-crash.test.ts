/**
 * An alias switch is atomic across kill -9: a child process serves a folder
 * while a client switches two aliases between two collections, always both
 * in one request; it is killed with SIGKILL at seeded random moments. After
 * every restart both aliases exist and point to the same collection, and
 * the state is that of the last acknowledged switch or of the one in flight.
 * The child runs the store's sources compiled to a temp folder (transpile.ts).
 */

import { rmSync } from "node:fs";
import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rand, tempDir } from "./helpers.js";
import { startStoreChild } from "./store-child.js";
import { transpileStore } from "./transpile.js";

const ROUNDS = 12;
let out: string;
let data: string;

beforeAll(() => {
  out = tempDir("alias-crash-js");
  data = tempDir("alias-crash-data");
  transpileStore(out);
});
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

const start = () => startStoreChild({ compiled: out, data });

const switchTo = (target: string) => ({
  actions: [
    { delete_alias: { alias_name: "live" } },
    { delete_alias: { alias_name: "shadow" } },
    { create_alias: { collection_name: target, alias_name: "live" } },
    { create_alias: { collection_name: target, alias_name: "shadow" } },
  ],
});

it(`switches two aliases as one through ${ROUNDS} kill -9s`, async () => {
  const r = rand(20261202);
  let acked = "c1"; // the target of the last acknowledged switch
  let inFlight: string | null = null;
  let switches = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { child, url, exited } = await start();
    const client = new QdrantClient({ url, checkCompatibility: false });
    if (round === 0) {
      await client.createCollection("c1", { vectors: { size: 2, distance: "Dot" } });
      await client.createCollection("c2", { vectors: { size: 2, distance: "Dot" } });
      await client.updateCollectionAliases(switchTo("c1"));
    }
    const all = (await client.getAliases()).aliases;
    const live = all.find((a) => a.alias_name === "live")?.collection_name;
    const shadow = all.find((a) => a.alias_name === "shadow")?.collection_name;
    expect(all).toHaveLength(2);
    expect(shadow).toBe(live);
    expect([acked, inFlight]).toContain(live);
    acked = live!;
    inFlight = null;
    let killed = false;
    const switcher = (async () => {
      while (!killed) {
        const target = acked === "c1" ? "c2" : "c1";
        inFlight = target;
        try {
          await client.updateCollectionAliases(switchTo(target));
        } catch {
          return; // died mid-request: not acknowledged, may or may not have landed
        }
        acked = target;
        inFlight = null;
        switches++;
      }
    })();
    await new Promise((res) => setTimeout(res, 20 + Math.floor((r() + 1) * 100)));
    killed = true;
    child.kill("SIGKILL");
    await Promise.all([switcher, exited]);
  }
  expect(switches).toBeGreaterThan(ROUNDS);
}, 120_000);
