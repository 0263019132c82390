export * from "./errors.js";
export * from "./kernels/index.js";
