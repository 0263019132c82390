import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

/**
 * The public API, reviewed. A name added to or removed from src/index.ts fails
 * here until it is added to or removed from these lists on purpose.
 */
const VALUES = [
    "adapt", "adaptedModelName", "ADAPTER_KINDS", "checkModelMatches", "collectionModel", "describeModel", "identityFromMetadata",
    "MODEL_METADATA_KEY", "modelIdentity", "sameModel", "adapterLayout", "applyAdapter", "AUGMENTS", "AVERAGES", "bootstrapMean", "checkPK",
    "DataError", "decodeFile", "decodeImage", "decodeSize", "DEFAULT_DECAY", "DEFAULT_MIN_GAIN", "DEFAULT_NET",
    "DEFAULT_PARAMS", "DEFAULT_PIXEL_LIMIT", "DEFAULT_READ_TIMEOUT_MS", "DEFAULT_STRATEGY", "defaultMaxBytes",
    "DEVICES", "DISTANCES", "EmbeddedStore", "encodeIdx", "Encoder", "ERROR_CODES", "evaluate", "exactRankings",
    "exportOnnx", "FASHION_MNIST_CLASSES", "FASHION_MNIST_NORM", "feedbackKde", "feedbackKdeTop", "forgetPoints",
    "gateAdapter", "hashImageFile", "identityAdapter", "IDX_SPLITS", "IMAGE_ERROR_REASONS", "IMAGE_EXTENSIONS",
    "ImageError", "ingest", "IngestStrictError", "initParams", "InputError", "isModelPath", "KernelError",
    "Kernels", "listMarks", "listModels", "loadIdx", "loadImageFolder", "loadLabeledSet", "loadModelCard", "LOSSES",
    "LR_SCHEDULES", "MARGIN_STRATEGIES", "MarginError", "marksCollection", "MAX_REQUEST_BYTES", "METRICS", "MINING",
    "ModelError", "ONNX_OPSET", "onnxTelemetryEnabled", "pairedBootstrap", "parseIdx", "parseModelCard", "parseRef",
    "pkEpoch", "planNet", "pointIdFromSha256", "preprocess", "QDRANT_STRATEGIES", "qdrantQuery", "QdrantStore",
    "queryMetrics", "rankingMetrics", "rankWithFeedback", "readImageFile", "recordMarks", "reembed",
    "reportMarkdown", "RERANK", "RERANK_MODES", "rerankPool", "RESIZE_RULES", "resolveModel", "retrievalMetrics",
    "saveAdaptedModel", "shipAdapter", "splitSessions", "markedSessions", "saveModel", "search", "serve", "sessionsFromMarks", "setOnnxTelemetry", "sha256Hex",
    "SHIPPED_MODELS_DIR", "startEmbeddedStore", "STEER_SETTINGS", "steering", "steeringRows", "StoreError",
    "STRATEGIES", "TARGETS", "train", "trainingCard", "TRAIN_DEFAULTS", "trainAdapter", "tripletRowsLoss", "tuningRows",
    "UsageError", "walkImages", "WasmAdapter", "WasmNet", "writeReport",
];

