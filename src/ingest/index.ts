export { ingest, IngestStrictError } from "./ingest.js";
export { pointIdFromSha256, sha256Hex } from "./point-id.js";
export type { IngestCounts, IngestEvent, IngestOptions, IngestSummary, SkippedFile } from "./types.js";
