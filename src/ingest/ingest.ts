/**
 * `ingest`: an image folder into a Qdrant collection, as five named stages
 * over chunks of `batchSize` files: read (open, check, SHA-256 on the main
 * thread's I/O pool) → dedupe (ids seen in this run or stored already) →
 * decode (+ preprocess, on worker threads) → embed (one inference at a time)
 * → upsert (`wait: true`, a few streams). Each stage is its own file
 * (`*-stage.ts`) taking the previous one's output; chunks overlap
 * (pipeline.ts), so decoding, inference and upserts run at once. The counts
 * are derived from each file's outcome (tally.ts).
 */

import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { DataError, InputError } from "../errors.js";
import { DEFAULT_PIXEL_LIMIT, DEFAULT_READ_TIMEOUT_MS, defaultMaxBytes } from "../model/decode.js";
import { NodeEncoder as Encoder } from "../model/session-node.js";
import { walkImages, type WalkEntry } from "../data/walk.js";
import { MODEL_METADATA_KEY, modelIdentity } from "../model/identity.js";
import { ingestTarget } from "./versioned.js";
import { DecodePool, DEFAULT_IN_FLIGHT_BYTES } from "./decode-pool.js";
import { Limiter } from "./limiter.js";
import { runChunks } from "./pipeline.js";
import { Tally } from "./tally.js";
import { StageClock } from "./stage-clock.js";
import { readChunk } from "./read-stage.js";
import { dedupeChunk } from "./dedupe-stage.js";
import { decodeChunk } from "./decode-stage.js";
import { embedChunk } from "./embed-stage.js";
import { upsertChunk } from "./upsert-stage.js";
import type { SkippedFile } from "./types.js";
import type { IngestOptions, IngestSummary } from "./types.js";

