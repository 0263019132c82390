/**
 * margin's public API: every name a user of the package may import, listed by hand.
 * Internals and test oracles stay in their modules; test/api.test.ts pins this list,
 * so adding or removing a name is a reviewed change (update the test with it).
 */

// Errors
export {
  DataError, ERROR_CODES, InputError, KernelError, MarginError, ModelError, StoreError, UsageError, type ErrorCode,
} from "./errors.js";

// Kernels (the wasm module)
export {
  ADAPTER_KINDS, adapterLayout, tripletRowsLoss, WasmAdapter, type AdapterAdamOptions, type AdapterKind,
  type AdapterLayout, type AdapterShape,
} from "./kernels/adapter.js";
export { feedbackKde, feedbackKdeTop, type FeedbackKdeOptions } from "./kernels/feedback.js";
export { Kernels, type LoadOptions, type RerankOptions } from "./kernels/kernels.js";
export { type WasmSource } from "./kernels/load.js";
export { type ContrastiveLossOptions, type TripletLossOptions, type TripletStatsOptions } from "./kernels/losses.js";
export {
  AVERAGES, METRICS, MINING, RERANK_MODES, TARGETS, type Average, type F32Input, type KernelF32, type LabelInput,
  type LossResult, type Metric, type Mining, type RerankMode, type Target, type TopKResult, type TripletStats,
} from "./kernels/types.js";

// Model: cards, images, the encoder
export {
  DISTANCES, LOSSES, parseModelCard, RESIZE_RULES, type Distance, type LossName, type ModelCard, type ModelInput,
  type ModelOutput, type ResizeRule, type TrainingRecord,
} from "./model/card.js";
export { decodeFile, decodeImage, DEFAULT_PIXEL_LIMIT, type DecodedImage, type DecodeOptions } from "./model/decode.js";
export { DEVICES, type Device } from "./model/device.js";
export {
  checkModelMatches, describeModel, identityFromMetadata, MODEL_METADATA_KEY, modelIdentity, sameModel, type ModelIdentity,
} from "./model/identity.js";
export { IMAGE_ERROR_REASONS, ImageError, type ImageErrorReason } from "./model/image-error.js";
export { onnxTelemetryEnabled, setOnnxTelemetry } from "./model/ort-env.js";
export { decodeSize, preprocess, type Pixels } from "./model/preprocess.js";
export {
  DEFAULT_READ_TIMEOUT_MS, defaultMaxBytes, hashImageFile, readImageFile, type FileIdentity, type HashedImageFile,
  type ReadImageOptions,
} from "./model/read-image.js";
export {
  isModelPath, listModels, resolveModel, SHIPPED_MODELS_DIR, type ResolvedModel, type ResolveModelOptions,
} from "./model/resolve.js";
export { NodeEncoder as Encoder, loadModelCard, type EncoderOptions } from "./model/session-node.js";
export { type InferenceSession, type Logger, type SessionOutput } from "./model/session.js";

// Neural network building block
export { exportOnnx, ONNX_OPSET, type OnnxExportOptions } from "./nn/onnx-export.js";
export { DEFAULT_NET, initParams, planNet, type Layer, type NetConfig, type NetPlan } from "./nn/plan.js";
export { WasmNet, type AdamOptions } from "./nn/wasm-net.js";

// Data sets and image folders
export {
  encodeIdx, FASHION_MNIST_CLASSES, IDX_SPLITS, loadIdx, parseIdx, type IdxSplit, type LabeledImages,
} from "./data/idx.js";
export { loadImageFolder, type ImageFolderOptions, type SkippedImage } from "./data/labeled-folder.js";
export { checkPK, pkEpoch, type PKOptions } from "./data/sampler.js";
export { IMAGE_EXTENSIONS, walkImages, type WalkEntry, type WalkOptions } from "./data/walk.js";

// Ranking metrics
export { exactRankings, type ExactRanking, type ExactRankingOptions } from "./metrics/exact.js";
export { queryMetrics, rankingMetrics, type Label, type QueryRanking, type RankingMetrics } from "./metrics/ranking.js";

