/**
 * The package as a user gets it: `npm pack` of the built checkout, installed
 * into an empty project from the local npm cache (the npm registry at most),
 * then `margin` run from another folder and the library imported, with its
 * types, from an ESM TypeScript project. Slow (an npm install): about a minute.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFile, Encoder } from "../../src/index.js";

const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));
const built = ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "dist/web/index.html", "build/margin.wasm"]
  .every((f) => existsSync(join(CHECKOUT, f)));
if (!built && process.env.CI) throw new Error("the package is not built: CI runs npm test, which builds it first");
if (!built) console.warn("test/cli/pack.test.ts skipped: the package is not built (npm run build)");

const QUERY = "coat/t10k-00006.png";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 300_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

describe.skipIf(!built)("npm pack → npm install → margin", () => {
  let tmp: string, project: string, elsewhere: string, home: string;
  let env: NodeJS.ProcessEnv;
  let packed: { filename: string; size: number; files: { path: string }[] };
  let version: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "margin-pack-"));
    project = join(tmp, "project");
    elsewhere = join(tmp, "elsewhere");
    home = join(tmp, "margin-home");
    await Promise.all([mkdir(project), mkdir(elsewhere)]);
    version = JSON.parse(await readFile(join(CHECKOUT, "package.json"), "utf8")).version;
    // no CUDA download whatever the npm version; npm's own chatter off
    env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", QDRANT_URL: "", QDRANT_API_KEY: "", MARGIN_HOME: home };
    // the build is current (npm test builds first); --ignore-scripts so prepack does not rebuild dist/ under the other test files
    const pack = run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], CHECKOUT, env);
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    [packed] = JSON.parse(pack.stdout);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    const { devDependencies: dev } = JSON.parse(await readFile(join(CHECKOUT, "package.json"), "utf8"));
    const install = run("npm", [
      "install", "--prefer-offline", join(tmp, packed.filename), `typescript@${dev.typescript}`, `@types/node@${dev["@types/node"]}`,
    ], project, env);
    if (install.code !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  }, 600_000);
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("packs the build, the wasm, the page, the model and the samples, and nothing of the sources", () => {
    const paths = new Set(packed.files.map((f) => f.path));
    for (const f of [
      "package.json", "README.md", "LICENSE", "bin/margin.js", "dist/index.js", "dist/index.d.ts", "dist/cli/main.js",
      "dist/ingest/decode-worker.js", "dist/web/index.html", "build/margin.wasm", "build/margin.debug.wasm",
      "models/fashion-mnist-triplet-64.json", "models/fashion-mnist-triplet-64.onnx", `samples/fashion-mnist/${QUERY}`, "samples/fashion-mnist/LICENSE",
    ]) expect(paths.has(f), f).toBe(true);
    const stray = [...paths].filter((p) => /^(src|test|assembly|bench|scripts|docs|node_modules)\//.test(p) || p.endsWith(".map") || p.startsWith(".margin"));
    expect(stray).toEqual([]);
    expect([...paths].filter((p) => p.startsWith("samples/fashion-mnist/") && p.endsWith(".png")).length).toBe(1000);
    // the tarball stays small enough to install casually (it is ~12 MB, mostly onnxruntime-web's wasm for the page)
    expect(packed.size).toBeLessThan(20 * 2 ** 20);
  }, 180_000);

  it("node_modules/.bin/margin and npx margin print the version from any folder", () => {
    const bin = join(project, "node_modules", ".bin", "margin");
    expect(run(bin, ["--version"], elsewhere, env).stdout).toBe(`${version}\n`);
    const npx = run("npx", ["--offline", "margin", "-v"], project, env);
    expect([npx.code, npx.stdout]).toEqual([0, `${version}\n`]);
  }, 180_000);

  it("margin demo and margin search work from another folder, with the store in MARGIN_HOME", () => {
    const bin = join(project, "node_modules", ".bin", "margin");
    const demo = run(bin, ["demo", "--json"], elsewhere, env);
    expect(demo.code, demo.stderr).toBe(0);
    expect(JSON.parse(demo.stdout).ingest.ingested).toBe(1000);
    const query = join(project, "node_modules", "margin", "samples", "fashion-mnist", QUERY);
    const search = run(bin, ["search", query, "-k", "5", "--rerank", "exact", "--json"], elsewhere, env);
    expect(search.code, search.stderr).toBe(0);
    const hits = JSON.parse(search.stdout).hits as { path: string; label: string; score: number }[];
    expect(hits[0]!.path).toBe(QUERY);
    expect(hits[0]!.score).toBeCloseTo(0, 4);
    expect(hits.length).toBe(5);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(home)).toEqual(["store"]);
  }, 180_000);

  it("imports with types from an ESM TypeScript project (module nodenext) and embeds an image", async () => {
    const image = join(project, "node_modules", "margin", "samples", "fashion-mnist", QUERY);
    const compilerOptions = { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, types: ["node"], skipLibCheck: false };
    await writeFile(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { ...compilerOptions, outDir: "out" }, files: ["embed.ts"] }));
    await writeFile(join(project, "embed.ts"), [
      'import { decodeFile, Encoder, resolveModel, type ModelCard } from "margin";',
      'const { card } = resolveModel({ model: "fashion-mnist-triplet-64" });',
      'const encoder = await Encoder.load({ model: card, device: "cpu" });',
      "const info: ModelCard = encoder.card;",
      "const pixels = await decodeFile(process.argv[2]!);",
      "const v: Float32Array = await encoder.embed([encoder.preprocess(pixels)]);",
      "await encoder.close();",
      "console.log(JSON.stringify({ name: info.name, dim: encoder.dim, vector: Array.from(v) }));",
      "",
    ].join("\n"));
    // and a file that misuses the API: the types must catch it
    await writeFile(join(project, "tsconfig.bad.json"), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, files: ["bad.ts"] }));
    await writeFile(join(project, "bad.ts"), 'import { resolveModel } from "margin";\nresolveModel({ model: 64 });\n');
    const tsc = join(project, "node_modules", "typescript", "bin", "tsc");
    const check = run(process.execPath, [tsc, "-p", ".", "--noEmit"], project, env);
    expect([check.code, check.stdout]).toEqual([0, ""]);
    const bad = run(process.execPath, [tsc, "-p", "tsconfig.bad.json"], project, env);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    const emit = run(process.execPath, [tsc, "-p", "."], project, env);
    expect(emit.code, emit.stdout).toBe(0);
    const out = run(process.execPath, [join(project, "out", "embed.js"), image], elsewhere, env);
    expect(out.code, out.stderr).toBe(0);
    const got = JSON.parse(out.stdout) as { name: string; dim: number; vector: number[] };
    // the same model and image through the checkout's own sources
    const encoder = await Encoder.load({ model: join(CHECKOUT, "models", "fashion-mnist-triplet-64.json"), device: "cpu" });
    try {
      const want = await encoder.embed([encoder.preprocess(await decodeFile(image))]);
      expect([got.name, got.dim, got.vector.length]).toEqual(["fashion-mnist-triplet-64", 64, 64]);
      got.vector.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
    } finally {
      await encoder.close();
    }
  }, 180_000);
});
