/**
 * The contract of {@link ingest}: options, progress events (a union on
 * `status`) and the summary.
 */

import type { NodeEncoder as Encoder, Device, Logger } from "../model/session-node.js";
import type { ImageErrorReason } from "../model/decode.js";
import type { QdrantStore } from "../store/qdrant.js";

/** Inputs of {@link ingest}: the folder, the encoder, the store and collection, batching and limits. */
export interface IngestOptions {
  /** The image folder; labels are its first-level sub-folder names. */
  dir: string;
  /**
   * The name users search: an alias of a versioned collection NAME-v<model hash>, created with the
   * model's size, distance and identity (metadata) when missing; see ingest/versioned.ts.
   */
  collection: string;
  /** A model card path ("models/NAME.json") or a loaded {@link Encoder}. */
  model: string | Encoder;
  /** A connected store (Qdrant or the embedded store). */
  store: QdrantStore;
  /** Re-embed and overwrite images already stored. Default false. */
  force?: boolean;
  /** Throw an {@link IngestStrictError} at the end when any file was skipped. Default false. */
  strict?: boolean;
  /** Images per inference batch and per upsert request. Default 64. */
  batchSize?: number;
  /** Decode worker threads. Default: the number of cores (at most 16). */
  workers?: number;
  /** Concurrent upsert requests (streams). Default 2. */
  upsertStreams?: number;
  /** Inference device when `model` is a path. Default "auto". */
  device?: Device;
  /** onnxruntime CPU threads when `model` is a path. */
  threads?: number;
  /** Refuse images above this many pixels. Default 100,000,000. */
  pixelLimit?: number;
  /**
   * Refuse files larger than this many bytes before reading them (reason "too-large").
   * Default: `pixelLimit` × 3 + 1 MiB (287 MiB for the default pixel limit), see `defaultMaxBytes`.
   */
  maxBytes?: number;
  /** Give up on a file whose open + read takes longer than this (reason "timeout"). Default 30,000 ms. */
  readTimeoutMs?: number;
  /** Bytes of image files the decode workers hold at once, all together (one file always fits). Default 16 MiB. */
  inFlightBytes?: number;
  /** Shards when the collection is created (Qdrant clusters). */
  shards?: number;
  /** Replicas when the collection is created (Qdrant clusters). */
  replicas?: number;
  /** After switching the alias to a new model's collection, delete the collection it pointed to before. Default false (kept). */
  prune?: boolean;
  /** Warnings (e.g. the CUDA fallback). */
  logger?: Logger;
  /** Progress events. */
  onProgress?: (event: IngestEvent) => void;
}

/** A file that was not ingested, and why. */
export interface SkippedFile {
  /** Relative to `dir`. */
  path: string;
  reason: ImageErrorReason;
  message: string;
}

/** Running counts of an {@link ingest}: files found and done, and of those ingested, already present, duplicate, skipped. */
export interface IngestCounts {
  /** Files handed to the pipeline so far. */
  found: number;
  /** Files finished (ingested + alreadyPresent + duplicates + skipped). */
  done: number;
  ingested: number;
  alreadyPresent: number;
  duplicates: number;
  skipped: number;
}

/** What {@link ingest} did: the collection and model, the final counts, the files it skipped and why, the time it took. */
export interface IngestSummary {
  /** The name given: an alias of {@link target} once the ingest is done (or `target` itself for a plain collection made before aliases). */
  collection: string;
  /** The collection the points went into, e.g. photos-v0123abcd (versioned by the model). */
  target: string;
  /** The collection the alias pointed to before this run, when this run moved it (a new model). */
  previous?: string;
  /** Collections deleted by `prune`. */
  pruned: string[];
  model: string;
  /** The model's version (content hash of its .onnx), as recorded in the collection's metadata. */
  modelVersion: string;
  device: "cuda" | "cpu";
  /** Whether this run created the collection. */
  created: boolean;
  /** Newly embedded and stored (or re-embedded with `force`). */
  ingested: number;
  /** Skipped because a point with the same id was stored already. */
  alreadyPresent: number;
  /** Files with the same bytes as another file of this run (stored once). */
  duplicates: number;
  skipped: SkippedFile[];
  /** Files looked at. */
  files: number;
  seconds: number;
  /**
   * Where the time went: each stage's busy seconds (wall time during which at least one chunk was in
   * it; chunks overlap, so these add up to more than `seconds`), and `decodeWorkers`, the seconds the
   * decode workers spent on files, summed over workers. The stage busy for nearly all of `seconds` sets the pace.
   */
  stageSeconds: { read: number; dedupe: number; decode: number; embed: number; upsert: number; decodeWorkers: number };
}

/** Progress events, discriminated on `status`. */
export type IngestEvent =
  | { status: "start"; collection: string; target: string; model: string; device: "cuda" | "cpu"; created: boolean; workers: number }
  | ({
      status: "progress";
      /** All files under `dir`, once a separate counting walk has finished (for an ETA); undefined before. */
      total?: number;
      seconds: number;
    } & IngestCounts)
  | ({ status: "skip" } & SkippedFile)
  | { status: "done"; summary: IngestSummary };
