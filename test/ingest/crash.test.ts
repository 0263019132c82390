import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModelCard, modelIdentity, pointIdFromSha256, QdrantStore, sha256Hex, walkImages } from "../../src/index.js";
import { startTestStore, type TestStore } from "./store.js";

const run = promisify(execFile);
const SAMPLES = "samples/fashion-mnist";
let tmp: string;
let server: TestStore;
let store: QdrantStore;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-crash-"));
  server = await startTestStore(join(tmp, "store"));
  store = await QdrantStore.connect({ url: server.url, apiKey: server.apiKey });
});
afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("ingest killed mid-way", () => {
  it("SIGKILL of the child, then a rerun through the CLI, stores every image exactly once", async () => {
    const collection = `crash-${process.pid}`;
    const env = { ...process.env, QDRANT_URL: server.url };
    const child = await run(process.execPath, ["test/ingest/kill-child.mjs", SAMPLES, collection, "200"], { env })
      .then(() => { throw new Error("the child was not killed"); }, (e: { signal?: string; stdout?: string }) => e);
    expect(child.signal).toBe("SIGKILL");
    expect(child.stdout).toMatch(/^killing at \d+/);
    // the killed run never switched the alias: its points are in the versioned collection only
    const card = "models/fashion-mnist-triplet-64.json";
    const target = `${collection}-v${(await modelIdentity(card, await loadModelCard(card))).version.slice(0, 8)}`;
    expect(await store.aliasTarget(collection)).toBeUndefined();
    const before = await store.count(target);
    expect(before).toBeGreaterThanOrEqual(200);
    expect(before).toBeLessThan(1000);

    const { stdout } = await run(process.execPath, ["bin/margin.js", "ingest", SAMPLES, "--collection", collection, "--json", "--device", "cpu"], { env });
    const summary = JSON.parse(stdout);
    expect(summary.alreadyPresent).toBe(before);
    expect(summary.ingested).toBe(1000 - before);
    expect(summary.skipped).toEqual([]);
    expect(await store.count(collection)).toBe(1000);

    // exactly the sample files' ids, each once
    const ids = new Set<string>();
    for await (const f of walkImages(SAMPLES)) ids.add(pointIdFromSha256(sha256Hex(await readFile(f.path))));
    expect(ids.size).toBe(1000);
    const stored = await store.retrieve(collection, [...ids]);
    expect(new Set(stored.map((p) => p.id)).size).toBe(1000);
  });
});
