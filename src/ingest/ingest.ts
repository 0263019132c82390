/**
 * `ingest`: an image folder into a Qdrant collection. A pipeline of chunks
 * (batchSize files each, a bounded number in flight, so memory stays flat):
 * read + SHA-256 on the main thread's I/O pool → which ids are stored
 * already → decode + preprocess on worker threads → embed (one inference
 * at a time) → upsert with `wait: true` (a few streams). Chunks overlap, so
 * decoding, inference and upserts run at once.
 */

import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { DataError, InputError } from "../errors.js";
import { DEFAULT_PIXEL_LIMIT, DEFAULT_READ_TIMEOUT_MS, defaultMaxBytes, hashImageFile, ImageError } from "../model/decode.js";
import { NodeEncoder as Encoder } from "../model/session-node.js";
import { walkImages, type WalkEntry } from "../data/walk.js";
import type { StorePoint } from "../store/qdrant.js";
import { MODEL_METADATA_KEY, modelIdentity } from "../model/identity.js";
import { ingestTarget } from "./versioned.js";
import { DecodePool, DEFAULT_IN_FLIGHT_BYTES } from "./decode-pool.js";
import { pointIdFromSha256 } from "./point-id.js";
import { Limiter } from "./limiter.js";
import type { IngestCounts, IngestOptions, IngestSummary, SkippedFile } from "./types.js";

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
  const batchSize = int(options.batchSize, 64, "batchSize", 1, 4096);
  const workers = int(options.workers, Math.min(16, availableParallelism()), "workers", 1, 256);
  const streams = int(options.upsertStreams, 2, "upsertStreams", 1, 64);
  const pixelLimit = int(options.pixelLimit, DEFAULT_PIXEL_LIMIT, "pixelLimit", 1, Number.MAX_SAFE_INTEGER);
  const maxBytes = int(options.maxBytes, defaultMaxBytes(pixelLimit), "maxBytes", 1, Number.MAX_SAFE_INTEGER);
  const readTimeoutMs = int(options.readTimeoutMs, DEFAULT_READ_TIMEOUT_MS, "readTimeoutMs", 1, 24 * 3600_000);
  const inFlightBytes = int(options.inFlightBytes, DEFAULT_IN_FLIGHT_BYTES, "inFlightBytes", 1, Number.MAX_SAFE_INTEGER);
  if (typeof options.collection !== "string" || !/^[A-Za-z0-9_.-]{1,255}$/.test(options.collection)) {
    throw new InputError(`collection name ${JSON.stringify(options.collection)} must be 1-255 letters, digits, _ . -`);
  }
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
    const identity = await modelIdentity(encoder.cardPath, card);
    const plan = await ingestTarget(store, options.collection, identity);
    const collection = plan.collection; // where the points go; the alias switches to it at the end
    const { created } = await store.ensureCollection({
      name: collection, size: card.output.dim, distance: card.distance, shards: options.shards, replicas: options.replicas,
      metadata: { [MODEL_METADATA_KEY]: identity },
    });
    pool = new DecodePool({ workers, input: card.input, pixelLimit, maxBytes, readTimeoutMs, inFlightBytes, depth: Math.ceil(batchSize / workers) + 2 });
    onProgress?.({ status: "start", collection: options.collection, target: collection, model: card.name, device: encoder.device, created, workers });

    const counts: IngestCounts = { found: 0, done: 0, ingested: 0, alreadyPresent: 0, duplicates: 0, skipped: 0 };
    const skipped: SkippedFile[] = [];
    const seen = new Set<string>();
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
      onProgress({ status: "progress", total, seconds: (now - started) / 1000, ...counts });
    };
    const skip = (e: WalkEntry, reason: SkippedFile["reason"], message: string) => {
      const s: SkippedFile = { path: e.relativePath, reason, message };
      skipped.push(s);
      counts.skipped++;
      counts.done++;
      onProgress?.({ status: "skip", ...s });
    };
    const embedOne = new Limiter(1);
    const upserts = new Limiter(streams);

    const runChunk = async (entries: WalkEntry[]) => {
      // 1. ids: each file opened once and fstat'ed (regular files only, size capped, under a deadline),
      //    hashed in chunks; small files' bytes kept so they are read once
      const hashing = new Limiter(HASHING);
      const read = await Promise.all(entries.map((e) => hashing.run(async () => {
        try {
          const h = await hashImageFile(e.path, { maxBytes, timeoutMs: readTimeoutMs, keepBytes: KEEP_BYTES });
          return { e, bytes: h.bytes, identity: h.identity, sha: h.sha256 };
        } catch (err) {
          if (!(err instanceof ImageError)) throw err;
          skip(e, err.reason, err.message);
          return undefined;
        }
      })));
      const fresh = [];
      for (const r of read) {
        if (!r) continue;
        const id = pointIdFromSha256(r.sha);
        if (seen.has(id)) { counts.duplicates++; counts.done++; continue; }
        seen.add(id);
        fresh.push({ ...r, id });
      }
      // 2. what is stored already
      const present = options.force || fresh.length === 0 ? new Set() : await store.existingIds(collection, fresh.map((r) => r.id));
      const todo = fresh.filter((r) => !present.has(r.id));
      counts.alreadyPresent += fresh.length - todo.length;
      counts.done += fresh.length - todo.length;
      // 3. decode + preprocess on the workers
      const decoded = await Promise.all(todo.map(async (r) => {
        const res = await pool!.decode(r.e.path, r.identity, r.bytes);
        if (!res.ok) { skip(r.e, res.reason, res.message); return undefined; }
        return { ...r, bytes: undefined, res };
      }));
      const good = decoded.filter((d) => d !== undefined);
      if (good.length === 0) { progress(); return; }
      // 4. embed, one batch at a time
      const size = encoder.inputSize;
      const packed = new Float32Array(good.length * size);
      good.forEach((d, i) => packed.set(d.res.tensor, i * size));
      const vectors = await embedOne.run(() => encoder.embed(packed));
      // 5. upsert with wait: true; only then do they count
      const dim = encoder.dim;
      const points: StorePoint[] = good.map((d, i) => ({
        id: d.id,
        vector: vectors.subarray(i * dim, (i + 1) * dim),
        payload: {
          path: d.e.relativePath, ...(d.e.label !== undefined ? { label: d.e.label } : {}),
          sha256: d.sha, width: d.res.width, height: d.res.height, model: card.name,
        },
      }));
      await upserts.run(() => store.upsert(collection, points));
      counts.ingested += points.length;
      counts.done += points.length;
      progress();
    };

    // chunks in flight: one decoding ahead, one embedding, `streams` upserting; bounded for flat memory
    const inFlight = new Limiter(2 + streams);
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const launch = async (entries: WalkEntry[]) => {
      await inFlight.acquire();
      if (failure) { inFlight.release(); return; }
      const p = runChunk(entries).catch((e) => { failure ??= e; }).finally(() => { inFlight.release(); running.delete(p); });
      running.add(p);
    };
    let chunk: WalkEntry[] = [];
    for (let it = first; !it.done && !failure; it = await walker.next()) {
      counts.found++;
      chunk.push(it.value);
      if (chunk.length === batchSize) { await launch(chunk); chunk = []; progress(); }
    }
    total = counts.found; // the pipeline's own walk is the authority
    if (chunk.length > 0 && !failure) await launch(chunk);
    await Promise.all(running);
    if (failure) throw failure;
    progress(true);

    if (plan.alias) await store.switchAlias(plan.alias, collection); // only now do searches of the alias see it
    const pruned: string[] = [];
    if (options.prune && plan.previous && plan.previous !== collection && (await store.deleteCollection(plan.previous))) pruned.push(plan.previous);

    const summary: IngestSummary = {
      collection: options.collection, target: collection, ...(plan.previous ? { previous: plan.previous } : {}), pruned,
      model: card.name, modelVersion: identity.version, device: encoder.device, created,
      ingested: counts.ingested, alreadyPresent: counts.alreadyPresent, duplicates: counts.duplicates,
      skipped: skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      files: counts.found, seconds: (performance.now() - started) / 1000,
    };
    onProgress?.({ status: "done", summary });
    if (options.strict && skipped.length > 0) throw new IngestStrictError(summary);
    return summary;
  } finally {
    stopCounting = true;
    await walker.return(undefined);
    await pool?.close();
    if (owned) await encoder.close();
  }
}

function int(v: number | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`ingest: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}
