/** Restart, compaction, torn tails, damaged snapshots, stale locks. */

import { spawnSync } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/errors.js";
import { crc32 } from "../../src/store/embedded/log/crc32.js";
import { EmbeddedStore } from "../../src/store/embedded-store.js";
import { harness, rand, tempDirs, vectors } from "./helpers.js";

const dir = tempDirs();
const colDir = (d: string) => join(d, "collections", "c");
const xs = vectors(400, 4, 3);

async function fill(path: string, compactBytes?: number) {
  const h = await harness("fill", { path, compactBytes });
  await h.client.createCollection("c", { vectors: { size: 4, distance: "Euclid" } });
  for (let b = 0; b < 8; b++) {
    await h.client.upsert("c", { wait: true, points: xs.slice(b * 50, b * 50 + 50).map((v, j) => ({ id: b * 50 + j, vector: v, payload: { i: b * 50 + j } })) });
  }
  await h.client.delete("c", { wait: true, points: [0, 1, 2] });
  await h.client.setPayload("c", { wait: true, payload: { hot: true }, points: [10] });
  await h.client.createCollection("gone", { vectors: { size: 2, distance: "Dot" } });
  await h.client.deleteCollection("gone");
  await h.stop();
}

async function expectFilled(path: string) {
  const h = await harness("check", { path });
  try {
    expect((await h.client.getCollections()).collections.map((c) => c.name)).toEqual(["c"]);
    expect((await h.client.count("c")).count).toBe(397);
    const [p10] = await h.client.retrieve("c", { ids: [10], with_vector: true });
    expect(p10!.payload).toEqual({ i: 10, hot: true });
    expect((p10!.vector as number[]).map(Math.fround)).toEqual(xs[10]);
    expect(await h.client.retrieve("c", { ids: [0, 1, 2] })).toEqual([]);
    const top = await h.client.query("c", { query: xs[123]!, limit: 1 });
    expect(top.points[0]!.id).toBe(123);
  } finally {
    await h.stop();
  }
}

