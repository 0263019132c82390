// The export list of margin's one WebAssembly module: flat functions over
// raw pointers into linear memory. The TypeScript wrapper in src/kernels/
// owns the layout of that memory; nothing here allocates.

export {
  oneToManyF32, oneToRowsF32, manyToManyF32, pairwiseF32, countNonFiniteF32, scanTopF32,
} from "./distance";
export { topKF32, topKOfferF32, topKFinishF32, argsortF32, RADIX_BUCKETS } from "./topk";
export {
  contrastiveF32, tripletAllF32, tripletHardF32, tripletSemiHardF32, pairGradF32,
} from "./loss";
export { tripletStatsF32 } from "./stats";
export { rerankF32 } from "./rerank";
export { feedbackKdeF32 } from "./feedback";

/** First free byte after the module's static data: the wrapper's arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}

// Training (issue 3): matrix product, convolution, layers, optimizer.
export { gemmF32, simdPeakF32 } from "./gemm";
export { conv3x3F32, conv3x3GradWF32, flipConvF32, addBiasF32, colSumF32 } from "./conv";
export { leakyReluF32, leakyReluBackF32, maxPool2F32, maxPool2BackF32, transposeF32 } from "./nn";
export { adamF32 } from "./adam";

// Adapter training on recorded marks (issue 15): explicit triplets of rows.
export { tripletRowsF32 } from "./adapter";

// Scalar quantization (issue 10): int8 codes, scanned with i16x8 → i32x4 accumulation.
export { scanU7, scanTopU7, encodeU7 } from "./quantized";
