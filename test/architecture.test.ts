/**
 * The rules of docs/architecture.md, read from the sources: imports point down
 * the layers, the CLI reaches the library through src/index.ts only, a short
 * list of files touches process.env, only src/kernels (and the network it
 * names) knows wasm pointers, the public API carries no test oracle, and the
 * files the comments and docs cite exist. The embedded store's own layers are
 * checked by test/store/layers.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

/**
 * The layers, top first; a folder imports its own layer and those below.
 * `index.ts` (the public API) sits between the CLI and the rest; `errors.ts`
 * under everything.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["cli"],
  ["index.ts"],
  ["serve", "web"],
  ["ingest", "search", "eval", "train", "adapt", "feedback"],
  ["nn", "model", "store", "data", "metrics", "kernels", "http"],
  ["errors.ts"],
];

/** Who may touch process.env, and why. */
const ENV_USERS: Record<string, string> = {
  "src/cli/open-store.ts": "reads QDRANT_URL / QDRANT_API_KEY: where the CLI's vectors live",
  "src/cli/defaults.ts": "reads MARGIN_HOME: every CLI default under the home folder",
  "src/cli/main.ts": "reads MARGIN_ORT_TELEMETRY once, for the whole CLI",
  "src/model/ort-env.ts": "WRITES onnxruntime's telemetry variable, which its native code reads; reads nothing",
};

/**
 * Outside src/kernels, the one file that holds wasm pointers: the network
 * resident in wasm memory, which reaches the module only through the kernel
 * core (coreOf) and keeps its blocks in the core's arena.
 */
const POINTER_USERS = ["src/nn/wasm-net.ts"];

/** Signs of knowing wasm memory: the kernel core's internals, the arena, raw views of linear memory. */
const POINTER_SIGNS: readonly RegExp[] = [
  /from\s*["'][^"']*kernels\/(?:core|arena|call|exports)\.js["']/,
  /\.arena\b/,
  /\.f32\(\)/,
  /memory\.buffer/,
];

function files(dir: string, ext = ".ts"): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

const rel = (p: string) => relative(ROOT, p).split(sep).join("/");

/** Every module specifier a source imports or re-exports (static and dynamic). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bimport|\bexport)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\bimport\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The layer index of a file under src/ (its top folder, or the file itself at the top). */
function layerOf(file: string): number {
  const top = relative(SRC, file).split(sep)[0]!;
  const i = LAYERS.findIndex((l) => l.includes(top));
  if (i < 0) throw new Error(`${rel(file)} is in no layer of docs/architecture.md; add its folder to LAYERS and to the docs`);
  return i;
}

/** The source with comments blanked, so a rule about code does not trip on prose. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

const SOURCES = files(SRC).map((f) => ({ file: f, name: rel(f), text: readFileSync(f, "utf8") }));

describe("architecture rules (docs/architecture.md)", () => {
  it("imports point down the layers", () => {
    const bad: string[] = [];
    for (const s of SOURCES) {
      const from = layerOf(s.file);
      for (const spec of specifiers(s.text)) {
        if (!spec.startsWith(".")) continue;
        const target = resolve(dirname(s.file), spec).replace(/\.js$/, ".ts");
        if (relative(SRC, target).startsWith("..")) {
          bad.push(`${s.name} imports ${spec}, outside src/`);
          continue;
        }
        if (layerOf(target) < from) bad.push(`${s.name} imports ${rel(target)}, a layer above it`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the CLI uses the library through src/index.ts only, and nothing else imports src/index.ts", () => {
    const bad: string[] = [];
    for (const s of SOURCES) {
      const inCli = s.name.startsWith("src/cli/");
      for (const spec of specifiers(s.text)) {
        if (!spec.startsWith(".")) continue;
        const target = rel(resolve(dirname(s.file), spec).replace(/\.js$/, ".ts"));
        if (inCli && !target.startsWith("src/cli/") && target !== "src/index.ts") bad.push(`${s.name} imports ${target}`);
        if (!inCli && target === "src/index.ts") bad.push(`${s.name} imports the public API from inside the library`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("assembly/ imports nothing of src/", () => {
    const bad = files(join(ROOT, "assembly")).flatMap((f) =>
      specifiers(readFileSync(f, "utf8"))
        .filter((spec) => !spec.startsWith("./"))
        .map((spec) => `${rel(f)} imports ${spec}`));
    expect(bad).toEqual([]);
  });

  it("only the listed files touch process.env", () => {
    const users = SOURCES.filter((s) => /\bprocess\.env\b/.test(code(s.text))).map((s) => s.name);
    expect(users.sort()).toEqual(Object.keys(ENV_USERS).sort());
  });

  it("src/model/ort-env.ts writes its variable and reads none", () => {
    const text = code(SOURCES.find((s) => s.name === "src/model/ort-env.ts")!.text);
    const uses = [...text.matchAll(/process\.env(?:\[[^\]]+\]|\.\w+)?[^\n;]*/g)].map((m) => m[0]);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^process\.env\[\w+\](?:\s*=\s*"[^"]*")?$/);
    expect(text).toMatch(/delete process\.env\[/);
  });

  it("no wasm pointers outside src/kernels but the network the rule names", () => {
    const users = SOURCES.filter((s) => !s.name.startsWith("src/kernels/"))
      .filter((s) => POINTER_SIGNS.some((re) => re.test(code(s.text))))
      .map((s) => s.name);
    expect(users.sort()).toEqual([...POINTER_USERS].sort());
  });

  it("the public API exports no test oracle and nothing of the kernel core", () => {
    const names = Object.keys(api);
    expect(names.filter((n) => /reference|oracle/i.test(n))).toEqual([]);
    const index = readFileSync(join(SRC, "index.ts"), "utf8");
    expect(specifiers(index).filter((s) => /kernels\/(?:core|arena|call|exports)\.js$|^\.\.\//.test(s))).toEqual([]);
  });

  it("every file a comment or a doc cites exists", () => {
    const texts = [
      ...SOURCES.map((s) => ({ name: s.name, text: s.text })),
      ...files(join(ROOT, "assembly")).map((f) => ({ name: rel(f), text: readFileSync(f, "utf8") })),
      ...files(join(ROOT, "docs"), ".md").map((f) => ({ name: rel(f), text: readFileSync(f, "utf8") })),
      { name: "README.md", text: readFileSync(join(ROOT, "README.md"), "utf8") },
    ];
    const missing: string[] = [];
    for (const t of texts) {
      for (const m of t.text.matchAll(/\b(?:src|assembly|docs|test|bench)\/[\w./-]+\.(?:ts|md|js|json)\b/g)) {
        if (!existsSync(join(ROOT, m[0]))) missing.push(`${t.name} cites ${m[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
