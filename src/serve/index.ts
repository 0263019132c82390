export { serve, DEFAULT_KERNELS_WASM, DEFAULT_WEB_ROOT, type ServeHandle, type ServeOptions } from "./server.js";
export { ApiError, ISOLATION_HEADERS } from "./http.js";
export type { ApiErrorBody, ApiSearchHit, CollectionInfo, ModelInfo, SearchRequest, SearchResponse } from "./api-types.js";
