/**
 * The store a test talks to: the embedded store on a temp folder, through
 * the real client over HTTP; with QDRANT_URL set, that Qdrant instead
 * (collection names carry the process id).
 */

import { startEmbeddedStore } from "../../src/index.js";

export interface TestStore { url: string; apiKey?: string; external: boolean; close(): Promise<void> }

export async function startTestStore(path: string): Promise<TestStore> {
  if (process.env.QDRANT_URL) {
    console.warn(`ingest tests: using the Qdrant at ${process.env.QDRANT_URL} (QDRANT_URL), not the embedded store`);
    return { url: process.env.QDRANT_URL, apiKey: process.env.QDRANT_API_KEY, external: true, close: async () => {} };
  }
  const s = await startEmbeddedStore({ path, port: 0 });
  return { url: s.url, external: false, close: () => s.close() };
}
