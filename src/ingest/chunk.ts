/**
 * What the stages of {@link ingest} hand each other: a chunk of files moves
 * read → dedupe → decode → embed → upsert, each stage taking the previous
 * one's output and returning its own, plus the files it had to drop and why.
 * Nothing here is public API.
 */

import type { WalkEntry } from "../data/walk.js";
import type { FileIdentity } from "../model/decode.js";
import type { SkippedFile } from "./types.js";

/** A file opened, checked and hashed (small files' bytes kept, so they are read once). */
export interface ReadFile {
  entry: WalkEntry;
  sha256: string;
  identity: FileIdentity;
  bytes?: Uint8Array;
}

/** A file whose id is new to this run and to the collection (or `force`). */
export interface FreshFile extends ReadFile {
  id: string;
}

/** A file decoded and preprocessed to the model's input tensor. */
export interface DecodedFile {
  entry: WalkEntry;
  id: string;
  sha256: string;
  tensor: Float32Array;
  /** The image's own size after EXIF rotation (the payload's). */
  width: number;
  height: number;
}

/** Decoded files and their embeddings, row i of `vectors` (length files × dim) for `files[i]`. */
export interface EmbeddedChunk {
  files: DecodedFile[];
  vectors: Float32Array;
  dim: number;
}

/** A stage's output: what goes on, and the files that stop here with their reason. */
export interface StageOutput<T> {
  next: T[];
  skipped: SkippedFile[];
}

/** A file dropped at a stage, in the summary's form (path relative to the folder). */
export function skippedFile(entry: WalkEntry, reason: SkippedFile["reason"], message: string): SkippedFile {
  return { path: entry.relativePath, reason, message };
}
