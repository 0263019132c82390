/**
 * The store adapter's retry policy: network errors, timeouts, 408, 429 and
 * 5xx are retried with exponential backoff; anything else, or the last
 * failure, becomes a StoreError naming the server, the request and the fix.
 */

import { StoreError } from "../errors.js";

/** How failed requests are retried: network errors, timeouts, 408, 429 and 5xx. */
export interface RetryOptions {
  /** Retries after the first try. Default 5. */
  retries?: number;
  /** First backoff in ms, doubled each retry (capped at 8 s). Default 200. */
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run `fn`, retrying transient failures with exponential backoff; a StoreError at the end. */
export async function retrying<T>(what: string, where: string, fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const retries = o.retries ?? 5;
  const backoff = o.backoffMs ?? 200;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const status = statusOf(e);
      const transient = status === undefined || status === 408 || status === 429 || status >= 500;
      if (!transient || attempt >= retries) {
        const tries = attempt + 1;
        const detail = describe(e);
        const hint = status === undefined
          ? "check that Qdrant is running and QDRANT_URL is right"
          : status === 401 || status === 403 ? "check QDRANT_API_KEY"
          : transient ? "the server is failing; check its logs and rerun (acknowledged points are kept)"
          : "the request was refused";
        throw new StoreError(`${where}: ${what} failed after ${tries} ${tries === 1 ? "try" : "tries"}: ${detail}; ${hint}`, { cause: e });
      }
      await sleep(Math.min(8000, backoff * 2 ** attempt));
    }
  }
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown })?.status;
  if (typeof s === "number") return s;
  const m = /Unexpected Response: (\d{3})/.exec(e instanceof Error ? e.message : "");
  return m ? Number(m[1]) : undefined;
}

function describe(e: unknown): string {
  const data = (e as { data?: { status?: { error?: string } } })?.data;
  const status = statusOf(e);
  if (data?.status?.error) return `${status} ${data.status.error}`;
  let msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) msg += ` (${cause.code})`;
  else if (cause?.message) msg += ` (${cause.message})`;
  return msg.split("\n")[0]!;
}
