export * from "./types.js";
export { identityAdapter, checkAdapter, applyAdapter, applyAdapterReference } from "./adapter.js";
export { sessionTriplets, checkSessionSet, type SessionTriplets } from "./triplets.js";
export { trainAdapter, marginFromSessions, decayFor, TRAIN_DEFAULTS, DEFAULT_DECAY, type TrainedAdapter } from "./train.js";
export { gateAdapter, sessionAucs, bootstrapMean, DEFAULT_MIN_GAIN, MIN_HELD_OUT } from "./gate.js";
export { adapt, type AdaptOptions, type AdaptResult } from "./adapt.js";
export { saveAdaptedModel, type AdapterRecord, type AdaptedModelCard } from "./save.js";
export { recordMarks, listMarks, forgetPoints, sessionsFromMarks, marksCollection, type MarkRecord } from "./marks.js";
export { reembed, type ReembedProgress } from "./reembed.js";
