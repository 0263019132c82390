// The training job: train(), its options and progress, saving a model, the
// trainer's retrieval metrics. The building blocks it uses (src/nn, src/data)
// are exported from src/index.ts themselves.
export { train, embedAll, type TrainResult } from "./train.js";
export { LR_SCHEDULES, resolveOptions, type LrSchedule, type TrainOptions, type TrainProgress, type EpochRecord } from "./options.js";
export { saveModel, trainingCard, FASHION_MNIST_NORM, type SaveModelOptions, type TrainingCardOptions } from "./save.js";
export { AUGMENTS, type Augment } from "./batch.js";
export { retrievalMetrics, embeddingSpread, detectCollapse, type RetrievalMetrics } from "./metrics.js";
