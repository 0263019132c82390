/**
 * Damaged, missing and stray files in a data folder: mid-log damage refused
 * (and repaired keeping every intact record), torn tails dropped, missing
 * snapshots and logs refused, unreplayable records degrading one collection,
 * stray folders skipped. The log's frames are located by a plain reader
 * here, independent of the store's scanner.
 */

import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import command from "../../src/cli/store.js";
import { StoreError } from "../../src/errors.js";
import { crc32 } from "../../src/store/embedded/log/crc32.js";
import { encodeFrame } from "../../src/store/embedded/log/frames.js";
import { EmbeddedStore } from "../../src/store/embedded-store.js";
import { rng } from "../helpers/random.js";
import { harness, tempDirs } from "./helpers.js";

const dir = tempDirs();

const RECORDS = 100;
const PER = 10;
const DIM = 8;
const idsOf = (k: number) => Array.from({ length: PER }, (_, j) => k * PER + j);

/** A folder with one collection "c" whose log holds RECORDS upserts of PER points each (record k: ids k*PER..). */
async function pristine(): Promise<string> {
  const d = dir("pristine");
  const s = await EmbeddedStore.open({ path: d });
  await s.createCollection("c", DIM, "Dot");
  const r = rng(7);
  for (let k = 0; k < RECORDS; k++) {
    const ids = idsOf(k);
    // a few records carry longer payloads, so frames differ in size
    const payloads = ids.map((i) => ({ k, i, note: k % 7 === 0 ? "x".repeat(300) : "" }));
    await s.upsertPoints("c", { ids, vectors: Float32Array.from({ length: PER * DIM }, () => r() + 0.5), payloads });
  }
  s.close();
  return d;
}

/** Frame boundaries read with the documented layout (u32 length, u32 crc, record). */
function frameRanges(bytes: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let o = 0; o < bytes.length; ) {
    const len = bytes.readUInt32LE(o);
    out.push([o, o + 8 + len]);
    o += 8 + len;
  }
  return out;
}

const walOf = (d: string) => join(d, "collections", "c", "wal-000001.log");

