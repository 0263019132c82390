/**
 * Who may talk to margin's two local HTTP servers (the embedded store and
 * `margin serve`). Both bind 127.0.0.1 by default, but a web page the user
 * visits runs on the same machine, so loopback alone keeps nobody out:
 *
 *  - a page can POST with `Content-Type: text/plain` (or a form) without a
 *    CORS preflight, and the request is answered even if the page cannot read
 *    the answer; so JSON endpoints accept only JSON content types;
 *  - a page whose DNS name is re-bound to 127.0.0.1 ("DNS rebinding") is
 *    same-origin with us as far as the browser knows, but its requests carry
 *    its own name in `Host`; so `Host` must be a name of this server;
 *  - a page on another origin carries `Origin` on every CORS request and
 *    every non-GET; so a foreign `Origin` is refused unless listed (`--cors`).
 *
 * Node clients (the official Qdrant client, curl) send no `Origin` and a
 * `Host` of the URL they were given, so they pass unchanged.
 */

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { InputError } from "../errors.js";

/** Names that always mean this machine. */
export const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"] as const;

/** What a server lets in beyond its own name and the loopback names. */
export interface ExposureOptions {
  /** The name or address the server was asked to bind (`--host`). */
  host: string;
  /** Extra `Host` names accepted (`--allow-host NAME`, any port): a reverse proxy's or a LAN name. Default none. */
  allowHosts?: readonly string[];
  /** Origins (scheme://name:port) whose pages may call the server (`--cors ORIGIN`). Default none. */
  cors?: readonly string[];
}

/** A refused request: the status to answer and a message that says which flag would let it in. */
export interface Refusal {
  status: number;
  message: string;
}

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/** Split a Host header into a lowercase name (IPv6 keeps its brackets) and a port (null when none). */
export function splitHost(value: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return null;
  return { name: m[1]!.toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * Check the `Host` header against the server's names.
 * Accepted: the bound name, a loopback name, or (when bound to every
 * interface) any IP literal, each with the port the request came in on; and
 * any `allowHosts` name with any port. IP literals are safe from DNS
 * rebinding (it needs a name the attacker controls), which is why a
 * wildcard bind may accept them.
 * @returns null when accepted, else the refusal.
 */
export function checkHost(req: IncomingMessage, o: ExposureOptions): Refusal | null {
  const raw = req.headers.host;
  const fix = `; connect with http://127.0.0.1:${req.socket.localPort}, or start the server with --allow-host NAME for a name of yours`;
  if (!raw) return { status: 403, message: `Forbidden: the request has no Host header${fix}` };
  const h = splitHost(raw);
  if (!h) return { status: 403, message: `Forbidden: Host header ${JSON.stringify(raw.slice(0, 100))} is malformed${fix}` };
  if (o.allowHosts?.some((a) => a.toLowerCase() === h.name)) return null;
  const port = h.port ?? 80;
  const bound = bracketed(o.host.toLowerCase());
  const ours =
    h.name === bound ||
    (LOOPBACK_NAMES as readonly string[]).includes(h.name) ||
    (WILDCARD.has(bound) && isIP(h.name.replace(/^\[|\]$/g, "")) !== 0);
  if (ours && port === req.socket.localPort) return null;
  return {
    status: 403,
    message: `Forbidden: Host ${JSON.stringify(raw.slice(0, 100))} is not a name of this server (a page re-bound to this address?)${fix}`,
  };
}

/** `scheme://host[:port]` of the request as its own pages would send it in `Origin`. */
function selfOrigin(req: IncomingMessage): string {
  return `http://${(req.headers.host ?? "").toLowerCase()}`;
}

/**
 * Check `Origin` (and `Sec-Fetch-Site`, which browsers send on every request, even
 * those without `Origin`): a request from a page of another origin is refused
 * unless that origin is in `cors`. A request without either header (a Node
 * client, curl, a typed-in URL) passes.
 * @returns null when accepted, else the refusal.
 */
export function checkOrigin(req: IncomingMessage, o: ExposureOptions): Refusal | null {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const o2 = origin.toLowerCase();
    if (o2 === selfOrigin(req) || allowedOrigin(origin, o)) return null;
    return {
      status: 403,
      message: `Forbidden: requests from pages of origin ${JSON.stringify(origin.slice(0, 100))} are refused; ` +
        `start the server with --cors ${origin === "null" ? "ORIGIN" : origin.slice(0, 100)} to allow that site`,
    };
  }
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    return {
      status: 403,
      message: `Forbidden: a request from another site's page (Sec-Fetch-Site: ${site}) is refused; start the server with --cors ORIGIN to allow a site`,
    };
  }
  return null;
}

/** Is `origin` one of the listed CORS origins? */
export function allowedOrigin(origin: string | undefined, o: ExposureOptions): boolean {
  if (!origin || !o.cors) return false;
  const lower = origin.toLowerCase();
  return o.cors.some((c) => c.toLowerCase() === lower);
}

/** The CORS headers for a request from a listed origin (the origin echoed, as the spec needs for one of several); else none. */
export function corsHeaders(req: IncomingMessage, o: ExposureOptions, methods: string, headers: string): Record<string, string> {
  const origin = req.headers.origin;
  if (!allowedOrigin(origin, o)) return {};
  return {
    "access-control-allow-origin": origin!,
    "access-control-allow-methods": methods,
    "access-control-allow-headers": headers,
    vary: "Origin",
  };
}

/** Is this a JSON content type (`application/json`, or a `+json` type), parameters allowed? */
export function isJsonType(value: string | undefined): boolean {
  if (!value) return false;
  const mime = value.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/**
 * Check the CORS origin list an option or flag gives: each must be `scheme://host[:port]`.
 * @returns the list, lowercased.
 * @throws InputError naming the bad entry.
 */
export function parseOrigins(list: readonly string[] | string | undefined, what: string): string[] {
  const all = list === undefined ? [] : typeof list === "string" ? [list] : [...list];
  return all.map((c) => {
    if (typeof c !== "string" || !/^https?:\/\/[^/\s?#]+$/i.test(c)) {
      throw new InputError(`${what}: ${JSON.stringify(c)} is not an origin; give scheme://host[:port], e.g. http://localhost:5173`);
    }
    return c.toLowerCase();
  });
}

/**
 * Check the extra Host names: plain names or IP literals (IPv6 in brackets), no port, no scheme.
 * @throws InputError naming the bad entry.
 */
export function parseHostNames(list: readonly string[] | string | undefined, what: string): string[] {
  const all = list === undefined ? [] : typeof list === "string" ? [list] : [...list];
  return all.map((n) => {
    const h = typeof n === "string" ? splitHost(n) : null;
    if (!h || h.port !== null || n.includes("/")) {
      throw new InputError(`${what}: ${JSON.stringify(n)} is not a host name; give a name such as vectors.lan (no scheme, no port)`);
    }
    return h.name;
  });
}
