// The training API: train(), the network plan, IDX data, the P×K sampler, ONNX export.
export { train, embedAll, type TrainResult } from "./train.js";
export { LR_SCHEDULES, resolveOptions, type LrSchedule, type TrainOptions, type TrainProgress, type EpochRecord } from "./options.js";
export { planNet, initParams, DEFAULT_NET, type NetConfig, type NetPlan, type Layer } from "./net.js";
export { saveModel, FASHION_MNIST_NORM, type SaveModelOptions } from "./save.js";
export { AUGMENTS, type Augment } from "./batch.js";
export { retrievalMetrics, embeddingSpread, detectCollapse, type RetrievalMetrics } from "./metrics.js";
export { referenceForward } from "./reference.js";
export { exportOnnx, ONNX_OPSET, type OnnxExportOptions } from "../model/onnx-export.js";
export { loadIdx, parseIdx, encodeIdx, IDX_SPLITS, FASHION_MNIST_CLASSES, type LabeledImages, type IdxSplit } from "../data/idx.js";
export { checkPK, pkEpoch, type PKOptions } from "../data/sampler.js";
export { WasmNet, type AdamOptions } from "../kernels/nn.js";
export { loadImageFolder, type ImageFolderOptions, type SkippedImage } from "../data/labeled-folder.js";
