export { Kernels, isDistance, type LoadOptions } from "./kernels.js";
export * from "./types.js";
export type { WasmSource } from "./load.js";
