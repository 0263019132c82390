/**
 * The HTTP side: node:http, Qdrant's envelopes (`{ result, status: "ok",
 * time }`, errors `{ status: { error }, time }`), a body limit (413), an
 * optional API key (401), the exposure checks of src/http/guard.ts (Host,
 * Origin, JSON content type; 403 / 400), CORS for listed origins, the body
 * checks of body-checks.ts (UTF-8, nesting) and the route table of routes.ts.
 * Handlers run one at a time per event-loop turn, so a request validates
 * and applies without interleaving with another.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { readBody } from "../../../http/body.js";
import { checkHost, checkOrigin, corsHeaders, type ExposureOptions, isJsonType, parseHostNames, parseOrigins } from "../../../http/guard.js";
import { checkBodyDepth, checkUtf8 } from "./body-checks.js";
import { HttpError, toHttpError } from "./errors.js";
import { type Ctx, type Handler, QDRANT_VERSION, ROUTES } from "./routes.js";
import type { EmbeddedStore } from "./store.js";
import { endpointOf, RequestMetrics } from "./metrics.js";

/** Options of {@link createStoreServer}. */
export interface ServerOptions {
  /** Require this key in the `api-key` header (or `Authorization: Bearer`). Default: none. */
  apiKey?: string;
  /** Largest request body in bytes; larger gets 413. Default 32 MiB, as Qdrant. */
  maxBodyBytes?: number;
  /** Origins whose pages may call the store: they get CORS headers and preflights; other origins get 403. Default: none. */
  cors?: string | string[];
  /** The name the server binds (its own `Host`, beside the loopback names). Default "127.0.0.1". */
  host?: string;
  /** More `Host` names accepted (a proxy's, a LAN name); others get 403 (DNS rebinding). Default: none. */
  allowHosts?: string[];
  /** Called with a request that failed inside the store (a 500). */
  onError?: (e: unknown) => void;
}

interface Compiled {
  method: string;
  re: RegExp;
  names: string[];
  statics: number;
  handler: Handler;
  /** `METHOD /collections/{name}`: the endpoint label of /telemetry and /metrics. */
  endpoint: string;
}

const TABLE: Compiled[] = ROUTES.map(([method, path, handler]) => {
  const names: string[] = [];
  const parts = path.split("/").slice(1);
  const re = new RegExp(
    "^" + parts.map((p) => (p.startsWith(":") ? (names.push(p.slice(1)), "/([^/]+)") : `/${p}`)).join("") + "/?$",
  );
  return { method, re, names, statics: parts.filter((p) => !p.startsWith(":")).length, handler, endpoint: endpointOf(method, path) };
}).sort((a, b) => b.statics - a.statics);

/** Methods whose requests carry a JSON body on Qdrant's routes. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const HEALTH: Record<string, string> = { "/healthz": "healthz check passed", "/livez": "healthz check passed", "/readyz": "all shards are ready" };

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
  res.end(text);
}

function fail(res: ServerResponse, status: number, error: string, t0: bigint, extra?: Record<string, string>): void {
  send(res, status, { status: { error }, time: seconds(t0) }, extra);
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function keyMatches(req: IncomingMessage, key: string): boolean {
  const auth = req.headers.authorization;
  const given = (req.headers["api-key"] as string | undefined) ?? (auth?.startsWith("Bearer ") ? auth.slice(7) : undefined);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An http.Server answering Qdrant's REST API from `store`. */