/** Types and interfaces: not visible at run time, so read with the compiler. */
const TYPES = [
    "AdamOptions", "AdaptedModelCard", "Adapter", "AdapterAdamOptions", "AdapterKind", "AdapterLayout",
    "AdapterRecord", "ShipAdapterOptions", "ShipResult", "SessionSplit", "MarkedSessions", "AdapterShape", "AdaptOptions", "AdaptProgress", "AdaptResult", "Augment", "Average",
    "CollectionSpec", "ConnectOptions", "ContrastiveLossOptions", "DecodedImage", "DecodeOptions", "Device",
    "Distance", "EmbeddedStoreOptions", "EncoderOptions", "EpochRecord", "ErrorCode", "EvalEvent", "EvalReport",
    "EvaluateOptions", "ExactRanking", "ExactRankingOptions", "Example", "F32Input", "FeedbackKdeOptions",
    "FeedbackOptions", "FeedbackParams", "FeedbackQueryBody", "FeedbackRanking", "FileIdentity", "GateResult",
    "HashedImageFile", "IdxSplit", "ImageErrorReason", "ImageFolderOptions", "InferenceSession", "IngestCounts",
    "IngestEvent", "IngestOptions", "IngestSummary", "Interval", "KernelF32", "Label", "LabeledImages",
    "LabeledSet", "LabelInput", "Layer", "LoadOptions", "Logger", "LossName", "LossResult", "LrSchedule",
    "MarginStrategy", "MarkedSession", "MarkRecord", "ModelIdentity", "MarkSession", "Metric", "Mining", "ModelCard", "ModelInput", "ModelOutput",
    "NearestOptions", "NetConfig", "NetPlan", "OnnxExportOptions", "Pixels", "PKOptions", "PointId", "PoolInput",
    "QdrantStrategy", "QueryRanking", "QuerySpec", "RankingMetrics", "ReadImageOptions", "ReembedProgress", "Ref",
    "Rerank", "RerankMode", "RerankOptions", "ResizeRule", "ResolvedModel", "ResolveModelOptions",
    "RetrievalMetrics", "RetryOptions", "RunningStore", "SaveModelOptions", "SearchHit", "SearchOptions",
    "SearchResult", "ServeHandle", "ServeOptions", "SessionOutput", "SessionSet", "SkippedFile", "SkippedImage",
    "SteeringOptions", "SteeringResult", "SteeringSetting", "StoreFilter", "StoreHit", "StoreOptions", "StorePoint",
    "Strategy", "Target", "TopKResult", "TrainAdapterOptions", "TrainedAdapter", "TrainingRecord", "TrainingCardOptions", "TrainOptions",
    "TrainProgress", "TrainResult", "TripletLossOptions", "TripletStats", "TripletStatsOptions", "UpdateResult",
    "WalkEntry", "WalkOptions", "WasmSource",
];

/** Names that must never be public: internals and the plain references tests check against. */
const NEVER = [
  "missingCudaProvider", "HttpError", "resolveOptions", "referenceForward", "applyAdapterReference", "embedAll",
  "checkAdapter", "checkSessionSet", "decodeOpenFile", "poolScale", "movedQuery",
];

/** Every export of src/index.ts as the compiler sees it, with whether it carries TSDoc at its definition. */
function compiledExports(): { name: string; value: boolean; documented: boolean }[] {
  const program = ts.createProgram(["src/index.ts"], {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, strict: true, noEmit: true,
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile("src/index.ts");
  if (!index) throw new Error("src/index.ts not found: run vitest from the repository root");
  return checker.getExportsOfModule(checker.getSymbolAtLocation(index)!).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const decl = target.declarations![0]!;
    let node: ts.Node = decl;
    // A variable's TSDoc sits on its statement, two parents up.
    while (ts.isVariableDeclaration(node) || ts.isVariableDeclarationList(node)) node = node.parent;
    const text = node.getSourceFile().text;
    const comments = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
    const documented = comments.some((c) => text.startsWith("/**", c.pos));
    return { name: s.name, value: (target.flags & ts.SymbolFlags.Value) !== 0, documented };
  });
}

describe("public API (src/index.ts)", () => {
  const exported = compiledExports();

  it("exports exactly the reviewed values", () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES].sort());
  });

  it("exports exactly the reviewed types", () => {
    const types = exported.filter((e) => !e.value).map((e) => e.name);
    expect(types.sort()).toEqual([...TYPES].sort());
  });

  it("documents every public name at its definition", () => {
    expect(exported.filter((e) => !e.documented).map((e) => e.name)).toEqual([]);
  });

  it("keeps internals and test oracles out", () => {
    const names = new Set(exported.map((e) => e.name));
    expect(NEVER.filter((n) => names.has(n))).toEqual([]);
  });

  it("is an explicit list: no export *", () => {
    expect(readFileSync("src/index.ts", "utf8")).not.toMatch(/export\s+\*/);
  });
});
