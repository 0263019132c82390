/**
 * The embedded store's request errors. Each carries the HTTP status and a
 * message in Qdrant's words ("Wrong input: …", "Not found: …") that also
 * says how to fix the request; the server turns it into Qdrant's error body
 * `{ status: { error }, time }`.
 */

import { StoreError } from "../../../errors.js";

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

/** 404 for a collection that does not exist, worded as Qdrant does. */
export function noCollection(name: string): HttpError {
  return notFound(`Collection \`${name}\` doesn't exist!`);
}

/** A short, bounded rendering of a JSON value for error messages. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
