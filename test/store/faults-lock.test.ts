/**
 * The folder lock when PIDs repeat: a store run as PID 1 of its own PID
 * namespace (`unshare --pid --fork --mount-proc`, what a container is),
 * killed with SIGKILL and started again the same way, must take over its
 * own stale lock; a live PID whose start time differs from the recorded one
 * (a reused PID) or a lock from another boot is stale; the recorded process
 * itself is not. Running under unshare needs root: under CI=true that test
 * fails where it cannot run, elsewhere it is skipped.
 */

import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { QdrantClient } from "@qdrant/js-client-rest";
import { beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { EmbeddedStore } from "../../src/store/embedded-store.js";
import { tempDirs } from "./helpers.js";
import { startStoreChild } from "./store-child.js";
import { transpileStore } from "./transpile.js";

const CI = process.env.CI === "true";
const dir = tempDirs();
let out: string;
beforeAll(() => {
  out = dir("lock-js");
  transpileStore(out);
});

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), read after the command name's ")". */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}
const BOOT = (() => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
})();
const canUnshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", "true"]).status === 0;

/** A store child as PID 1 of a new PID namespace; resolves with its URL once it serves. */
const startInNamespace = (data: string) =>
  startStoreChild({ compiled: out, data, wrapper: ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"] });

describe("the folder lock", () => {
  it.skipIf(!canUnshare && !CI)("a store run as PID 1, killed -9 and started again the same way, takes its folder back (3 rounds)", async () => {
    expect(canUnshare, "unshare --pid --fork --mount-proc failed: run this suite as root (CI runs it as root)").toBe(true);
    const data = dir("pid1");
    let points = 0;
    for (let round = 0; round < 3; round++) {
      const { child, url, exited } = await startInNamespace(data);
      const lock = JSON.parse(readFileSync(join(data, "LOCK"), "utf8"));
      expect(lock.pid).toBe(1); // it really is PID 1 in there
      if (BOOT) expect(lock.boot).toBe(BOOT);
      const client = new QdrantClient({ url, checkCompatibility: false });
      if (round === 0) await client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
      expect((await client.count("c")).count).toBe(points);
      await client.upsert("c", { wait: true, points: [{ id: round, vector: [round, 1] }] });
      points++;
      child.kill("SIGKILL"); // unshare dies, and with it (--kill-child) the store, PID 1
      await exited;
    }
  }, 60_000);

  it.skipIf(!BOOT)("treats a live PID with another start time, or a lock from another boot, as stale", async () => {
    const d = dir("reuse");
    const sleeper = spawn("sleep", ["30"]);
    try {
      const pid = sleeper.pid!;
      await new Promise((r) => setTimeout(r, 50));
      const start = startOf(pid);
      const write = (o: object) => writeFileSync(join(d, "LOCK"), JSON.stringify({ host: hostname(), ...o }));
      // the recorded process runs: refused, naming it
      write({ pid, boot: BOOT, start });
      const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toContain(`is in use by process ${pid};`);
      // the same PID, started at another time: a reused PID, the lock is stale
      write({ pid, boot: BOOT, start: String(Number(start) - 100) });
      (await EmbeddedStore.open({ path: d })).close();
      // written before the machine last booted (any PID): stale
      write({ pid, boot: "00000000-0000-0000-0000-000000000000", start });
      (await EmbeddedStore.open({ path: d })).close();
      // from another boot and another host: a machine we cannot see, refused
      write({ pid, boot: "00000000-0000-0000-0000-000000000000", start, host: "elsewhere.example" });
      const other = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
      expect((other as Error).message).toContain(`is in use by process ${pid} on host elsewhere.example`);
    } finally {
      sleeper.kill();
    }
  });

  it("refuses a second open of a folder in the same process", async () => {
    const d = dir("twice");
    const s = await EmbeddedStore.open({ path: d });
    try {
      const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toContain(`is in use by process ${process.pid} (this process)`);
    } finally {
      s.close();
    }
  });
});
