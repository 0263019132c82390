import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InputError, Kernels, QdrantStore, forgetPoints, identityAdapter, listMarks, marksCollection,
  recordMarks, reembed, sessionsFromMarks, startEmbeddedStore,
} from "../../src/index.js";
import { applyAdapterReference } from "../../src/adapt/adapter.js";
import { gaussian } from "../helpers/random.js";

const DIM = 4;
const UUID = "6f1c2d3e-4a5b-4c6d-8e7f-001122334455";
const ids = [1, 2, 3, 4, 5, 6, 7, 8, UUID];
const vectors = gaussian(ids.length * DIM, 3);

async function fill(store: QdrantStore, name: string) {
  await store.ensureCollection({ name, size: DIM, distance: "Euclid" });
  await store.upsert(name, ids.map((id, i) => ({ id, vector: vectors.subarray(i * DIM, (i + 1) * DIM), payload: { label: `l${i % 3}`, model: "base" } })));
}

describe("marks recorded with the collection", () => {
  let dir: string;
  let close: () => Promise<void>;
  let store: QdrantStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-marks-"));
    const s = await startEmbeddedStore({ path: join(dir, "store"), port: 0 });
    close = () => s.close();
    store = await QdrantStore.connect({ url: s.url });
    await fill(store, "pts");
  });
  afterAll(async () => {
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it("records sessions by query id and by vector in the sidecar collection, and lists them oldest first", async () => {
    const a = await recordMarks(store, { collection: "pts", query: { id: 1 }, right: [2, 3], wrong: [4], model: "base", time: new Date("2026-01-01T00:00:00Z") });
    const q = Array.from({ length: DIM }, (_, j) => j / 10);
    const b = await recordMarks(store, { collection: "pts", query: { vector: q }, right: [UUID], wrong: [5, 6], model: "base", time: new Date("2026-01-02T00:00:00Z") });
    expect(a.queryVector).toEqual(vectors.subarray(0, DIM));
    expect(await store.collectionInfo(marksCollection("pts"))).toMatchObject({ size: DIM, distance: "Euclid", points: 2 });
    const { records, dropped } = await listMarks(store, "pts");
    expect(dropped).toBe(0);
    expect(records.map((r) => ({ ...r, queryVector: Array.from(r.queryVector) }))).toEqual([
      { id: a.id, queryId: 1, queryVector: Array.from(vectors.subarray(0, DIM)), right: [2, 3], wrong: [4], model: "base", time: "2026-01-01T00:00:00.000Z" },
      { id: b.id, queryId: null, queryVector: Array.from(Float32Array.from(q)), right: [UUID], wrong: [5, 6], model: "base", time: "2026-01-02T00:00:00.000Z" },
    ]);
    const set = await sessionsFromMarks(store, "pts", records);
    expect(set.dim).toBe(DIM);
    const row = (s: number, r: number) => Array.from(set.vectors.subarray(r * DIM, (r + 1) * DIM));
    expect(row(0, set.sessions[0]!.query)).toEqual(Array.from(vectors.subarray(0, DIM)));
    expect(set.sessions[1]!.right.map((r) => row(1, r))).toEqual([Array.from(vectors.subarray(8 * DIM, 9 * DIM))]);
    expect(set.sessions.map((s) => [s.right.length, s.wrong.length])).toEqual([[2, 1], [1, 2]]);
  });

  it("deleting a point removes it from the records: forgetPoints rewrites them, listMarks drops ids no longer stored", async () => {
    await store.ensureCollection({ name: "del", size: DIM, distance: "Euclid" });
    await fill(store, "del");
    const a = await recordMarks(store, { collection: "del", query: { id: 1 }, right: [2], wrong: [3, 4], model: "base" });
    const b = await recordMarks(store, { collection: "del", query: { id: 5 }, right: [3], wrong: [], model: "base" });
    await store.deletePoints("del", [3]);
    expect(await forgetPoints(store, "del", [3])).toEqual({ updated: 1, deleted: 1 });
    let { records } = await listMarks(store, "del");
    expect(records.map((r) => [r.id, r.right, r.wrong])).toEqual([[a.id, [2], [4]]]);
    expect(records.some((r) => r.id === b.id)).toBe(false);
    // deleted by another client, without forgetPoints: dropped when read
    await store.deletePoints("del", [4, 1]);
    const listed = await listMarks(store, "del");
    expect(listed.dropped).toBe(1);
    expect(listed.records.map((r) => [r.queryId, r.right, r.wrong])).toEqual([[null, [2], []]]);
  });

  it("rejects marks that cannot be recorded, naming the problem", async () => {
    const rec = (o: Partial<Parameters<typeof recordMarks>[1]>) => recordMarks(store, { collection: "pts", query: { id: 1 }, right: [2], wrong: [3], model: "base", ...o });
    await expect(rec({ collection: "nope" })).rejects.toThrow(new InputError('recordMarks: collection "nope" does not exist; ingest into it first'));
    await expect(rec({ right: [99] })).rejects.toThrow(/marked point 99 is not in collection "pts"; mark results of this collection/);
    await expect(rec({ right: [2], wrong: [2] })).rejects.toThrow(/2 is marked both right and wrong; keep one mark/);
    await expect(rec({ right: [], wrong: [] })).rejects.toThrow(/no marks; mark at least one result/);
    await expect(rec({ query: { vector: [1, 2] } })).rejects.toThrow(/query vector has 2 values .* size 4/);
    await expect(rec({ query: {} })).rejects.toThrow(/exactly one of id or vector/);
    await expect(rec({ right: [-1] })).rejects.toThrow(/holds -1, which is not a point id/);
  });

  it("re-embeds a collection from its stored vectors through an adapter into a new collection", async () => {
    const k = await Kernels.load();
    const a = identityAdapter({ kind: "mlp", dim: DIM, hidden: 3, seed: 2 });
    for (let i = 0; i < a.params.length; i++) a.params[i] = a.params[i]! + 0.1 * Math.sin(i + 1);
    const r = await reembed({ store, kernels: k, adapter: a, from: "pts", to: "pts-adapted", model: "adapted" });
    expect(r.points).toBe(ids.length);
    const got = await store.retrieve("pts-adapted", ids, { withVector: true });
    const want = applyAdapterReference(a, vectors);
    for (const p of got) {
      const i = ids.indexOf(p.id);
      expect(p.payload).toEqual({ label: `l${i % 3}`, model: "adapted" });
      p.vector!.forEach((v, j) => expect(v).toBeCloseTo(want[i * DIM + j]!, 5));
    }
    await expect(reembed({ store, kernels: k, adapter: a, from: "pts", to: "pts", model: "x" })).rejects.toThrow(/must differ from "pts"/);
    await expect(reembed({ store, kernels: k, adapter: identityAdapter({ kind: "linear", dim: 3 }), from: "pts", to: "x", model: "x" }))
      .rejects.toThrow(/holds vectors of size 4 but the adapter maps size 3/);
  });
});

describe("marks survive a kill -9 of the store", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const startStore = () => new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/margin.js", "store", "--path", join(dir, "store"), "--port", "0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ child, url: JSON.parse(line).url });
    });
    child.on("exit", (code) => reject(new Error(`margin store exited with ${code}: ${out}`)));
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-marks-kill-"));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("every acknowledged record is there after SIGKILL and a restart", async () => {
    const first = await startStore();
    let store = await QdrantStore.connect({ url: first.url });
    await fill(store, "pts");
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await recordMarks(store, { collection: "pts", query: { id: 1 + i }, right: [7], wrong: [8], model: "base" })).id);
    const exited = new Promise((r) => first.child.once("exit", r));
    first.child.kill("SIGKILL");
    await exited;
    const second = await startStore();
    store = await QdrantStore.connect({ url: second.url });
    const { records } = await listMarks(store, "pts");
    expect(records.map((r) => r.id).sort()).toEqual([...made].sort());
    second.child.kill("SIGTERM");
  });
});
