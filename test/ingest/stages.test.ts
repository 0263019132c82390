/**
 * The counts of an ingest are derived from each file's outcome: on a folder
 * with duplicates, files stored already and files skipped (counted by hand
 * below), every progress event's `done` is the sum of its four outcomes, and
 * the summary adds up to the files found. Stage busy times are wall-clock
 * unions, so none can exceed the run's time.
 */

import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Encoder, ingest, QdrantStore, type IngestEvent, type IngestSummary } from "../../src/index.js";
import { type IngestRig, startIngestRig } from "./store.js";

const FIRST = ["coat/t10k-00006.png", "coat/t10k-00025.png", "bag/t10k-00053.png", "sneaker/t10k-00038.png"];
const LATER = ["coat/t10k-00187.png", "coat/t10k-00313.png"];
let tmp: string, dir: string, rig: IngestRig, store: QdrantStore, encoder: Encoder;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-stages-"));
  dir = join(tmp, "images");
  await mkdir(join(dir, "x"), { recursive: true });
  for (const f of FIRST) await copyFile(join("samples/fashion-mnist", f), join(dir, f.replace("/", "-")));
  await copyFile(join("samples/fashion-mnist", FIRST[0]!), join(dir, "x", "same-bytes.png")); // 1 duplicate
  await writeFile(join(dir, "notes.png"), "not an image\n"); // skipped: unsupported
  await writeFile(join(dir, "empty.jpg"), ""); // skipped: empty
  rig = await startIngestRig(join(tmp, "store"));
  ({ store, encoder } = rig);
});
afterAll(async () => {
  await rig?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Runs ingest with batches of 2 (so several chunks overlap) and checks every progress event's arithmetic. */
async function run(collection: string): Promise<IngestSummary> {
  const events: IngestEvent[] = [];
  const s = await ingest({ dir, collection, model: encoder, store, batchSize: 2, workers: 2, onProgress: (e) => events.push(e) });
  const progress = events.flatMap((e) => (e.status === "progress" ? [e] : []));
  expect(progress.length).toBeGreaterThan(0);
  let last = 0;
  for (const p of progress) {
    expect(p.done).toBe(p.ingested + p.alreadyPresent + p.duplicates + p.skipped);
    expect(p.done).toBeLessThanOrEqual(p.found);
    expect(p.done).toBeGreaterThanOrEqual(last);
    last = p.done;
  }
  const end = progress.at(-1)!;
  expect([end.done, end.found, end.total]).toEqual([s.files, s.files, s.files]);
  expect(s.ingested + s.alreadyPresent + s.duplicates + s.skipped.length).toBe(s.files);
  const { decodeWorkers, ...stages } = s.stageSeconds;
  expect(Object.keys(stages).sort()).toEqual(["decode", "dedupe", "embed", "read", "upsert"]);
  for (const [stage, t] of Object.entries(stages)) {
    expect(t, stage).toBeGreaterThan(0);
    expect(t, stage).toBeLessThanOrEqual(s.seconds);
  }
  expect(decodeWorkers).toBeGreaterThan(0);
  expect(decodeWorkers).toBeLessThanOrEqual(2 * s.seconds);
  return s;
}

describe("ingest's derived counts", () => {
  it("count each file once: ingested, duplicate, already present or skipped", async () => {
    const collection = `stages-${process.pid}`;
    const first = await run(collection);
    // 4 distinct images + 1 copy of one of them + 2 bad files = 7 files
    expect([first.files, first.ingested, first.alreadyPresent, first.duplicates]).toEqual([7, 4, 0, 1]);
    expect(first.skipped.map((k) => [k.path, k.reason])).toEqual([["empty.jpg", "empty"], ["notes.png", "unsupported"]]);

    for (const f of LATER) await copyFile(join("samples/fashion-mnist", f), join(dir, f.replace("/", "-")));
    const second = await run(collection);
    // 9 files: the 2 new ones ingested, the 4 from before present, the copy a duplicate, the 2 bad files skipped again
    expect([second.files, second.ingested, second.alreadyPresent, second.duplicates, second.skipped.length]).toEqual([9, 2, 4, 1, 2]);
    expect(await store.count(second.target)).toBe(6);
  });
});
