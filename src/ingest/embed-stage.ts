/**
 * Stage 4, embed: the chunk's tensors packed into one batch and run through
 * the encoder, one batch at a time across chunks (`oneAtATime`): onnxruntime
 * already uses every core it is given for one call, and two calls at once
 * would only hold two batches of activations.
 */

import type { NodeEncoder as Encoder } from "../model/session-node.js";
import type { DecodedFile, EmbeddedChunk } from "./chunk.js";
import type { Limiter } from "./limiter.js";

/** Embed the decoded files as one batch. */
export async function embedChunk(files: DecodedFile[], encoder: Encoder, oneAtATime: Limiter): Promise<EmbeddedChunk> {
  const size = encoder.inputSize;
  const packed = new Float32Array(files.length * size);
  files.forEach((f, i) => packed.set(f.tensor, i * size));
  const vectors = await oneAtATime.run(() => encoder.embed(packed));
  return { files, vectors, dim: encoder.dim };
}
