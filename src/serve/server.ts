/**
 * `serve()`: one node:http server for the page (the Vite build in
 * dist/web), its JSON API (api.ts) and the kernels wasm. Every response
 * carries COOP/COEP so onnxruntime-web can use threads. The store's URL and
 * API key stay on the server: the browser only sees this API.
 */

import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import { loadModelCard } from "../model/session-node.js";
import type { QdrantStore } from "../store/qdrant.js";
import { handleApi, onnxPathOf, type ApiContext } from "./api.js";
import { DEFAULT_MIN_GAIN, MIN_HELD_OUT } from "../adapt/gate.js";
import { checkHost, checkOrigin, corsHeaders, type ExposureOptions, parseHostNames, parseOrigins } from "../http/guard.js";
import { serveConfined } from "./confined-file.js";
import { ApiError, sendError } from "./http.js";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Interface to listen on. Default "127.0.0.1" (this machine only). */
  host?: string;
  /** The collection searched. */
  collection: string;
  /** A connected store (Qdrant or the embedded store). */
  store: QdrantStore;
  /** Path of the model card, e.g. "models/fashion-mnist-triplet-64.json"; the ONNX file sits beside it. */
  modelCard: string;
  /** The ingested image folder, for GET /api/thumb/:id. Without it thumbnails answer 404. */
  imagesRoot?: string;
  /** The built page. Default: the package's dist/web. */
  webRoot?: string;
  /** The kernels wasm. Default: the package's build/margin.wasm. */
  kernelsWasm?: string;
  /** Largest JSON body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Accept adapters trained in the page (GET /api/marks, POST /api/adapter): where the adapted
   * models are written and the gate's figures (defaults: +0.03 AUC, 100 held-out sessions). Off when undefined.
   */
  adapt?: { modelsDir: string; minGain?: number; minHeldOut?: number };
  /** `Host` names accepted beside `host` and the loopback names (else 403: DNS rebinding). Default: none. */
  allowHosts?: string[];
  /** Origins whose pages may call the API (CORS); other foreign origins get 403. The page itself is same-origin. Default: none. */
  cors?: string | string[];
}

/** A running server. */
export interface ServeHandle {
  /** e.g. "http://127.0.0.1:8080". */
  url: string;
  port: number;
  host: string;
  /** Stop listening and close idle connections. */
  close(): Promise<void>;
}

/** The package's built page (dist/web), found from src/serve or dist/serve alike. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));
/** The package's release kernels wasm (build/margin.wasm). */
export const DEFAULT_KERNELS_WASM = fileURLToPath(new URL("../../build/margin.wasm", import.meta.url));

/**
 * Start the page and API server.
 * @throws InputError for a bad port or host or a missing image folder; ModelError for a bad model card;
 *   InputError when the port is taken.
 * @example
 * const store = await QdrantStore.connect({ url: "http://localhost:6333" });
 * const s = await serve({ collection: "fashion", store, modelCard: "models/fashion-mnist-triplet-64.json", imagesRoot: "samples/fashion-mnist" });
 * console.log(`open ${s.url}`);
 */
export async function serve(o: ServeOptions): Promise<ServeHandle> {
  const port = o.port ?? 8080;
  const host = o.host ?? "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`serve: port must be an integer in [0, 65535], got ${port}`);
  if (typeof host !== "string" || !host) throw new InputError(`serve: host must be an interface name or address, got ${JSON.stringify(host)}`);
  if (typeof o.collection !== "string" || !o.collection) throw new InputError(`serve: collection must be a name, got ${JSON.stringify(o.collection)}`);
  const card = await loadModelCard(o.modelCard);
  const imagesRoot = o.imagesRoot === undefined ? undefined : resolve(o.imagesRoot);
  if (imagesRoot !== undefined && !existsSync(imagesRoot)) {
    throw new InputError(`serve: the image folder ${imagesRoot} does not exist; pass the folder that was ingested`);
  }
  const webRoot = resolve(o.webRoot ?? DEFAULT_WEB_ROOT);
  const exposure: ExposureOptions = { host, cors: parseOrigins(o.cors, "serve: cors"), allowHosts: parseHostNames(o.allowHosts, "serve: allowHosts") };
  const ctx: ApiContext = {
    store: o.store,
    collection: o.collection,
    card,
    cardPath: resolve(o.modelCard),
    ...(o.adapt ? { adapt: { modelsDir: resolve(o.adapt.modelsDir), minGain: o.adapt.minGain ?? DEFAULT_MIN_GAIN, minHeldOut: o.adapt.minHeldOut ?? MIN_HELD_OUT } } : {}),
    onnxPath: resolve(onnxPathOf(o.modelCard, card)),
    wasmPath: resolve(o.kernelsWasm ?? DEFAULT_KERNELS_WASM),
    imagesRoot,
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
  };

  const server = createServer((req, res) => {
    // a page on another site or a re-bound name gets nothing: neither the API nor the page
    const refused = checkHost(req, exposure) ?? checkOrigin(req, exposure);
    if (refused) {
      req.resume();
      sendError(res, new ApiError(refused.status, "E_INPUT", refused.message));
      return;
    }
    for (const [k, v] of Object.entries(corsHeaders(req, exposure, "GET, HEAD, POST", "content-type"))) res.setHeader(k, v);
    if (req.method === "OPTIONS" && req.headers.origin) {
      req.resume();
      res.writeHead(204).end();
      return;
    }
    void route(ctx, webRoot, req, res).catch((e) => sendError(res, e));
  });
  await listen(server, port, host);
  const addr = server.address() as AddressInfo;
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    port: addr.port,
    host: addr.address,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

async function route(ctx: ApiContext, webRoot: string, req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) {
  let path: string;
  try {
    path = decodeURI(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    throw new ApiError(400, "E_INPUT", `the request path ${JSON.stringify(req.url)} is not valid`);
  }
  if (await handleApi(ctx, req, res, path)) return;
  if (req.method !== "GET" && req.method !== "HEAD") throw new ApiError(405, "E_INPUT", `${req.method} ${path} is not allowed; the page is read with GET`);
  if (!existsSync(webRoot)) {
    throw new ApiError(503, "E_INPUT", `the page is not built (${webRoot} is missing); run \`npm run build:web\``);
  }
  const rel = path === "/" || path.endsWith("/") ? `${path.slice(1)}index.html` : path.slice(1);
  // hashed assets never change; the page and ort files may
  await serveConfined(req, res, webRoot, rel, rel.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      const hint = e.code === "EADDRINUSE" ? `port ${port} is taken; use --port with another one (or 0 for any)`
        : e.code === "EACCES" ? `port ${port} needs privileges; use a port above 1023`
        : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND" ? `host ${host} is not an address of this machine; use --host 127.0.0.1`
        : e.message;
      fail(new InputError(`serve: cannot listen on ${host}:${port}: ${hint}`, { cause: e }));
    });
    server.listen(port, host, () => done());
  });
}
