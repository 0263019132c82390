/**
 * The embedded store's layer rule, read from its sources: wire → engine →
 * state → log, imports pointing down only (a layer may skip one below it),
 * and only the wire knows HTTP. The store touches no wasm addresses and
 * moves no bytes inside wasm memory by hand (src/kernels resizes its blocks).
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const STORE = join(ROOT, "src/store/embedded");
const LAYERS = ["log", "state", "engine", "wire"] as const;
type Layer = (typeof LAYERS)[number];
const HTTP = new Set(["node:http", "http", "node:https", "https", "node:http2", "http2"]);

/** Every module specifier a source imports or re-exports (static and dynamic). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bimport|\bexport)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\bimport\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The layer a path under the store belongs to, "outside" for the rest of the library, null for the store's own top. */
function layerOf(file: string): Layer | "outside" | null {
  const rel = relative(STORE, file);
  if (rel.startsWith("..")) return "outside";
  const top = rel.split(sep)[0] as Layer;
  return LAYERS.includes(top) ? top : null;
}

/** What is wrong with one file's imports (empty when it keeps the rule). */
function violations(file: string, source: string): string[] {
  const from = layerOf(file);
  if (from === null || from === "outside") return [];
  const bad: string[] = [];
  for (const spec of specifiers(source)) {
    if (HTTP.has(spec)) {
      if (from !== "wire") bad.push(`${from} imports ${spec}: only the wire speaks HTTP`);
      continue;
    }
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    const to = layerOf(target);
    if (to === "outside") {
      if (!relative(join(ROOT, "src/http"), target).startsWith("..")) {
        if (from !== "wire") bad.push(`${from} imports ${relative(ROOT, target)}: only the wire speaks HTTP`);
        continue;
      }
      // the library below the store (errors, kernels) is fine; the store's public front is above every layer
      if (relative(join(ROOT, "src/store"), target).startsWith("..")) continue;
      bad.push(`${from} imports ${relative(ROOT, target)}, which sits above the store's layers`);
    } else if (to === null) bad.push(`${from} imports ${relative(ROOT, target)}, which is in no layer`);
    else if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) bad.push(`${from} imports ${to} (${spec}): imports must point down`);
  }
  return bad;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the embedded store's layers", () => {
  it("the checker finds what breaks the rule (hand cases)", () => {
    const at = (layer: string) => join(STORE, layer, "x.ts");
    expect(violations(at("engine"), `import { a } from "../wire/routes.js";`)).toEqual([
      "engine imports wire (../wire/routes.js): imports must point down",
    ]);
    expect(violations(at("state"), `import type { E } from "../engine/store.js";\nexport { f } from "../wire/x.js";`)).toHaveLength(2);
    expect(violations(at("log"), `const m = await import("../state/collection.js");`)).toHaveLength(1);
    expect(violations(at("log"), `import { createServer } from "node:http";`)).toEqual(["log imports node:http: only the wire speaks HTTP"]);
    expect(violations(at("engine"), `import "../../embedded-store.js";`)[0]).toMatch(/above the store's layers/);
    expect(violations(at("state"), `import { guard } from "../../../http/guard.js";`)).toEqual(["state imports src/http/guard.js: only the wire speaks HTTP"]);
    expect(violations(at("wire"), `import { guard } from "../../../http/guard.js";`)).toEqual([]);
    expect(violations(at("engine"), `import { x } from "../loose.js";`)[0]).toMatch(/in no layer/);
    // pointing down, skipping a layer, the library below, and the wire's own HTTP are all fine
    expect(violations(at("wire"), `import { createServer } from "node:http";\nimport { C } from "../state/collection.js";\nimport { R } from "../log/records.js";`)).toEqual([]);
    expect(violations(at("state"), `import type { Kernels } from "../../../kernels/index.js";\nimport { StoreError } from "../../../errors.js";`)).toEqual([]);
  });

  it("every source file is in one of the four layers", () => {
    const loose = sources(STORE).filter((f) => layerOf(f) === null).map((f) => relative(ROOT, f));
    expect(loose).toEqual([]);
    for (const layer of LAYERS) expect(sources(join(STORE, layer)).length).toBeGreaterThan(0);
  });

  it("wire -> engine -> state -> log: imports point down only, and only the wire imports node:http", () => {
    const bad = sources(STORE).flatMap((f) => violations(f, readFileSync(f, "utf8")).map((v) => `${relative(ROOT, f)}: ${v}`));
    expect(bad).toEqual([]);
  });

  it("the store computes no wasm addresses and moves no bytes in wasm memory by hand (the kernels' blocks do)", () => {
    const found: string[] = [];
    for (const f of sources(join(ROOT, "src/store"))) {
      readFileSync(f, "utf8").split("\n").forEach((line, i) => {
        if (/\.ptr\b|copyWithin/.test(line)) found.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