describe("damage in a log", () => {
  it("refuses damage in the middle, drops only a torn tail, and --repair keeps every intact record (24 seeded cases)", async () => {
    const base = await pristine();
    const original = readFileSync(walOf(base));
    const frames = frameRanges(original);
    expect(frames).toHaveLength(RECORDS);
    const r = rng(20261201);
    let middles = 0;
    let tails = 0;
    for (let round = 0; round < 24; round++) {
      const d = dir(`case${round}`);
      cpSync(base, d, { recursive: true });
      const bytes = Buffer.from(original);
      // the last rounds aim at the tail so both outcomes are exercised
      const at = round >= 20 ? frames[RECORDS - 1 - (round % 2)]![0] + Math.floor(r() * 40) : Math.floor(r() * bytes.length);
      if (round % 2 === 0) bytes[at] = bytes[at]! ^ (1 + Math.floor(r() * 255));
      else bytes.fill(0, at, Math.min(bytes.length, at + 4096));
      let lo = 0;
      while (lo < bytes.length && bytes[lo] === original[lo]) lo++;
      let hi = bytes.length;
      while (hi > lo && bytes[hi - 1] === original[hi - 1]) hi--;
      expect(hi).toBeGreaterThan(lo);
      writeFileSync(walOf(d), bytes);
      const damaged = frames.map(([s, e]) => s < hi && e > lo);
      const first = damaged.indexOf(true);
      const intact = damaged.flatMap((x, k) => (x ? [] : [k]));
      const tail = damaged.slice(first).every((x) => x);
      const warnings: string[] = [];
      const opened = await EmbeddedStore.open({ path: d, onWarning: (m) => warnings.push(m) }).catch((e: unknown) => e);
      if (tail) {
        tails++;
        expect(opened).toBeInstanceOf(EmbeddedStore);
        const s = opened as EmbeddedStore;
        expect(s.get("c").count).toBe(intact.length * PER);
        expect(warnings.join("\n")).toMatch(new RegExp(`dropped a torn tail of .*wal-000001\\.log at byte ${frames[first]![0]} `));
        s.close();
        // what precedes the tail is byte for byte what was there
        expect(readFileSync(walOf(d)).equals(bytes.subarray(0, frames[first]![0]))).toBe(true);
        continue;
      }
      middles++;
      expect(opened).toBeInstanceOf(StoreError);
      const after = intact.filter((k) => k > first).length;
      const dropped = damaged.reduce((s, x, k) => s + (x ? frames[k]![1] - frames[k]![0] : 0), 0);
      const msg = (opened as Error).message;
      expect(msg).toContain(`log ${walOf(d)} is damaged at byte ${frames[first]![0]} `);
      expect(msg).toContain(`${after} intact record(s)`);
      expect(msg).toContain(`drops ${dropped} damaged byte(s)`);
      expect(msg).toContain(`margin store --repair --path ${d}`);
      expect(readFileSync(walOf(d)).equals(bytes)).toBe(true); // refusing changed nothing
      const s = await EmbeddedStore.open({ path: d, repair: true });
      try {
        const col = s.get("c");
        expect(col.count).toBe(intact.length * PER);
        for (const k of intact) for (const id of idsOf(k)) expect(col.payloadAt(col.row(id)!)).toMatchObject({ k, i: id });
        expect(s.repaired).toHaveLength(1);
        expect(s.repaired[0]).toMatchObject({ file: walOf(d), keptFrames: intact.length, droppedBytes: dropped });
        // the original, every byte, under its new name
        expect(readFileSync(s.repaired[0]!.original).equals(bytes)).toBe(true);
        // and the repaired log takes writes that survive a restart
        await s.upsertPoints("c", { ids: [999_999], vectors: new Float32Array(DIM).fill(1) });
      } finally {
        s.close();
      }
      const again = await EmbeddedStore.open({ path: d });
      expect(again.get("c").count).toBe(intact.length * PER + 1);
      again.close();
    }
    expect(middles).toBeGreaterThanOrEqual(15);
    expect(tails).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("refuses damage in a log that a later log follows", async () => {
    const d = dir("later");
    cpSync(await pristine(), d, { recursive: true });
    const col = join(d, "collections", "c");
    const bytes = readFileSync(walOf(d));
    writeFileSync(walOf(d), bytes.subarray(0, bytes.length - 5)); // cut short, but not the last log
    writeFileSync(join(col, "wal-000002.log"), Buffer.alloc(0));
    const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/wal-000001\.log is damaged at byte \d+ \(a frame cut short\) and later logs follow it/);
  });
});

describe("margin store --repair", () => {
  it("refuses a folder with mid-log damage, then repairs it and serves every intact record", async () => {
    const d = dir("cli");
    cpSync(await pristine(), d, { recursive: true });
    const bytes = readFileSync(walOf(d));
    const frames = frameRanges(bytes);
    const [s, e] = frames[40]!;
    bytes.fill(0, s + 3, e - 3); // record 40 zeroed inside
    writeFileSync(walOf(d), bytes);
    const err = await command.run(["--path", d, "--port", "0", "--json"]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`is damaged at byte ${s} (a checksum mismatch) and ${RECORDS - 41} intact record(s)`);
    const logs: string[] = [];
    const errs: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((m: string) => void logs.push(m));
    const error = vi.spyOn(console, "error").mockImplementation((m: string) => void errs.push(m));
    try {
      const done = command.run(["--path", d, "--port", "0", "--json", "--repair"]);
      await vi.waitFor(() => expect(logs.length).toBeGreaterThan(0), { timeout: 20_000 });
      const info = JSON.parse(logs[0]!) as { url: string; points: number };
      expect(info.points).toBe((RECORDS - 1) * PER);
      expect(errs.join("\n")).toMatch(new RegExp(`repaired .*wal-000001\\.log: kept ${RECORDS - 1} record\\(s\\) \\(\\d+ bytes\\), dropped ${e - s} damaged byte\\(s\\) at ${s}-${e}; the original is .*wal-000001\\.log\\.damaged-`));
      process.emit("SIGTERM");
      expect(await done).toBe(0);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    const kept = readdirSync(join(d, "collections", "c")).filter((f) => f.includes(".damaged-"));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(d, "collections", "c", kept[0]!)).equals(bytes)).toBe(true);
  }, 60_000);
});

describe("missing files", () => {
  async function compacted(tag: string): Promise<string> {
    const d = dir(tag);
    const h = await harness(tag, { path: d });
    await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
    await h.client.upsert("c", { wait: true, points: Array.from({ length: 100 }, (_, i) => ({ id: i, vector: [i, 1] })) });
    await h.running.store.compact("c");
    await h.client.upsert("c", { wait: true, points: [{ id: 500, vector: [1, 1] }] });
    await h.stop();
    expect(readdirSync(join(d, "collections", "c")).sort()).toEqual(["collection.json", "snapshot-000002.bin", "wal-000002.log"]);
    return d;
  }

  it("refuses to start when the snapshot the logs depend on is gone", async () => {
    const d = await compacted("nosnap");
    rmSync(join(d, "collections", "c", "snapshot-000002.bin"));
    const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`${join(d, "collections", "c", "snapshot-000002.bin")} is missing (the logs start at wal-000002.log`);
    expect(readdirSync(join(d, "collections", "c"))).toContain("wal-000002.log"); // nothing touched
  });

  it("refuses to start when a log between the snapshot and the last log is gone", async () => {
    const d = await compacted("nolog");
    const col = join(d, "collections", "c");
    renameSync(join(col, "wal-000002.log"), join(col, "wal-000003.log"));
    const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`${join(col, "wal-000002.log")} is missing`);
  });
});

