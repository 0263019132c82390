/**
 * Qdrant's OpenAPI schema as a test oracle for the embedded store.
 *
 * test/fixtures/qdrant/openapi.json is docs/redoc/master/openapi.json of
 * github:qdrant/qdrant at the v1.19.0 version bump (Apache-2.0, LICENSE beside it),
 * vendored unchanged. The schema is OpenAPI 3.0, which is JSON Schema with
 * `nullable`; {@link responseValidator} converts that one keyword, closes
 * objects to the keys they list, and checks
 * Qdrant's integer formats (`uint`, `uint64`, ...) as ranges, so a response
 * with a negative count or a fractional id fails where a plain type check
 * would pass.
 *
 * {@link recordingProxy} sits between a client and the store on loopback and
 * keeps every response, so a test file can validate all of them at the end
 * without reaching into the server.
 */

import { createServer, request, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

const SPEC_FILE = new URL("../fixtures/qdrant/openapi.json", import.meta.url);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` alternative; refs move to `#/$defs`.
 * Objects that list their properties are closed (no other keys): Qdrant's schema
 * leaves them open, but Qdrant's serializers never add a key, so an extra key
 * in the store's answer is a difference a client could trip on.
 */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "nullable" || k === "example" || k === "examples") continue;
    out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", "#/$defs/") : toJsonSchema(v);
  }
  if (out.type === "object" && out.properties && !("additionalProperties" in out)) out.additionalProperties = false;
  if (node.nullable === true) {
    if (Object.keys(out).length === 0 || (Object.keys(out).length === 1 && "default" in out)) return { type: "null" };
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const INTEGER_FORMATS: Record<string, [number, number]> = {
  uint: [0, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint32: [0, 2 ** 32 - 1],
  uint8: [0, 255],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

interface Operation {
  re: RegExp;
  template: string;
  method: string;
  responses: Record<string, ValidateFunction>;
}

/** One response that does not match the schema, with ajv's reasons. */
export interface SchemaViolation {
  method: string;
  path: string;
  status: number;
  errors: string[];
}

/** A validator for responses of Qdrant's REST API. */
export interface ResponseValidator {
  /** The spec's path template for a concrete path, or undefined when Qdrant has no such endpoint. */
  templateOf(method: string, path: string): string | undefined;
  /** Schema violations of one response (empty when it validates). @throws Error for an endpoint Qdrant does not have. */
  check(method: string, path: string, status: number, body: unknown): string[];
}

let cached: ResponseValidator | undefined;

/** Compile the vendored schema once per process. */
export function responseValidator(): ResponseValidator {
  if (cached) return cached;
  const spec = JSON.parse(readFileSync(SPEC_FILE, "utf8")) as {
    paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema: Json }> }> }>>;
    components: { schemas: Record<string, Json> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const [name, [min, max]] of Object.entries(INTEGER_FORMATS)) {
    ajv.addFormat(name, { type: "number", validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
  }
  for (const name of ["float", "double"]) ajv.addFormat(name, { type: "number", validate: (n: number) => Number.isFinite(n) });
  for (const name of ["uuid", "date-time", "partial-date-time", "binary", "uri"]) ajv.addFormat(name, true);
  const defs = toJsonSchema(spec.components.schemas as Json);
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}/?$`);
    for (const [method, op] of Object.entries(methods)) {
      const responses: Record<string, ValidateFunction> = {};
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        const schema = r.content?.["application/json"]?.schema;
        if (schema) responses[status] = ajv.compile({ $defs: defs, ...(toJsonSchema(schema) as object) });
      }
      ops.push({ re, template, method: method.toUpperCase(), responses });
    }
  }
  // a literal segment wins over a parameter, as in Qdrant's router
  const literal = (t: string) => t.split("/").filter((s) => s && !s.startsWith("{")).length;
  ops.sort((a, b) => literal(b.template) - literal(a.template));
  const find = (method: string, path: string) => ops.find((o) => o.method === method && o.re.test(path));
  cached = {
    templateOf: (method, path) => find(method, path)?.template,
    check(method, path, status, body) {
      const op = find(method, path);
      if (!op) throw new Error(`Qdrant's OpenAPI schema has no endpoint ${method} ${path}`);
      const v = op.responses[String(status)] ?? (status >= 400 && status < 500 ? op.responses["4XX"] : undefined) ?? op.responses.default;
      if (!v) return [`no response schema for status ${status} of ${method} ${op.template}`];
      if (v(body)) return [];
      return (v.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
    },
  };
  return cached;
}

/** What the proxy saw of one exchange. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/** A loopback HTTP proxy to `target` that records every response. */
export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  /** Responses with a JSON body that do not match Qdrant's schema (plain-text health answers are left out). */
  violations(): SchemaViolation[];
  close(): Promise<void>;
}

/** Start a recording proxy in front of `target` (an http:// base URL). */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const base = new URL(target);
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    const up = request(
      { host: base.hostname, port: base.port, method: req.method, path: req.url, headers: { ...req.headers, host: base.host } },
      (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => {
          const body = Buffer.concat(chunks);
          exchanges.push({
            method: req.method ?? "GET", path: new URL(req.url ?? "/", "http://x").pathname, status: r.statusCode ?? 0,
            contentType: String(r.headers["content-type"] ?? ""), body: body.toString("utf8"),
          });
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(body);
        });
      },
    );
    up.on("error", (e) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    violations() {
      const v = responseValidator();
      const out: SchemaViolation[] = [];
      for (const x of exchanges) {
        if (!x.contentType.startsWith("application/json")) continue;
        if (!v.templateOf(x.method, x.path)) continue; // margin's own 404 for an endpoint Qdrant lacks
        const errors = v.check(x.method, x.path, x.status, JSON.parse(x.body));
        if (errors.length) out.push({ method: x.method, path: x.path, status: x.status, errors });
      }
      return out;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
