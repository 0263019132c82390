/**
 * The store a test talks to: the embedded store on a temp folder, through
 * the real client over HTTP; with QDRANT_URL set, that Qdrant instead
 * (collection names carry the process id).
 */

import { Encoder, QdrantStore, startEmbeddedStore } from "../../src/index.js";

export interface TestStore { url: string; apiKey?: string; external: boolean; close(): Promise<void> }

export async function startTestStore(path: string): Promise<TestStore> {
  if (process.env.QDRANT_URL) {
    console.warn(`ingest tests: using the Qdrant at ${process.env.QDRANT_URL} (QDRANT_URL), not the embedded store`);
    return { url: process.env.QDRANT_URL, apiKey: process.env.QDRANT_API_KEY, external: true, close: async () => {} };
  }
  const s = await startEmbeddedStore({ path, port: 0 });
  return { url: s.url, external: false, close: () => s.close() };
}

/** What an in-process ingest test needs: the test store, a client on it and the shipped model on the CPU. */
export interface IngestRig { server: TestStore; store: QdrantStore; encoder: Encoder; close(): Promise<void> }

/** Start the test store on `path`, connect the real client and load the shipped model (one thread). */
export async function startIngestRig(path: string): Promise<IngestRig> {
  const server = await startTestStore(path);
  const store = await QdrantStore.connect({ url: server.url, apiKey: server.apiKey });
  const encoder = await Encoder.load({ model: "models/fashion-mnist-triplet-64.json", device: "cpu", threads: 1 });
  return { server, store, encoder, close: async () => { await encoder.close(); await server.close(); } };
}
