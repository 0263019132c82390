export * from "./errors.js";
export * from "./kernels/index.js";
export * from "./model/card.js";
export * from "./model/preprocess.js";
export * from "./model/decode.js";
export * from "./data/walk.js";
export * from "./store/qdrant.js";