describe("records that cannot be replayed, stray folders", () => {
  it("opens a collection whose log holds an unreplayable record read-only, and serves the others", async () => {
    const d = dir("degraded");
    const h = await harness("degraded", { path: d });
    for (const n of ["c", "deep", "ok"]) {
      await h.client.createCollection(n, { vectors: { size: 2, distance: "Dot" } });
      await h.client.upsert(n, { wait: true, points: [{ id: 1, vector: [1, 0], payload: { n } }] });
    }
    await h.stop();
    const wal = (n: string) => join(d, "collections", n, "wal-000001.log");
    const at = readFileSync(wal("c")).length;
    appendFileSync(wal("c"), encodeFrame({ op: 2, ops: { not: "a list" } })); // intact frame, impossible operations
    appendFileSync(wal("c"), encodeFrame({ op: 3, ops: [{ type: "delete", sel: { ids: [1] } }] }));
    // an overwrite_payload nested 100,000 deep, framed by hand (u32 length, u32 CRC-32, u32 json length, json, pad)
    const json = Buffer.from(`{"op":2,"ops":[{"type":"overwrite_payload","sel":{"ids":[1]},"payload":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}]}`);
    const rec = Buffer.alloc(4 + json.length + ((4 - (json.length % 4)) % 4));
    rec.writeUInt32LE(json.length, 0);
    json.copy(rec, 4);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(rec.length, 0);
    head.writeUInt32LE(crc32(rec), 4);
    const deepAt = readFileSync(wal("deep")).length;
    appendFileSync(wal("deep"), Buffer.concat([head, rec]));
    const warnings: string[] = [];
    const g = await harness("degraded2", { path: d, onWarning: (m) => warnings.push(m) });
    try {
      expect(warnings.join("\n")).toContain(`the record of operation 2 at byte ${at} of ${wal("c")} could not be replayed`);
      expect(warnings.join("\n")).toContain(`the record of operation 2 at byte ${deepAt} of ${wal("deep")} could not be replayed (Maximum call stack size exceeded)`);
      expect(g.running.store.degraded().map((x) => x.name).sort()).toEqual(["c", "deep"]);
      // reads of all; the record after the bad one was not applied
      expect((await g.client.retrieve("c", { ids: [1], with_payload: true }))[0]!.payload).toEqual({ n: "c" });
      expect((await g.client.retrieve("deep", { ids: [1], with_payload: true }))[0]!.payload).toEqual({ n: "deep" });
      const w = await g.raw("PUT", "/collections/c/points?wait=true", { points: [{ id: 2, vector: [0, 1] }] });
      expect(w.status).toBe(500);
      expect(w.json.status.error).toMatch(/^Service internal error: collection `c` is read-only: the record of operation 2 at byte \d+ of .*wal-000001\.log/);
      await expect(g.running.store.compact("deep")).rejects.toThrow(/collection `deep` is read-only/);
      await g.client.upsert("ok", { wait: true, points: [{ id: 2, vector: [0, 1] }] });
      expect((await g.client.count("ok")).count).toBe(2);
    } finally {
      await g.stop();
    }
    expect(readFileSync(wal("c")).length).toBeGreaterThan(at); // the logs were left as they were
    expect(readFileSync(wal("deep")).length).toBe(deepAt + head.length + rec.length);
  });

  it("skips stray folders with a warning, never deletes them, and will not create a collection over one", async () => {
    const d = dir("stray");
    const h = await harness("stray", { path: d });
    await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
    await h.stop();
    const root = join(d, "collections");
    mkdirSync(join(root, "empty"));
    writeFileSync(join(root, "empty", "notes.txt"), "mine");
    mkdirSync(join(root, "badjson"));
    writeFileSync(join(root, "badjson", "collection.json"), "{not json");
    mkdirSync(join(root, ".hidden"));
    writeFileSync(join(root, "file.txt"), "x");
    const warnings: string[] = [];
    const g = await harness("stray2", { path: d, onWarning: (m) => warnings.push(m) });
    try {
      expect(g.running.store.names()).toEqual(["c"]);
      const text = warnings.join("\n");
      expect(text).toContain(`skipped ${join(root, "empty")}: it has no collection.json`);
      expect(text).toContain(`skipped ${join(root, "badjson")}: its collection.json is not valid JSON`);
      expect(text).toContain(`skipped ${join(root, "file.txt")}: it is a file, not a folder`);
      expect(text).toContain(`skipped ${join(root, ".hidden")}`);
      const made = await g.raw("PUT", "/collections/empty", { vectors: { size: 2, distance: "Dot" } });
      expect(made.status).toBe(500);
      expect(made.json.status.error).toMatch(/the folder .*empty is in the way/);
    } finally {
      await g.stop();
    }
    expect(readFileSync(join(root, "empty", "notes.txt"), "utf8")).toBe("mine");
    expect(readdirSync(root).sort()).toEqual([".hidden", "badjson", "c", "empty", "file.txt"]);
  });
});
