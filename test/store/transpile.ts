/**
 * The store's sources compiled to a temp folder (ts.transpileModule, no type
 * check) for child processes: what a crash or lock test runs as a separate
 * store process, without a build step. Just what the store imports
 * (src/index.ts would pull in onnxruntime), and the wasm kernels.
 */

import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

function compile(src: string, dst: string): void {
  const js = ts.transpileModule(readFileSync(src, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(dirname(dst), { recursive: true });
  writeFileSync(dst, js);
}

function tree(src: string, dst: string): void {
  for (const f of readdirSync(src)) {
    const p = join(src, f);
    if (statSync(p).isDirectory()) tree(p, join(dst, f));
    else if (f.endsWith(".ts") && !f.endsWith(".d.ts")) compile(p, join(dst, f.replace(/\.ts$/, ".js")));
  }
}

/** Compile the store into `out`; its modules are then under `${out}/src` (needs build/margin.wasm). */
export function transpileStore(out: string): void {
  tree(join(ROOT, "src/kernels"), join(out, "src/kernels"));
  tree(join(ROOT, "src/store/embedded"), join(out, "src/store/embedded"));
  tree(join(ROOT, "src/http"), join(out, "src/http"));
  for (const f of ["errors", "data/point-id", "model/card", "store/embedded-store"]) compile(join(ROOT, `src/${f}.ts`), join(out, `src/${f}.js`));
  mkdirSync(join(out, "build"), { recursive: true });
  copyFileSync(join(ROOT, "build/margin.wasm"), join(out, "build/margin.wasm"));
}