export function createStoreServer(store: EmbeddedStore, opts: ServerOptions = {}): Server {
  const limit = opts.maxBodyBytes ?? 32 * 2 ** 20;
  const exposure: ExposureOptions = {
    host: opts.host ?? "127.0.0.1",
    cors: parseOrigins(opts.cors, "cors"),
    allowHosts: parseHostNames(opts.allowHosts, "allowHosts"),
  };
  const metrics = new RequestMetrics();
  /** The endpoint each response answers (requests outside the routes count under "METHOD unknown"). */
  const endpoints = new WeakMap<ServerResponse, string>();
  return createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    res.on("finish", () => metrics.record(endpoints.get(res) ?? `${req.method ?? "GET"} unknown`, res.statusCode, seconds(t0)));
    const cors = corsHeaders(req, exposure, "GET, POST, PUT, PATCH, DELETE", "content-type, api-key, authorization");
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    handle(req, res, t0).catch((e) => {
      opts.onError?.(e);
      if (!res.headersSent) fail(res, 500, `Service internal error: ${(e as Error).message}`, t0);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, t0: bigint): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "GET" && HEALTH[path]) {
      endpoints.set(res, `GET ${path}`);
      req.resume();
      res.writeHead(200, { "content-type": "text/plain" }).end(HEALTH[path]);
      return;
    }
    // before the key and the routes: a page on another site or name gets nothing, reads included
    const refused = checkHost(req, exposure) ?? checkOrigin(req, exposure);
    if (refused) {
      req.resume();
      fail(res, refused.status, refused.message, t0);
      return;
    }
    if (method === "OPTIONS") {
      req.resume();
      if (req.headers.origin) res.writeHead(204).end(); // checkOrigin passed: a listed origin (or our own)
      else fail(res, 405, `Method OPTIONS is not allowed on ${path} (a CORS preflight carries Origin)`, t0);
      return;
    }
    if (opts.apiKey !== undefined && !keyMatches(req, opts.apiKey)) {
      req.resume();
      fail(res, 401, "Must provide an API key or an Authorization bearer token", t0);
      return;
    }
    if (method === "GET" && (path === "/telemetry" || path === "/metrics")) {
      req.resume();
      endpoints.set(res, `GET ${path}`);
      if (path === "/telemetry") send(res, 200, { result: metrics.telemetry(store.engine, QDRANT_VERSION), status: "ok", time: seconds(t0) });
      else {
        const text = metrics.prometheus(store.engine, QDRANT_VERSION);
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(text) }).end(text);
      }
      return;
    }
    if (method === "GET" && path === "/") {
      endpoints.set(res, "GET /");
      req.resume();
      send(res, 200, { title: "qdrant - vector search engine", version: QDRANT_VERSION, commit: null });
      return;
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      req.resume();
      fail(res, 413, `Payload too large: the body is ${declared} bytes and the limit is ${limit}; send fewer points per request`, t0, { connection: "close" });
      return;
    }
    let route: Compiled | undefined;
    let match: RegExpExecArray | null = null;
    let pathKnown = false;
    for (const r of TABLE) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (r.method === method) {
        route = r;
        match = m;
        break;
      }
    }
    if (!route || !match) {
      req.resume();
      if (pathKnown) fail(res, 405, `Method ${method} is not allowed on ${path}`, t0);
      else fail(res, 404, `Not found: no endpoint ${method} ${path} in the embedded store (it speaks the collections and points API of Qdrant)`, t0);
      return;
    }
    endpoints.set(res, route.endpoint);
    // Qdrant's typed JSON routes answer a body of another type 400 "Content type error"; here it also
    // keeps out a page's text/plain or form POST, which a browser sends without a CORS preflight
    if (BODY_METHODS.has(method) && !isJsonType(req.headers["content-type"])) {
      req.resume();
      const got = req.headers["content-type"];
      fail(res, 400, `Content type error: ${method} ${path} takes a JSON body with Content-Type: application/json, got ${got === undefined ? "none" : JSON.stringify(got.slice(0, 100))}`, t0);
      return;
    }
    const raw = await readBody(req, limit);
    if (raw === null) {
      fail(res, 413, `Payload too large: the body is over the limit of ${limit} bytes; send fewer points per request`, t0, { connection: "close" });
      return;
    }
    let body: unknown = {};
    if (raw.length > 0) {
      try {
        checkUtf8(raw);
        body = JSON.parse(raw.toString("utf8"));
        checkBodyDepth(body);
      } catch (e) {
        if (e instanceof HttpError) fail(res, e.status, e.message, t0);
        else fail(res, 400, `Format error in JSON body: ${(e as Error).message}`, t0);
        return;
      }
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      fail(res, 400, `Format error in JSON body: expected a JSON object, got ${Array.isArray(body) ? "an array" : String(body)}`, t0);
      return;
    }
    const params: Record<string, string> = {};
    try {
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(match![i + 1]!)));
      const ctx: Ctx = { store: store.engine, params, query: url.searchParams, body: body as Record<string, unknown> };
      const result = await route.handler(ctx);
      send(res, 200, { result, status: "ok", time: seconds(t0) });
    } catch (err) {
      const e = toHttpError(err);
      if (e instanceof HttpError) fail(res, e.status, e.message, t0);
      else if (e instanceof URIError) fail(res, 400, `Wrong input: malformed percent-encoding in ${path}`, t0);
      else throw e;
    }
  }
}
