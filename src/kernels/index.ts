export { Kernels, isDistance, type LoadOptions, type RerankOptions } from "./kernels.js";
export type { ContrastiveLossOptions, TripletLossOptions, TripletStatsOptions } from "./losses.js";
export * from "./types.js";
export type { WasmSource } from "./load.js";
export * from "./adapter.js";
export { QuantizedBlock, quantileRange, gridOf, codeOf, CODE_MAX, QUANTILE_SAMPLE, type Grid } from "./quantized.js";