/** Thrown by {@link ingest} with `strict: true` when files were skipped; carries the summary. */
export class IngestStrictError extends DataError {
  readonly summary: IngestSummary;
  constructor(summary: IngestSummary) {
    const list = summary.skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`).join(", ");
    const more = summary.skipped.length > 5 ? ` and ${summary.skipped.length - 5} more` : "";
    super(`${summary.skipped.length} file(s) could not be ingested: ${list}${more}; fix or remove them, or run without --strict (every valid image was stored)`);
    this.summary = summary;
  }
}

const PROGRESS_EVERY_MS = 250;
/** Files up to this size are read once, on the main thread, and their bytes sent to a worker. */
const KEEP_BYTES = 64 * 1024;
/** Files hashed at once per chunk (each holds a 256 KiB buffer at most). */
const HASHING = 8;

/**
 * Embed every image under `dir` and store it in `collection`.
 * @returns counts of ingested, already present and duplicate images and the skipped files with reasons.
 * @throws InputError for bad options; ModelError, StoreError (after retries) from the model or store;
 *   IngestStrictError at the end when `strict` and files were skipped.
 * @example
 * const store = await QdrantStore.connect({ url: "http://localhost:6333" });
 * const summary = await ingest({ dir: "samples/fashion-mnist", collection: "fashion",
 *   model: "models/fashion-mnist-triplet-64.json", store });
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const o = checkOptions(options);
  const { store, onProgress } = options;
  const started = performance.now();
  const dir = resolve(options.dir);
  const walker = walkImages(dir); // checks the folder before the model loads
  const first = await walker.next();

  const owned = typeof options.model === "string";
  const encoder = typeof options.model === "string"
    ? await Encoder.load({ model: options.model, device: options.device, threads: options.threads, logger: options.logger })
    : options.model;
  const card = encoder.card;
  let pool: DecodePool | undefined;
  let stopCounting = false;
  try {
    // the workers boot (a thread, sharp and libvips each: ~0.5 s of CPU) while the collection is looked up
    pool = new DecodePool({ ...o, input: card.input, depth: Math.ceil(o.batchSize / o.workers) + 2 });
    const identity = await modelIdentity(encoder.cardPath, card);
    const plan = await ingestTarget(store, options.collection, identity);
    const collection = plan.collection; // where the points go; the alias switches to it at the end
    const { created } = await store.ensureCollection({
      name: collection, size: card.output.dim, distance: card.distance, shards: options.shards, replicas: options.replicas,
      metadata: { [MODEL_METADATA_KEY]: identity },
    });
    onProgress?.({ status: "start", collection: options.collection, target: collection, model: card.name, device: encoder.device, created, workers: o.workers });

    const tally = new Tally();
    const clock = new StageClock();
    // a second, listing-only walk counts the files so progress can show an ETA early
    let total: number | undefined;
    void (async () => {
      let n = 0;
      for await (const _ of walkImages(dir)) {
        if (stopCounting) return;
        n++;
      }
      total ??= n;
    })().catch(() => {});
    let lastProgress = 0;
    const progress = (force = false) => {
      const now = performance.now();
      if (!onProgress || (!force && now - lastProgress < PROGRESS_EVERY_MS)) return;
      lastProgress = now;
      onProgress({ status: "progress", total, seconds: (now - started) / 1000, ...tally.counts() });
    };
    const skip = (skipped: SkippedFile[]) => {
      for (const s of skipped) {
        tally.skip(s);
        onProgress?.({ status: "skip", ...s });
      }
    };
    const seen = new Set<string>();
    const oneAtATime = new Limiter(1);
    const streams = new Limiter(o.streams);

    const runChunk = async (entries: WalkEntry[]) => {
      const read = await clock.time("read", () => readChunk(entries, { ...o, keepBytes: KEEP_BYTES, parallel: HASHING }));
      skip(read.skipped);
      const fresh = await clock.time("dedupe", () => dedupeChunk(read.next, { seen, store, collection, force: options.force === true }));
      tally.add("duplicates", fresh.duplicates);
      tally.add("alreadyPresent", fresh.alreadyPresent);
      const decoded = await clock.time("decode", () => decodeChunk(fresh.next, pool!));
      skip(decoded.skipped);
      if (decoded.next.length > 0) {
        const embedded = await clock.time("embed", () => embedChunk(decoded.next, encoder, oneAtATime));
        tally.add("ingested", await clock.time("upsert", () => upsertChunk(embedded, { store, collection, model: card.name, streams })));
      }
      progress();
    };
    // chunks in flight: one decoding ahead, one embedding, `streams` upserting
    await runChunks(walker, first, runChunk, {
      batchSize: o.batchSize, inFlight: 2 + o.streams, onFile: () => tally.foundOne(), onChunk: () => progress(),
    });
    total = tally.files; // the pipeline's own walk is the authority
    progress(true);

    if (plan.alias) await store.switchAlias(plan.alias, collection); // only now do searches of the alias see it
    const pruned: string[] = [];
    if (options.prune && plan.previous && plan.previous !== collection && (await store.deleteCollection(plan.previous))) pruned.push(plan.previous);

    const counts = tally.counts();
    const summary: IngestSummary = {
      collection: options.collection, target: collection, ...(plan.previous ? { previous: plan.previous } : {}), pruned,
      model: card.name, modelVersion: identity.version, device: encoder.device, created,
      ingested: counts.ingested, alreadyPresent: counts.alreadyPresent, duplicates: counts.duplicates,
      skipped: tally.skipped(), files: counts.found, seconds: (performance.now() - started) / 1000,
      stageSeconds: { ...clock.seconds(), decodeWorkers: pool.busySeconds() },
    };
    onProgress?.({ status: "done", summary });
    if (options.strict && summary.skipped.length > 0) throw new IngestStrictError(summary);
    return summary;
  } finally {
    stopCounting = true;
    await walker.return(undefined);
    await pool?.close();
    if (owned) await encoder.close();
  }
}

/** The numeric options, checked, with their defaults. */
function checkOptions(options: IngestOptions) {
  const batchSize = int(options.batchSize, 64, "batchSize", 1, 4096);
  const workers = int(options.workers, Math.min(16, availableParallelism()), "workers", 1, 256);
  const streams = int(options.upsertStreams, 2, "upsertStreams", 1, 64);
  const pixelLimit = int(options.pixelLimit, DEFAULT_PIXEL_LIMIT, "pixelLimit", 1, Number.MAX_SAFE_INTEGER);
  const o = {
    batchSize, workers, streams, pixelLimit,
    maxBytes: int(options.maxBytes, defaultMaxBytes(pixelLimit), "maxBytes", 1, Number.MAX_SAFE_INTEGER),
    readTimeoutMs: int(options.readTimeoutMs, DEFAULT_READ_TIMEOUT_MS, "readTimeoutMs", 1, 24 * 3600_000),
    inFlightBytes: int(options.inFlightBytes, DEFAULT_IN_FLIGHT_BYTES, "inFlightBytes", 1, Number.MAX_SAFE_INTEGER),
  };
  if (typeof options.collection !== "string" || !/^[A-Za-z0-9_.-]{1,255}$/.test(options.collection)) {
    throw new InputError(`collection name ${JSON.stringify(options.collection)} must be 1-255 letters, digits, _ . -`);
  }
  return o;
}

function int(v: number | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`ingest: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}
