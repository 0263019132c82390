/**
 * Vite build of the search page (src/web) into dist/web. onnxruntime-web's
 * own wasm and the glue scripts its threads start from are copied to
 * dist/web/ort/, and the page points ort.env.wasm.wasmPaths there, so no
 * file ever comes from a CDN.
 */

import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { defaultClientConditions, defineConfig, type Plugin } from "vite";

const ORT_DIST = dirname(createRequire(import.meta.url).resolve("onnxruntime-web")); // …/onnxruntime-web/dist
/** What the wasm-only and WebGPU builds fetch at run time, and the bare build the browser bench loads. */
export const ORT_FILES = [
  "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
  "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm",
  "ort.wasm.min.mjs",
];
const OUT = resolve("dist/web");

function copyOrt(): Plugin {
  return {
    name: "margin-copy-ort",
    apply: "build",
    writeBundle() {
      mkdirSync(join(OUT, "ort"), { recursive: true });
      for (const f of ORT_FILES) copyFileSync(join(ORT_DIST, f), join(OUT, "ort", f));
    },
  };
}

export default defineConfig({
  root: "src/web",
  base: "/",
  logLevel: "warn",
  // the "extern wasm" builds of onnxruntime-web load their wasm from wasmPaths instead of inlining a copy
  resolve: { conditions: ["onnxruntime-web-use-extern-wasm", ...defaultClientConditions] },
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      onwarn(warning, warn) {
        // src/kernels/load.ts imports node:fs only for file: URLs, which the page never passes
        if (warning.message.includes("externalized for browser compatibility") && warning.message.includes("kernels/load.ts")) return;
        warn(warning);
      },
    },
  },
  plugins: [copyOrt()],
});
