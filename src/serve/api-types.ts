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
