/**
 * The embedded store: a local server that speaks the part of Qdrant's REST
 * API margin and @qdrant/js-client-rest use, so the real client drives it
 * over real HTTP. Durable (checksummed log + snapshots, fsync before a
 * `wait=true` answer), exact search on the wasm kernels. See docs/store.md.
 */

import type { AddressInfo } from "node:net";
import { StoreError } from "../errors.js";
import { parseHostNames, parseOrigins } from "../http/guard.js";
import type { Kernels } from "../kernels/index.js";
import { createStoreServer } from "./embedded/server.js";
import { EmbeddedStore } from "./embedded/store.js";

export { EmbeddedStore, type StoreOptions, type UpdateResult } from "./embedded/store.js";
export { HttpError } from "./embedded/errors.js";

/** Options of {@link startEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** Data folder. Default `.margin/store` (relative to the working directory). */
  path?: string;
  /** TCP port; 0 picks a free one. Default 6333, Qdrant's. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (this machine only). */
  host?: string;
  /** When set, every request must carry it in the `api-key` header (else 401). Default: none. */
  apiKey?: string;
  /**
   * Origins (`scheme://host:port`) whose pages may call the store (CORS). Requests
   * from pages of any other origin get 403, reads included. Default: none.
   */
  cors?: string | string[];
  /** `Host` names accepted beside the bound host and the loopback names (else 403: DNS rebinding). Default: none. */
  allowHosts?: string[];
  /** Request body limit in bytes. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Log size that triggers a snapshot. Default 64 MiB. */
  compactBytes?: number;
  /** Share one kernels instance between collections. Default: one per collection. */
  kernels?: Kernels;
  /** Warnings (a torn log tail dropped at recovery, a failed background flush). Default: ignored. */
  onWarning?: (message: string) => void;
  /** Rewrite damaged logs before recovering, keeping every intact record and the originals (`margin store --repair`). */
  repair?: boolean;
}

/** A running embedded store. */
export interface RunningStore {
  /** Base URL for QdrantClient({ url }), e.g. `http://127.0.0.1:6333`. */
  url: string;
  port: number;
  host: string;
  /** The engine behind the server (for in-process use and tests). */
  store: EmbeddedStore;
  /** Stop accepting requests, finish open ones, flush the logs and release the folder. */
  close(): Promise<void>;
}

/**
 * Open the data folder and serve it over HTTP.
 *
 * @example
 * const s = await startEmbeddedStore({ path: ".margin/store", port: 0 });
 * const client = new QdrantClient({ url: s.url });
 * // ...
 * await s.close();
 *
 * @throws StoreError when the folder is locked by another process, a snapshot
 *   is damaged, or the port cannot be bound.
 */
export async function startEmbeddedStore(o: EmbeddedStoreOptions = {}): Promise<RunningStore> {
  const path = o.path ?? ".margin/store";
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? 6333;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StoreError(`port must be an integer in [0, 65535], got ${port}`);
  // checked before the folder is locked; createStoreServer parses them again
  parseOrigins(o.cors, "cors");
  parseHostNames(o.allowHosts, "allowHosts");
  const store = await EmbeddedStore.open({ path, kernels: o.kernels, compactBytes: o.compactBytes, onWarning: o.onWarning, repair: o.repair });
  const server = createStoreServer(store, {
    apiKey: o.apiKey, cors: o.cors, maxBodyBytes: o.maxBodyBytes, host, allowHosts: o.allowHosts,
    onError: (e) => o.onWarning?.(`request failed: ${(e as Error).stack ?? String(e)}`),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
  } catch (cause) {
    store.close();
    const code = (cause as NodeJS.ErrnoException).code;
    throw new StoreError(
      `cannot serve the embedded store on ${host}:${port}: ${(cause as Error).message}` +
        (code === "EADDRINUSE" ? `; another server uses the port: pass --port with a free one (0 picks one)` : ""),
      { cause },
    );
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    port: bound,
    host,
    store,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // keep-alive connections that finish a request after close(): do not wait for their timeout
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }).then(() => store.close());
      return closing;
    },
  };
}
