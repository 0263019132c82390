/**
 * Finding and compiling the wasm module, in Node (a file beside the package)
 * and in the browser (fetched, or bytes/URL handed in by the page).
 */

import { KernelError } from "../errors.js";
import type { Target } from "./types.js";

/** Where the wasm comes from: bytes, a compiled module, or a URL (file: or http:). */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string;

const compiled = new Map<Target, Promise<WebAssembly.Module>>();

/** The default location of each build, relative to this file (src/kernels or dist/kernels). */
export function defaultWasmUrl(target: Target): URL {
  return target === "debug"
    ? new URL("../../build/margin.debug.wasm", import.meta.url)
    : new URL("../../build/margin.wasm", import.meta.url);
}

async function readUrl(url: URL): Promise<BufferSource> {
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    try {
      return await readFile(url);
    } catch (cause) {
      throw new KernelError(
        `cannot read the kernels wasm at ${url.pathname}: ${(cause as Error).message}; run \`npm run build:wasm\` first`,
        { cause },
      );
    }
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (cause) {
    throw new KernelError(`cannot fetch the kernels wasm from ${url.href}: ${(cause as Error).message}`, { cause });
  }
  if (!res.ok) throw new KernelError(`cannot fetch the kernels wasm from ${url.href}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** Compile (once per default target) the module from `source`. */
export async function compileKernels(target: Target, source?: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) {
    let p = compiled.get(target);
    if (!p) {
      p = readUrl(defaultWasmUrl(target)).then((bytes) => compileBytes(bytes));
      compiled.set(target, p);
      p.catch(() => compiled.delete(target));
    }
    return p;
  }
  const bytes = typeof source === "string" || source instanceof URL ? await readUrl(new URL(source)) : source;
  return compileBytes(bytes);
}

async function compileBytes(bytes: BufferSource): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes);
  } catch (cause) {
    throw new KernelError(`the kernels wasm does not compile: ${(cause as Error).message}`, { cause });
  }
}
