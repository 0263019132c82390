/**
 * HTTP plumbing for `margin serve`: the isolation headers every response
 * carries, JSON bodies in and out, typed JSON errors, and files named by the
 * operator (files under a served folder: confined-file.ts).
 */

import { type FileHandle, open } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import { readBody } from "../http/body.js";
import { isJsonType } from "../http/guard.js";
import { InputError, MarginError, ModelError, StoreError, type ErrorCode } from "../errors.js";

/**
 * An error with an HTTP status, answered as `{ error: { code, message } }`.
 */
export class ApiError extends MarginError {
  readonly status: number;
  constructor(status: number, code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** 404 with code E_INPUT. */
export const notFound = (message: string) => new ApiError(404, "E_INPUT", message);

/**
 * Cross-origin isolation (COOP + COEP) so the page gets SharedArrayBuffer and
 * onnxruntime-web can run threads; CORP so our own subresources stay loadable.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
};

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".avif": "image/avif",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".bmp": "image/bmp",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

/** The Content-Type for a file name (application/octet-stream when unknown). */
export function mimeOf(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** Send a JSON body with the isolation headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...ISOLATION_HEADERS,
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

/** Answer an error as typed JSON: ApiError keeps its status; InputError 400, StoreError 502, other MarginError 500. */
export function sendError(res: ServerResponse, e: unknown): void {
  let status = 500;
  let code = "E_INTERNAL";
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof ApiError) status = e.status;
  else if (e instanceof InputError) status = 400;
  else if (e instanceof StoreError) status = 502;
  else if (e instanceof ModelError) status = 500;
  if (e instanceof MarginError) code = e.code;
  else message = `internal error: ${message}; this is a bug in margin serve`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // an unread request body (413) cannot be followed by another request on this connection
  sendJson(res, status, { error: { code, message } }, status === 413 ? { Connection: "close" } : {});
}

/**
 * Read a JSON request body of at most `maxBytes`.
 * @throws ApiError 413 when too large, 415 when not JSON, 400 when malformed.
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  // only JSON: a page's text/plain or form POST needs no CORS preflight, a JSON one does
  if (!isJsonType(type)) {
    throw new ApiError(415, "E_INPUT", `${req.method} ${req.url}: send the body as JSON (Content-Type: application/json), got ${JSON.stringify(type)}`);
  }
  const body = await readBody(req, maxBytes);
  if (body === null) throw new ApiError(413, "E_INPUT", `${req.method} ${req.url}: the body is over ${maxBytes} bytes`);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw new ApiError(400, "E_INPUT", `${req.method} ${req.url}: the body is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** A file opened for sending: the descriptor, its size, and the path its Content-Type is read from. */
export interface OpenFile {
  handle: FileHandle;
  size: number;
  /** The real path the descriptor refers to (for the Content-Type). */
  real: string;
}

/** Stream a file with the isolation headers (HEAD sends headers only). */
export async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache = "no-cache"): Promise<void> {
  const handle = await open(file, "r");
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (e) {
    await handle.close();
    throw e;
  }
  await sendOpenFile(req, res, { handle, size, real: file }, cache);
}

/** Stream an opened file with the isolation headers (HEAD sends headers only); closes it. */
export async function sendOpenFile(req: IncomingMessage, res: ServerResponse, file: OpenFile, cache = "no-cache"): Promise<void> {
  try {
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      "Content-Type": mimeOf(file.real),
      "Content-Length": file.size,
      "Cache-Control": cache,
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    await new Promise<void>((done, fail) => {
      // the stream reads the opened descriptor, never the name again
      const stream = file.handle.createReadStream({ start: 0, end: Math.max(0, file.size - 1), autoClose: false });
      stream.on("error", fail);
      res.on("close", done);
      if (file.size === 0) {
        stream.destroy();
        res.end();
        return;
      }
      stream.pipe(res);
    });
  } finally {
    await file.handle.close();
  }
}
