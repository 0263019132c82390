/**
 * The contract of the kernels: closed sets, options and results. The
 * implementation lives in kernels.ts; nothing here touches wasm.
 */

/** Distance or similarity between two vectors. `sqL2` and `l1` are distances (smaller is closer); `dot` and `cosine` are similarities (larger is closer). */
export const METRICS = ["sqL2", "dot", "cosine", "l1"] as const;
/** A similarity or distance the kernels compute: one of {@link METRICS}. */
export type Metric = (typeof METRICS)[number];

/** Online triplet mining inside a batch. */
export const MINING = ["batch-all", "batch-hard", "semi-hard"] as const;
/** How triplets are chosen from a batch: one of {@link MINING}. */
export type Mining = (typeof MINING)[number];

/** What batch-all averages over: triplets with a positive loss, or all valid ones. */
export const AVERAGES = ["active", "all"] as const;
/** How a loss over triplets is reduced: one of {@link AVERAGES}. */
export type Average = (typeof AVERAGES)[number];

/** Re-rank scores (docs/architecture.md); higher is better for every mode. */
export const RERANK_MODES = ["exact", "triplet", "contrastive"] as const;
/** How the kernels re-rank candidates around marked examples: one of {@link RERANK_MODES}. */
export type RerankMode = (typeof RERANK_MODES)[number];

/** Builds of the wasm module: `debug` keeps assertions, `release` is -O3 without them. */
export const TARGETS = ["release", "debug"] as const;
/** Which build of the wasm module runs (`release` or `debug`): one of {@link TARGETS}. */
export type Target = (typeof TARGETS)[number];

/** A block of f32 values resident in wasm memory (see {@link Kernels.allocF32}). */
export interface KernelF32 {
  /** Byte address in wasm memory. */
  readonly ptr: number;
  /** Number of f32 values. */
  readonly length: number;
  /** A view of the values; take a new one after any kernel call that may grow memory. */
  view(): Float32Array;
  /** Give the block back; the handle must not be used afterwards. */
  free(): void;
}

/** Float vectors as the kernels accept them: a plain array (copied in) or a resident block (zero copy). */
export type F32Input = Float32Array | KernelF32;

/** Integer labels, one per row. */
export type LabelInput = Int32Array | ArrayLike<number>;

/** A loss value, how many pairs or triplets were valid and active, and the gradient w.r.t. the embeddings. */
export interface LossResult {
  /** The reduced loss (0 when nothing is active). */
  loss: number;
  /** Number of valid pairs (contrastive), triplets (batch-all), anchors (batch-hard) or positive pairs (semi-hard). */
  valid: number;
  /** How many of those have a positive loss. */
  active: number;
  /** ∂loss/∂embeddings, `[B, dim]` row-major. */
  grad: Float32Array;
}

/** Counts of a batch's triplets by difficulty, with mean losses and mean positive and negative distances. */
export interface TripletStats {
  /** Valid triplets (a, p, n) over the whole set: labels a = p ≠ n, a ≠ p. */
  triplets: number;
  /** D(a,n) > D(a,p) + m. */
  easy: number;
  /** D(a,p) ≤ D(a,n) ≤ D(a,p) + m. */
  semiHard: number;
  /** D(a,n) < D(a,p). */
  hard: number;
  /** Triplets with a positive loss (= semi-hard + hard, save ties at the margin). */
  active: number;
  /** Mean of max(0, D(a,p) − D(a,n) + m) over all valid triplets. */
  meanTripletLoss: number;
  /** Mean contrastive loss over all ordered pairs (i ≠ j). */
  meanContrastiveLoss: number;
  /** Mean Euclidean distance d over same-label pairs (NaN-free: 0 when there are none). */
  meanPositiveDistance: number;
  /** Mean Euclidean distance d over different-label pairs. */
  meanNegativeDistance: number;
  positivePairs: number;
  negativePairs: number;
}

/** The k best rows of a scan, best first: their indices and scores. */
export interface TopKResult {
  /** Row indices, best first. */
  indices: Int32Array;
  /** Their scores, best first. */
  values: Float32Array;
}
