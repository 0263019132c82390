/**
 * The kernel core: one instantiated wasm module with its typed exports, its
 * arena, the call scope and the checks every wrapper runs on data already
 * in wasm memory. {@link Kernels}, the losses and the network (src/nn) are
 * built on it; it is internal: nothing of it is on the public `Kernels`
 * surface, and {@link coreOf} is not exported from src/index.ts.
 */

import { InputError, KernelError } from "../errors.js";
import { Arena } from "./arena.js";
import { Call, view } from "./call.js";
import type { Exports } from "./exports.js";
import { compileKernels, type WasmSource } from "./load.js";
import type { F32Input, Metric, Target } from "./types.js";
import { firstNonFinite } from "./validate.js";

/** One instance of the module: its own memory and arena. */
export class KernelCore {
  readonly target: Target;
  /** The raw exports, typed once (exports.ts). */
  readonly x: Exports;
  readonly arena: Arena;
  /** Bytes of the `counts` scratch of a radix sort, from the module's own constant. */
  readonly radixCountsBytes: number;

  private constructor(target: Target, exports: Exports) {
    this.target = target;
    this.x = exports;
    this.arena = new Arena(exports.memory, exports.heapBase());
    this.radixCountsBytes = Number(exports.RADIX_BUCKETS.value) * 4;
  }

  /**
   * Instantiate the module (compiled once per target and reused).
   * @throws KernelError when the wasm cannot be read or compiled, or lacks an export this wrapper calls.
   */
  static async load(target: Target, wasm?: WasmSource): Promise<KernelCore> {
    const module = await compileKernels(target, wasm);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new KernelError(`kernel assertion failed (assembly line ${line}:${col}); this is a bug in margin`);
        },
      },
    });
    return new KernelCore(target, checkExports(instance.exports));
  }

  /** Run `fn` with scratch space freed afterwards; traps become KernelErrors. */
  call<T>(fn: (c: Call) => T): T {
    const c = new Call(this.arena);
    try {
      return fn(c);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw new KernelError(`kernel trapped: ${e.message}; this is a bug in margin`, { cause: e });
      throw e;
    } finally {
      c.release();
    }
  }

  /**
   * Reject `len` floats at `ptr` when one is not finite, naming the first
   * bad value of `src` (the caller's array, or a function that builds it).
   */
  checkFinite(
    ptr: number, len: number, src: F32Input | (() => Float32Array), dim: number, where: string, name = "embeddings",
  ): void {
    if (this.x.countNonFiniteF32(ptr, len) === 0) return;
    const bad = firstNonFinite(typeof src === "function" ? src() : view(src), dim);
    const at = bad ? `[row ${bad.row}, col ${bad.col}] is ${bad.value}` : "holds a non-finite value";
    throw new InputError(`${where}: ${name}${at}; every value must be a finite number`);
  }

  /** Reject NaN among `n` scores at `ptr` (±Infinity is a valid score). */
  rejectNaN(ptr: number, n: number, src: F32Input, where: string): void {
    if (this.x.countNonFiniteF32(ptr, n) === 0) return;
    const bad = firstNonFinite(view(src), 1);
    if (bad && Number.isNaN(bad.value)) throw new InputError(`${where}: scores[${bad.row}] is NaN; scores must be numbers`);
  }

  /**
   * A distance kernel reported a non-finite result: name the bad input
   * value, else explain the overflow (or the zero norm, for cosine).
   */
  nonFinite(where: string, metric: Metric, dim: number, inputs: Record<string, F32Input>): never {
    for (const [name, src] of Object.entries(inputs)) {
      const bad = firstNonFinite(view(src), dim);
      if (bad) throw new InputError(`${where}: ${name}[row ${bad.row}, col ${bad.col}] is ${bad.value}; every value must be a finite number`);
    }
    throw new InputError(
      metric === "cosine"
        ? `${where}: a vector has zero norm, so its cosine similarity is undefined; drop it or use metric "sqL2"`
        : `${where}: a ${metric} value overflows f32; the vectors are too large, normalize them first`,
    );
  }
}

/** The names of {@link Exports} that must be functions: checked once per instance. */
const FUNCTIONS = [
  "heapBase", "oneToManyF32", "scanTopF32", "oneToRowsF32", "manyToManyF32", "pairwiseF32", "countNonFiniteF32",
  "topKF32", "topKOfferF32", "topKFinishF32", "argsortF32", "contrastiveF32", "tripletAllF32",
  "tripletHardF32", "tripletSemiHardF32", "pairGradF32", "tripletRowsF32", "tripletStatsF32", "rerankF32", "feedbackKdeF32",
  "gemmF32", "simdPeakF32", "conv3x3F32", "conv3x3GradWF32", "flipConvF32", "addBiasF32", "colSumF32",
  "leakyReluF32", "leakyReluBackF32", "maxPool2F32", "maxPool2BackF32", "transposeF32", "adamF32",
  "scanU7", "scanTopU7", "encodeU7",
] as const satisfies readonly (keyof Exports)[];

/** The function-valued names of {@link Exports}. */
type FunctionName = { [K in keyof Exports]: Exports[K] extends (...args: never[]) => unknown ? K : never }[keyof Exports];
/** Fails to compile when a function added to {@link Exports} is missing from FUNCTIONS. */
const everyFunctionChecked: [Exclude<FunctionName, (typeof FUNCTIONS)[number]>] extends [never] ? true : never = true;
void everyFunctionChecked;

/** The instance's exports as {@link Exports}, so a stale build fails here and not mid-call. */
function checkExports(e: WebAssembly.Exports): Exports {
  const missing = missingExports(e);
  if (!isComplete(e, missing)) {
    throw new KernelError(`the kernels wasm lacks the exports ${missing.join(", ")}; rebuild it with \`npm run build:wasm\``);
  }
  return e;
}

function missingExports(e: WebAssembly.Exports): string[] {
  const missing: string[] = FUNCTIONS.filter((name) => typeof e[name] !== "function");
  if (!(e.memory instanceof WebAssembly.Memory)) missing.push("memory");
  if (!(e.RADIX_BUCKETS instanceof WebAssembly.Global)) missing.push("RADIX_BUCKETS");
  return missing;
}

/** Every name of {@link Exports} was found with the right kind (the signatures are the module's contract). */
function isComplete(e: WebAssembly.Exports, missing: readonly string[]): e is WebAssembly.Exports & Exports {
  return missing.length === 0;
}

const cores = new WeakMap<object, KernelCore>();

/** Tie a public facade (a Kernels instance) to its core. */
export function bindCore(owner: object, core: KernelCore): void {
  cores.set(owner, core);
}

/**
 * The core behind a Kernels instance, for internal building blocks (the
 * network) and the kernel tests.
 * @throws KernelError when `owner` is not a loaded Kernels instance.
 */
export function coreOf(owner: object): KernelCore {
  const core = cores.get(owner);
  if (!core) throw new KernelError("not a Kernels instance: load one with Kernels.load()");
  return core;
}
