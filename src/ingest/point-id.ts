/** Point ids derived from image bytes, so re-ingesting is idempotent. */

import { createHash } from "node:crypto";

/** SHA-256 of the bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The point id for an image: the first 128 bits of its SHA-256 as an
 * RFC 9562 UUIDv8 (version and variant bits set), the form Qdrant stores.
 * @example pointIdFromSha256(sha256Hex(bytes)) // "3f2a…-…-8…-…"
 */
export function pointIdFromSha256(sha256: string): string {
  const h = sha256.slice(0, 32).toLowerCase().split("");
  h[12] = "8";
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