describe("durability", () => {
  it("crc32 is the standard CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // the word-at-a-time path against a bit-at-a-time CRC, at every alignment and length tail
    const bitwise = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    const r = rand(5);
    const buf = Buffer.from(Array.from({ length: 300 }, () => Math.floor((r() + 1) * 128)));
    for (let off = 0; off < 4; off++) for (const len of [0, 1, 7, 8, 9, 64, 133, 290]) {
      const b = buf.subarray(off, off + len);
      expect(crc32(b)).toBe(bitwise(b));
    }
    expect(crc32(buf.subarray(100), crc32(buf.subarray(0, 100)))).toBe(crc32(buf));
  });

  it("keeps every write across a restart", async () => {
    const d = dir("restart");
    await fill(d);
    await expectFilled(d);
  });

  it("compacts the log into a snapshot and recovers from it", async () => {
    const d = dir("compact");
    await fill(d, 2048); // compactions in the background while writing
    const s = await EmbeddedStore.open({ path: d });
    await s.compact("c"); // and one to its end
    s.close();
    const files = readdirSync(colDir(d));
    expect(files.filter((f) => f.startsWith("snapshot-"))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith("wal-"))).toHaveLength(1);
    await expectFilled(d);
  });

  it("keeps writes made while a snapshot is being written", async () => {
    const d = dir("during");
    const s = await EmbeddedStore.open({ path: d });
    await s.createCollection("c", 4, "Euclid");
    const ids = xs.map((_, i) => i);
    await s.upsertPoints("c", { ids: ids.slice(0, 300), vectors: Float32Array.from(xs.slice(0, 300).flat()), payloads: ids.slice(0, 300).map((i) => ({ i })) });
    const compaction = s.compact("c");
    // while it runs (not awaited: these apply before the snapshot's data is written):
    // new points, changed payloads (copy-on-write), deletes
    const ops = await import("../../src/store/embedded/wire/ops.js");
    const writes = [
      s.upsertPoints("c", { ids: ids.slice(300), vectors: Float32Array.from(xs.slice(300).flat()), payloads: ids.slice(300).map((i) => ({ i })), wait: false }),
      s.write("c", [ops.parsePayloadOp("set_payload", { payload: { late: true }, points: [5, 305] }, "t")], false),
      s.write("c", [{ type: "delete", sel: { ids: [6, 306] } }], true),
    ];
    await Promise.all([...writes, compaction]);
    s.close();
    const files = readdirSync(colDir(d));
    expect(files.filter((f) => f.startsWith("snapshot-"))).toEqual(["snapshot-000002.bin"]);
    expect(files.filter((f) => f.startsWith("wal-"))).toEqual(["wal-000002.log"]);
    const r = await EmbeddedStore.open({ path: d });
    const col = r.get("c");
    expect(col.count).toBe(398);
    expect(col.payloadAt(col.row(5)!)).toEqual({ i: 5, late: true });
    expect(col.payloadAt(col.row(305)!)).toEqual({ i: 305, late: true });
    expect(col.has(6) || col.has(306)).toBe(false);
    expect(Array.from(col.vectorAt(col.row(399)!))).toEqual(xs[399]);
    r.close();
    // the snapshot alone is exactly the state when the compaction started
    rmSync(join(colDir(d), "wal-000002.log"));
    const snap = await EmbeddedStore.open({ path: d });
    const old = snap.get("c");
    expect(old.count).toBe(300);
    expect(old.payloadAt(old.row(5)!)).toEqual({ i: 5 });
    expect(old.has(6)).toBe(true);
    snap.close();
  });

  it("drops a torn log tail at recovery, and goes on appending", async () => {
    const d = dir("torn");
    await fill(d);
    const wal = join(colDir(d), readdirSync(colDir(d)).find((f) => f.startsWith("wal-"))!);
    const size = readFileSync(wal).length;
    appendFileSync(wal, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6])); // a frame header promising 200 bytes, then a few
    const warnings: string[] = [];
    const s = await EmbeddedStore.open({ path: d, onWarning: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/dropped a torn tail of .*wal-000001\.log at byte \d+ \(a frame cut short\)/);
    expect(readFileSync(wal).length).toBe(size);
    s.close();
    await expectFilled(d);
  });

  it("drops a frame whose checksum does not match", async () => {
    const d = dir("crc");
    await fill(d);
    const h = await harness("crc", { path: d });
    await h.client.upsert("c", { wait: true, points: [{ id: 9999, vector: [1, 2, 3, 4] }] });
    await h.stop();
    const wal = join(colDir(d), "wal-000001.log");
    const bytes = readFileSync(wal);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff; // inside the last record
    writeFileSync(wal, bytes);
    const warnings: string[] = [];
    const s = await EmbeddedStore.open({ path: d, onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/checksum mismatch/);
    expect(s.get("c").has(9999)).toBe(false);
    s.close();
    await expectFilled(d);
  });

  it("refuses a damaged snapshot with a StoreError that says what to do", async () => {
    const d = dir("badsnap");
    await fill(d);
    const s = await EmbeddedStore.open({ path: d });
    await s.compact("c");
    s.close();
    const snap = join(colDir(d), readdirSync(colDir(d)).find((f) => f.startsWith("snapshot-"))!);
    const bytes = readFileSync(snap);
    writeFileSync(snap, bytes.subarray(0, bytes.length - 20));
    const err = await EmbeddedStore.open({ path: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/snapshot .*snapshot-\d+\.bin is damaged .* restore the collection folder from a backup/);
  });

  it("takes over a stale lock left by a dead process", async () => {
    const d = dir("lock");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(join(d, "LOCK"), JSON.stringify({ pid: dead }));
    const s = await EmbeddedStore.open({ path: d });
    expect(JSON.parse(readFileSync(join(d, "LOCK"), "utf8")).pid).toBe(process.pid);
    s.close();
    expect(readdirSync(d)).not.toContain("LOCK");
  });
});
