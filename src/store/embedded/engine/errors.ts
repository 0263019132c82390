/**
 * The engine's errors: what is wrong with an operation, in Qdrant's words
 * ("Wrong input: …", "Not found: …") and with how to fix it. The engine knows
 * no HTTP: the wire maps each kind to Qdrant's status code (wire/errors.ts).
 */

import { StoreError } from "../../../errors.js";

/** What kind of refusal: bad input, a missing collection or point, a name already taken, a disk or folder that fails. */
export type EngineErrorKind = "wrong_input" | "not_found" | "exists" | "internal";

/** An operation the engine refuses. */
export class EngineError extends StoreError {
  readonly kind: EngineErrorKind;

  constructor(kind: EngineErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Qdrant's "Wrong input" refusal. */
export function wrongInput(message: string): EngineError {
  return new EngineError("wrong_input", `Wrong input: ${message}`);
}

/** Qdrant's "Not found" refusal. */
export function notFound(message: string): EngineError {
  return new EngineError("not_found", `Not found: ${message}`);
}

/** A collection that does not exist, worded as Qdrant does. */
export function noCollection(name: string): EngineError {
  return notFound(`Collection \`${name}\` doesn't exist!`);
}

/** A short, bounded rendering of a JSON value for error messages (numbers JSON cannot write, such as NaN, as JS writes them). */
export function show(value: unknown): string {
  let s: string;
  try {
    s = (typeof value === "number" && !Number.isFinite(value) ? String(value) : JSON.stringify(value)) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
