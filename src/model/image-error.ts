/** The error of an image file that cannot be used, with a short machine-readable reason. */

import { DataError } from "../errors.js";

/** Why an image could not be used. */
export const IMAGE_ERROR_REASONS = ["empty", "unreadable", "not-a-file", "timeout", "unsupported", "corrupt", "too-large"] as const;
/** Why an image could not be used: one of {@link IMAGE_ERROR_REASONS}. */
export type ImageErrorReason = (typeof IMAGE_ERROR_REASONS)[number];

/** An image file that cannot be read or decoded; `reason` says which way. */
export class ImageError extends DataError {
  /** The file (or "<buffer>") that failed. */
  readonly where: string;
  readonly reason: ImageErrorReason;

  constructor(where: string, reason: ImageErrorReason, message: string, options?: { cause?: unknown }) {
    super(`image ${where}: ${message}`, options);
    this.where = where;
    this.reason = reason;
  }
}