// Vector stores
export { startEmbeddedStore, type EmbeddedStoreOptions, type RunningStore } from "./store/embedded-store.js";
export { type StoreOptions, type UpdateResult } from "./store/embedded/engine/store.js";
export { EmbeddedStore } from "./store/embedded/wire/store.js";
export { type RetryOptions } from "./store/qdrant-retry.js";
export {
  MAX_REQUEST_BYTES, QdrantStore, type CollectionSpec, type ConnectOptions, type FeedbackQueryBody,
  type NearestOptions, type PointId, type StoreFilter, type StoreHit, type StorePoint,
} from "./store/qdrant.js";

// Ingest
export { ingest, IngestStrictError } from "./ingest/ingest.js";
export { pointIdFromSha256, sha256Hex } from "./ingest/point-id.js";
export {
  type IngestCounts, type IngestEvent, type IngestOptions, type IngestSummary, type SkippedFile,
} from "./ingest/types.js";

// Search
export { parseRef, type QuerySpec } from "./search/query.js";
export { RERANK, search, type MarkedSession, type Rerank, type SearchHit, type SearchOptions, type SearchResult } from "./search/search.js";
export { collectionModel } from "./search/collection-model.js";

// Feedback re-ranking
export { rankWithFeedback, type Example, type FeedbackOptions, type FeedbackRanking } from "./feedback/feedback.js";
export { rerankPool, type PoolInput } from "./feedback/pool-rerank.js";
export { qdrantQuery, type Ref } from "./feedback/qdrant-queries.js";
export {
  DEFAULT_PARAMS, DEFAULT_STRATEGY, MARGIN_STRATEGIES, QDRANT_STRATEGIES, STRATEGIES, type FeedbackParams,
  type MarginStrategy, type QdrantStrategy, type Strategy,
} from "./feedback/strategies.js";

// Evaluation
export { pairedBootstrap, type Interval } from "./eval/bootstrap.js";
export { loadLabeledSet, type LabeledSet } from "./eval/collection.js";
export { evaluate, type EvalEvent, type EvalReport, type EvaluateOptions } from "./eval/evaluate.js";
export { reportMarkdown, writeReport } from "./eval/report.js";
export {
  STEER_SETTINGS, steering, steeringRows, tuningRows, type SteeringOptions, type SteeringResult, type SteeringSetting,
} from "./eval/steering.js";

// Training
export { AUGMENTS, type Augment } from "./train/batch.js";
export { retrievalMetrics, type RetrievalMetrics } from "./train/metrics.js";
export {
  LR_SCHEDULES, type EpochRecord, type LrSchedule, type TrainOptions, type TrainProgress,
} from "./train/options.js";
export {
  FASHION_MNIST_NORM, saveModel, trainingCard, type SaveModelOptions, type TrainingCardOptions,
} from "./train/save.js";
export { train, type TrainResult } from "./train/train.js";

// Adapters from marks
export { adapt, type AdaptOptions, type AdaptResult } from "./adapt/adapt.js";
export { applyAdapter, identityAdapter } from "./adapt/adapter.js";
export { bootstrapMean, DEFAULT_MIN_GAIN, gateAdapter } from "./adapt/gate.js";
export {
  forgetPoints, listMarks, marksCollection, recordMarks, sessionsFromMarks, type MarkRecord,
} from "./adapt/marks.js";
export { reembed, type ReembedProgress } from "./adapt/reembed.js";
export { adaptedModelName, shipAdapter, type ShipAdapterOptions, type ShipResult } from "./adapt/ship.js";
export { splitSessions, type SessionSplit } from "./adapt/split.js";
export { markedSessions, type MarkedSessions } from "./adapt/training-set.js";
export { saveAdaptedModel, type AdaptedModelCard, type AdapterRecord } from "./adapt/save.js";
export { DEFAULT_DECAY, TRAIN_DEFAULTS, trainAdapter, type TrainedAdapter } from "./adapt/train.js";
export {
  type Adapter, type AdaptProgress, type GateResult, type MarkSession, type SessionSet, type TrainAdapterOptions,
} from "./adapt/types.js";

// The web page server
export { serve, type ServeHandle, type ServeOptions } from "./serve/server.js";
