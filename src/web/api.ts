/**
 * The page's side of the JSON API (src/serve/api-types.ts): fetch with a
 * timeout, and every failure turned into a {@link PageError} whose message
 * says what failed and what to do.
 */

import type { ApiErrorBody, CollectionInfo, FeedbackRequest, FeedbackResponse, ModelInfo, SearchRequest, SearchResponse } from "../serve/api-types.js";

/** What went wrong, for the page's messages. */
export const PAGE_ERROR_KINDS = ["server", "http", "model", "image", "kernels"] as const;
export type PageErrorKind = (typeof PAGE_ERROR_KINDS)[number];

/** An error the page shows to the user. */
export class PageError extends Error {
  readonly kind: PageErrorKind;
  constructor(kind: PageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = "PageError";
  }
}

/** Requests give up after this long. */
export const TIMEOUT_MS = 15_000;

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? undefined : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : (e as Error).message;
    throw new PageError("server", `the server did not answer ${method} ${path} (${why}); is \`margin serve\` still running? Try again once it is.`, { cause: e });
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch (e) {
    throw new PageError("http", `${method} ${path} answered HTTP ${res.status} without JSON; is this a margin serve server?`, { cause: e });
  }
  if (!res.ok) {
    const err = (json as Partial<ApiErrorBody>).error;
    throw new PageError("http", `${method} ${path}: ${err?.message ?? `HTTP ${res.status}`}`);
  }
  return json as T;
}

/** GET /api/model: the card and where the ONNX and kernels wasm are. */
export const getModel = () => call<ModelInfo>("GET", "/api/model");
/** GET /api/collection. */
export const getCollection = () => call<CollectionInfo>("GET", "/api/collection");
/** POST /api/search. */
export const postSearch = (q: SearchRequest) => call<SearchResponse>("POST", "/api/search", q);

/** POST /api/feedback: the next page for the marks, ranked by a feedback strategy on the server. */
export const postFeedback = (q: FeedbackRequest) => call<FeedbackResponse>("POST", "/api/feedback", q);
/** The URL of a stored image by point id. */
export const thumbUrl = (id: string | number) => `/api/thumb/${encodeURIComponent(String(id))}`;
