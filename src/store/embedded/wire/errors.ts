/**
 * The store's answers to refused requests. Each carries the HTTP status and a
 * message in Qdrant's words ("Wrong input: …", "Not found: …") that also
 * says how to fix the request; the server turns it into Qdrant's error body
 * `{ status: { error }, time }`. Engine errors (engine/errors.ts) are mapped
 * here to the status Qdrant answers for them.
 */

import { StoreError } from "../../../errors.js";
import { EngineError, type EngineErrorKind } from "../engine/errors.js";
import { LogError } from "../log/errors.js";

/** A request the embedded store refuses, with the HTTP status to answer. */
export class HttpError extends StoreError {
  /** HTTP status code: 400, 401, 404, 409, 413, 500... */
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** 400 with Qdrant's "Wrong input" prefix. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, `Wrong input: ${message}`);
}

/** 404 with Qdrant's "Not found" prefix. */
export function notFound(message: string): HttpError {
  return new HttpError(404, `Not found: ${message}`);
}

/** The status Qdrant answers for each kind of engine refusal. */
const STATUS: Record<EngineErrorKind, number> = { wrong_input: 400, not_found: 404, exists: 409, internal: 500 };

/** An engine or log error as the HTTP error Qdrant would answer (same message); anything else unchanged. */
export function toHttpError(e: unknown): unknown {
  if (e instanceof EngineError) return new HttpError(STATUS[e.kind], e.message, { cause: e });
  if (e instanceof LogError) return new HttpError(500, e.message, { cause: e });
  return e;
}

/** Run `f`, answering engine errors as HTTP errors (for the in-process API, which speaks as the server does). */
export function answering<T>(f: () => T): T {
  try {
    const r = f();
    return r instanceof Promise ? (r.catch((e: unknown) => Promise.reject(toHttpError(e))) as T) : r;
  } catch (e) {
    throw toHttpError(e);
  }
}
