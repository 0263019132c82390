/**
 * Reading a request body with a byte limit, shared by the embedded store and
 * `margin serve`: what is over the limit is never buffered.
 */

import type { IncomingMessage } from "node:http";

/**
 * Read the body up to `limit` bytes.
 * @returns the bytes, or null when the body was larger (the rest is drained
 *   up to 4× the limit, so the answer can still be read; past that the
 *   connection is destroyed: a client that keeps pushing is not waited for).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
      else if (size > 4 * limit) req.destroy();
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("close", () => over && resolve(null));
  });
}
