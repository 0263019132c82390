/**
 * margin's typed errors. Every error a user can cause is a {@link MarginError}
 * whose message names the thing, shows the value, says what was expected and
 * how to fix it. The CLI prints `message` and exits 1 (2 for {@link UsageError}).
 */

/** Stable, machine-readable error codes. */
export const ERROR_CODES = [
  "E_INPUT",
  "E_USAGE",
  "E_MODEL",
  "E_STORE",
  "E_KERNEL",
  "E_DATA",
] as const;
/** The machine-readable `code` of a {@link MarginError}: one of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class of every error margin throws on purpose. */
export class MarginError extends Error {
  /** A stable code for programs; the message is for people. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad argument, option or value passed to a library function. */
export class InputError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_INPUT", message, options);
  }
}

/** A bad command line: unknown flag, missing argument (CLI exit code 2). */
export class UsageError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_USAGE", message, options);
  }
}

/** A model file or model card that cannot be loaded or does not fit. */
export class ModelError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_MODEL", message, options);
  }
}

/** Qdrant (or the embedded store) refused, failed or could not be reached. */
export class StoreError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_STORE", message, options);
  }
}

/** The WebAssembly kernels could not be loaded or trapped. */
export class KernelError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_KERNEL", message, options);
  }
}

/** A data file (IDX, image folder) that is missing, truncated or malformed. */
export class DataError extends MarginError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("E_DATA", message, options);
  }
}
