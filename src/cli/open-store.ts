/**
 * Where the CLI's vectors live: QDRANT_URL (and QDRANT_API_KEY) name a Qdrant
 * server or cluster; without QDRANT_URL the embedded store is started on its
 * data folder. The one place the CLI reads those variables.
 */

import { QdrantStore, startEmbeddedStore } from "../index.js";

export interface OpenedStore {
  store: QdrantStore;
  /** For messages: "Qdrant at URL" or "the embedded store in PATH". */
  where: string;
  close(): Promise<void>;
}

/** Default data folder of the embedded store. */
export const DEFAULT_STORE_PATH = ".margin/store";

export async function openStore(path: string = DEFAULT_STORE_PATH, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const url = env.QDRANT_URL;
  if (url) {
    const store = await QdrantStore.connect({ url, apiKey: env.QDRANT_API_KEY || undefined });
    return { store, close: async () => {}, where: `Qdrant at ${url}` };
  }
  const embedded = await startEmbeddedStore({ path, port: 0 });
  try {
    const store = await QdrantStore.connect({ url: embedded.url });
    return { store, close: () => embedded.close(), where: `the embedded store in ${path}` };
  } catch (e) {
    await embedded.close();
    throw e;
  }
}
