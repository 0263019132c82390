/** One kernel call's scratch space, and views of kernel inputs. */

import type { Arena } from "./arena.js";
import type { F32Input } from "./types.js";

/** Scratch blocks of one kernel call, freed when the call returns. */
export class Call {
  private blocks: number[] = [];
  constructor(private readonly arena: Arena) {}

  tmp(bytes: number): number {
    const p = this.arena.alloc(bytes);
    this.blocks.push(p);
    return p;
  }

  in(x: F32Input): number {
    if (!(x instanceof Float32Array)) return x.ptr;
    // a view into wasm memory (e.g. a subarray of a KernelF32 view) is read in place
    if (x.buffer === this.arena.memory.buffer) return x.byteOffset;
    const p = this.tmp(x.length * 4);
    this.arena.f32().set(x, p >> 2);
    return p;
  }

  inI32(x: Int32Array): number {
    const p = this.tmp(x.length * 4);
    this.arena.i32().set(x, p >> 2);
    return p;
  }

  /** A copy of `n` f32 values at byte address `ptr`. */
  outF32(ptr: number, n: number): Float32Array {
    return this.arena.f32().slice(ptr >> 2, (ptr >> 2) + n);
  }

  /** A copy of `n` i32 values at byte address `ptr`. */
  outI32(ptr: number, n: number): Int32Array {
    return this.arena.i32().slice(ptr >> 2, (ptr >> 2) + n);
  }

  release(): void {
    for (const p of this.blocks) this.arena.free(p);
    this.blocks = [];
  }
}

export function view(x: F32Input): Float32Array {
  return x instanceof Float32Array ? x : x.view();
}

export function concat(a: Float32Array, b?: Float32Array): Float32Array {
  if (!b || b.length === 0) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
