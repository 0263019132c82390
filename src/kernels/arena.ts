/**
 * The wasm linear memory, and who owns which byte of it.
 *
 * Layout: `[0, heapBase)` is the module's static data; everything above is
 * this arena, handed out in 16-byte aligned blocks (v128 loads want that)
 * by a first-fit free list that coalesces on free. Memory only grows; after
 * a grow every typed-array view of the old buffer is detached, so views are
 * always taken through {@link Arena.f32} / {@link Arena.i32} / {@link Arena.f64}.
 */

import { KernelError } from "../errors.js";
import type { KernelF32 } from "./types.js";

const PAGE = 65536;
const ALIGN = 16;
/** wasm32 tops out at 4 GiB; we stop a page short of that. */
const MAX_BYTES = 65535 * PAGE;

interface Block {
  start: number;
  size: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  private free_: Block[] = [];
  private used = new Map<number, number>();
  private buffer: ArrayBuffer | null = null;
  private f32_!: Float32Array;
  private i32_!: Int32Array;
  private f64_!: Float64Array;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    const start = align(heapBase);
    const end = memory.buffer.byteLength;
    if (end > start) this.free_.push({ start, size: end - start });
  }

  /** Bytes currently allocated (not counting free blocks). */
  get allocatedBytes(): number {
    let s = 0;
    for (const size of this.used.values()) s += size;
    return s;
  }

  /** Total size of the linear memory in bytes. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** A fresh-enough Float32Array over the whole memory. */
  f32(): Float32Array {
    this.refresh();
    return this.f32_;
  }

  i32(): Int32Array {
    this.refresh();
    return this.i32_;
  }

  f64(): Float64Array {
    this.refresh();
    return this.f64_;
  }

  /** Allocate `bytes` (rounded up to 16); returns the byte address. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    for (let i = 0; i < this.free_.length; i++) {
      const b = this.free_[i]!;
      if (b.size >= size) return this.take(i, size);
    }
    this.grow(size);
    return this.alloc(size);
  }

  /** Return a block from {@link alloc}. Freeing an unknown address throws. */
  free(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new KernelError(`free(${ptr}): not an address this arena handed out`);
    this.used.delete(ptr);
    this.insertFree({ start: ptr, size });
  }

  /**
   * Resize a block to `bytes` (rounded up to 16), keeping its first
   * `keepBytes`. It grows in place when the bytes after it are free, or are
   * the end of memory (the memory grows under it: the usual case for a
   * collection's one block); otherwise it moves with one memmove. Returns
   * the (possibly new) address; the old one is no longer valid when it moved.
   */
  realloc(ptr: number, bytes: number, keepBytes = this.sizeOf(ptr)): number {
    const old = this.sizeOf(ptr);
    const size = Math.max(ALIGN, align(bytes));
    if (size <= old) {
      if (size < old) {
        this.used.set(ptr, size);
        this.insertFree({ start: ptr + size, size: old - size });
      }
      return ptr;
    }
    const end = ptr + old;
    const extra = size - old;
    let next = this.free_.find((b) => b.start === end);
    if ((!next || next.size < extra) && (next ? next.start + next.size : end) === this.memory.buffer.byteLength) {
      this.grow(extra);
      next = this.free_.find((b) => b.start === end);
    }
    if (next && next.size >= extra) {
      if (next.size === extra) this.free_.splice(this.free_.indexOf(next), 1);
      else {
        next.start += extra;
        next.size -= extra;
      }
      this.used.set(ptr, size);
      return ptr;
    }
    const fresh = this.alloc(size);
    new Uint8Array(this.memory.buffer).copyWithin(fresh, ptr, ptr + Math.min(keepBytes, old));
    this.free(ptr);
    return fresh;
  }

  /** Size in bytes of an allocated block. */
  sizeOf(ptr: number): number {
    const size = this.used.get(ptr);
    if (size === undefined) throw new KernelError(`sizeOf(${ptr}): not an address this arena handed out`);
    return size;
  }

  private take(i: number, size: number): number {
    const b = this.free_[i]!;
    const ptr = b.start;
    if (b.size === size) this.free_.splice(i, 1);
    else {
      b.start += size;
      b.size -= size;
    }
    this.used.set(ptr, size);
    return ptr;
  }

  private insertFree(blk: Block): void {
    const list = this.free_;
    let i = 0;
    while (i < list.length && list[i]!.start < blk.start) i++;
    list.splice(i, 0, blk);
    // coalesce with the next, then with the previous
    const next = list[i + 1];
    if (next && blk.start + blk.size === next.start) {
      blk.size += next.size;
      list.splice(i + 1, 1);
    }
    const prev = list[i - 1];
    if (prev && prev.start + prev.size === blk.start) {
      prev.size += blk.size;
      list.splice(i, 1);
    }
  }

  private grow(needed: number): void {
    const oldBytes = this.memory.buffer.byteLength;
    // a free block at the end of memory merges with the new pages: grow by what it lacks
    const last = this.free_[this.free_.length - 1];
    const tail = last && last.start + last.size === oldBytes ? last.size : 0;
    // grow geometrically so a growing collection costs amortized O(1) per row
    const want = Math.max(needed - tail, Math.floor(oldBytes / 2));
    const pages = Math.ceil(want / PAGE);
    if (oldBytes + pages * PAGE > MAX_BYTES) {
      throw new KernelError(
        `wasm memory limit: ${oldBytes} bytes in use and ${needed} more requested, ` +
          `but 32-bit WebAssembly memory stops at 4 GiB; process the data in smaller batches`,
      );
    }
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new KernelError(`wasm memory could not grow by ${pages * PAGE} bytes: ${String(cause)}`, { cause });
    }
    this.insertFree({ start: oldBytes, size: pages * PAGE });
  }

  private refresh(): void {
    const buf = this.memory.buffer as ArrayBuffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.f32_ = new Float32Array(buf);
      this.i32_ = new Int32Array(buf);
      this.f64_ = new Float64Array(buf);
    }
  }
}

/**
 * A caller-owned block of f32 values (what {@link Kernels.allocF32} hands
 * out). It can be resized ({@link F32Block.resize}) and viewed by prefix
 * ({@link prefixF32}), so no code outside src/kernels computes addresses.
 */
export class F32Block implements KernelF32 {
  private ptr_: number | null;

  constructor(
    private readonly arena: Arena,
    ptr: number,
    readonly length: number,
  ) {
    this.ptr_ = ptr;
  }

  get ptr(): number {
    if (this.ptr_ === null) throw new KernelError("this KernelF32 block was freed or resized; use the handle resize returned");
    return this.ptr_;
  }

  view(): Float32Array {
    const p = this.ptr >> 2;
    return this.arena.f32().subarray(p, p + this.length);
  }

  free(): void {
    if (this.ptr_ !== null) this.arena.free(this.ptr_);
    this.ptr_ = null;
  }

  /** This block at `length` values, its first `keep` kept; this handle is dead afterwards. */
  resize(length: number, keep: number): F32Block {
    const ptr = this.arena.realloc(this.ptr, length * 4, Math.min(keep, this.length) * 4);
    this.ptr_ = null;
    return new F32Block(this.arena, ptr, length);
  }
}

/** The first `length` values of `block` as a kernel input: no copy, and freeing it frees nothing. */
export function prefixF32(block: KernelF32, length: number): KernelF32 {
  if (length > block.length) throw new KernelError(`a prefix of ${length} values of a block of ${block.length}`);
  return {
    get ptr() {
      return block.ptr;
    },
    length,
    view: () => block.view().subarray(0, length),
    free() {},
  };
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
