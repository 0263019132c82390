/**
 * A model's identity as a collection records it: its name, its version (a
 * content hash of the .onnx file and the card's preprocessing, the two
 * things that decide the vectors, so a retrained model under the same name
 * is another version) and its preprocessing. Kept in Qdrant's collection
 * `metadata` under {@link MODEL_METADATA_KEY}, so search, serve and eval can
 * take the model from the collection and refuse one that does not match.
 */

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { InputError, ModelError } from "../errors.js";
import type { ModelCard, ModelInput } from "./card.js";

/** The collection metadata key margin writes its model under. */
export const MODEL_METADATA_KEY = "margin_model";

/** What a collection knows of the model that made it. */
export interface ModelIdentity {
  name: string;
  /** First 16 hex digits of the SHA-256 of the .onnx file followed by the card's `input` as JSON. */
  version: string;
  /** The card's input: channels, size, resize rule, mean / std. */
  preprocessing: ModelInput;
}

const hashes = new Map<string, Promise<string>>();

/**
 * The identity of the model whose card is at `cardPath` (hashed once per
 * process, .onnx path and preprocessing).
 * @throws ModelError when the .onnx file cannot be read.
 */
export async function modelIdentity(cardPath: string, card: ModelCard): Promise<ModelIdentity> {
  const onnx = join(dirname(resolve(cardPath)), card.onnx ?? `${card.name}.onnx`);
  const key = `${onnx}\n${JSON.stringify(card.input)}`;
  let h = hashes.get(key);
  if (!h) {
    h = readFile(onnx).then(
      (b) => createHash("sha256").update(b).update(JSON.stringify(card.input)).digest("hex").slice(0, 16),
      (e: NodeJS.ErrnoException) => {
        hashes.delete(key);
        throw new ModelError(`model ${card.name}: its ONNX file ${onnx} cannot be read (${e.code ?? e.message}) to record its version`);
      },
    );
    hashes.set(key, h);
  }
  return { name: card.name, version: await h, preprocessing: card.input };
}

/** The model identity in a collection's metadata, or undefined when it has none (not made by margin, or a Qdrant before 1.16). */
export function identityFromMetadata(metadata: Record<string, unknown> | null | undefined): ModelIdentity | undefined {
  const m = metadata?.[MODEL_METADATA_KEY] as Partial<ModelIdentity> | undefined;
  if (!m || typeof m !== "object" || typeof m.name !== "string" || typeof m.version !== "string") return undefined;
  return m as ModelIdentity;
}

/** "fashion-mnist-triplet-64 (version 0123abcd4567ef89)". */
export function describeModel(m: ModelIdentity): string {
  return `${m.name} (version ${m.version})`;
}

/** Do two identities name the same model file? */
export function sameModel(a: ModelIdentity, b: ModelIdentity): boolean {
  return a.name === b.name && a.version === b.version;
}

/**
 * Refuse a model that is not the one the collection was made by.
 * @throws InputError naming both models and the fix.
 */
export function checkModelMatches(collection: string, stored: ModelIdentity | undefined, used: ModelIdentity): void {
  if (!stored || sameModel(stored, used)) return;
  throw new InputError(
    `collection "${collection}" was made by model ${describeModel(stored)}, but the model given is ${describeModel(used)}; ` +
    `its vectors are not comparable. Leave out --model to use ${stored.name}, or ingest with ${used.name} into its own collection (margin ingest DIR --collection NAME --model ${used.name})`);
}
