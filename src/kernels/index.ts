export { Kernels, isDistance, type LoadOptions, type RerankOptions } from "./kernels.js";
export * from "./types.js";
export type { WasmSource } from "./load.js";
