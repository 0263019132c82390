// The export list of margin's one WebAssembly module: flat functions over
// raw pointers into linear memory. The TypeScript wrapper in src/kernels/
// owns the layout of that memory; nothing here allocates.

export {
  oneToManyF32, oneToRowsF32, manyToManyF32, pairwiseF32, countNonFiniteF32,
} from "./distance";
export { topKF32, sortAscF32 } from "./topk";
export {
  contrastiveF32, tripletAllF32, tripletHardF32, tripletSemiHardF32, pairGradF32,
} from "./loss";
export { tripletStatsF32 } from "./stats";
export { rerankF32 } from "./rerank";

/** First free byte after the module's static data: the wrapper's arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
