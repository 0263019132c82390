/**
 * The JSON contract between `margin serve` and its page. Type-only, with no
 * imports, so the browser code can share it without pulling in Node.
 */

/** POST /api/search body. */
export interface SearchRequest {
  /** The query embedding, `dim` finite numbers. */
  vector: number[];
  /** Results wanted, 1..1000. Default 24. */
  limit?: number;
  /** A Qdrant payload filter (must / should / must_not), passed through. */
  filter?: Record<string, unknown>;
  /** Return each hit's stored vector (for re-ranking in the page). Default false. */
  withVectors?: boolean;
}

/** POST /api/feedback body: the query, the marked results and a feedback strategy (src/feedback/). */
export interface FeedbackRequest {
  /** The query embedding, `dim` finite numbers. */
  vector: number[];
  /** Ids of results marked right. */
  positives: Array<string | number>;
  /** Ids of results marked wrong. */
  negatives: Array<string | number>;
  /** One of the feedback strategies (STRATEGIES). */
  strategy: string;
  /** Results wanted, 1..1000. Default 24. */
  limit?: number;
  filter?: Record<string, unknown>;
}

/** POST /api/feedback answer: what `margin search --json` gives for the same query, marks and strategy. */
export interface FeedbackResponse {
  results: ApiSearchHit[];
  strategy: string;
  ms: number;
}

/** One search hit. */
export interface ApiSearchHit {
  id: string | number;
  score: number;
  payload?: Record<string, unknown>;
  vector?: number[];
}

/** POST /api/search answer. */
export interface SearchResponse {
  results: ApiSearchHit[];
  /** Time the store took, as measured by the server. */
  ms: number;
}

/** GET /api/collection answer. */
export interface CollectionInfo {
  name: string;
  points: number;
  /** The model whose vectors the page computes. */
  model: string;
  dim: number;
  distance: string;
  /** Whether GET /api/thumb can serve image files (serve was given the ingested folder). */
  thumbnails: boolean;
}

/** GET /api/model answer: the model card plus where to fetch the ONNX bytes. */
export interface ModelInfo {
  card: Record<string, unknown>;
  /** URL of the ONNX file, e.g. "/api/model.onnx". */
  onnx: string;
  /** URL of the kernels wasm. */
  kernels: string;
}

/** Every error answer: a stable code and a message for people. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** GET /api/marks answer: the recorded sessions of the collection's current model, as `margin adapt` reads them. */
export interface MarksResponse {
  collection: string;
  /** The model the sessions were made on (the collection's current one). */
  model: string;
  dim: number;
  /** Row-major `[rows, dim]` vectors: the marked points' and each session's query vector. */
  vectors: number[];
  /** Each session as rows into `vectors`. */
  sessions: Array<{ query: number; right: number[]; wrong: number[] }>;
  /** Records left out because they were made on an earlier model, by model name. */
  otherModels: Record<string, number>;
  /** The gate the server applies to an upload: the page judges with the same figures. */
  gate: { minGain: number; minHeldOut: number };
}

/** POST /api/adapter body: an adapter trained in the page on GET /api/marks's sessions. */
export interface AdapterUpload {
  kind: "linear" | "mlp";
  dim: number;
  /** MLP hidden units (0 for linear). */
  hidden: number;
  /** The flat parameter buffer (layout: src/kernels/adapter.ts). */
  params: number[];
  /** The seed of the session split: the server holds out the same sessions the page did. */
  seed: number;
  /** The page's training record, kept in the model card. */
  training?: Record<string, unknown>;
}

/** One line of POST /api/adapter's answer (NDJSON, one object a line, the last one `done`, `refused` or `error`). */
export type AdapterProgressLine =
  | { status: "gate"; ship: boolean; reason: string; before: number; after: number; sessions: number }
  | { status: "points"; done: number; total: number }
  | { status: "done"; model: string; collection: string; target: string; previous?: string; points: number; seconds: number }
  | { status: "refused"; reason: string }
  | { status: "error"; error: { code: string; message: string } };
