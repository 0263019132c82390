/**
 * Where the CLI's vectors live: QDRANT_URL (and QDRANT_API_KEY) name a Qdrant
 * server or cluster; without QDRANT_URL the embedded store is started on its
 * data folder. The one place the CLI reads those variables.
 */

import { QdrantStore, startEmbeddedStore } from "../index.js";
import { defaultStorePath } from "./defaults.js";

export interface OpenedStore {
  store: QdrantStore;
  /** For messages: "Qdrant at URL" or "the embedded store in PATH". */
  where: string;
  close(): Promise<void>;
}

/** QDRANT_API_KEY, for `margin store` to require the key its clients are given (empty counts as unset). */
export function qdrantApiKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.QDRANT_API_KEY || undefined;
}

/** Open QDRANT_URL, else the embedded store on `path` (default MARGIN_HOME/store). */
export async function openStore(given?: string, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const url = env.QDRANT_URL;
  if (url) {
    const store = await QdrantStore.connect({ url, apiKey: qdrantApiKey(env) });
    return { store, close: async () => {}, where: `Qdrant at ${url}` };
  }
  const path = given ?? defaultStorePath(env);
  const embedded = await startEmbeddedStore({ path, port: 0 });
  try {
    const store = await QdrantStore.connect({ url: embedded.url });
    return { store, close: () => embedded.close(), where: `the embedded store in ${path}` };
  } catch (e) {
    await embedded.close();
    throw e;
  }
}
