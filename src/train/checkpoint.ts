/**
 * Checkpoints: after every epoch the trainer writes `checkpoint.json` (the
 * epoch reached, the settings, the history) and `checkpoint.f32` (parameters,
 * then Adam's m and v, little-endian f32) into its checkpoint folder.
 */

import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../errors.js";
import type { NetConfig } from "../nn/plan.js";

/** The JSON half of a checkpoint. */
export interface CheckpointMeta {
  version: 1;
  /** Epochs completed. */
  epoch: number;
  step: number;
  net: NetConfig;
  params: number;
  mean: number;
  std: number;
  seed: number;
  history: unknown[];
  baseline?: unknown;
}

/** Write a checkpoint atomically (temp file + rename). */
export async function saveCheckpoint(dir: string, meta: CheckpointMeta, params: Float32Array, m: Float32Array, v: Float32Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bin = new Float32Array(3 * meta.params);
  bin.set(params, 0);
  bin.set(m, meta.params);
  bin.set(v, 2 * meta.params);
  await writeFile(join(dir, "checkpoint.f32.tmp"), new Uint8Array(bin.buffer));
  await writeFile(join(dir, "checkpoint.json.tmp"), JSON.stringify(meta, null, 2));
  await rename(join(dir, "checkpoint.f32.tmp"), join(dir, "checkpoint.f32"));
  await rename(join(dir, "checkpoint.json.tmp"), join(dir, "checkpoint.json"));
}

/**
 * Read a checkpoint written by {@link saveCheckpoint}.
 * @throws DataError when it is missing or does not match its own size.
 */
export async function loadCheckpoint(dir: string): Promise<{ meta: CheckpointMeta; params: Float32Array; m: Float32Array; v: Float32Array }> {
  let meta: CheckpointMeta;
  let raw: Buffer;
  try {
    meta = JSON.parse(await readFile(join(dir, "checkpoint.json"), "utf8"));
    raw = await readFile(join(dir, "checkpoint.f32"));
  } catch (cause) {
    throw new DataError(`cannot resume: no readable checkpoint in ${dir} (${(cause as Error).message}); train without --resume first`, { cause });
  }
  const P = meta.params;
  if (meta.version !== 1 || raw.byteLength !== 12 * P) {
    throw new DataError(`cannot resume: checkpoint in ${dir} is damaged (${raw.byteLength} bytes for ${P} parameters); delete it and train again`);
  }
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { meta, params: all.slice(0, P), m: all.slice(P, 2 * P), v: all.slice(2 * P) };
}
