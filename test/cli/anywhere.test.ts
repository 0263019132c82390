/**
 * Every command of the built CLI, started from a temporary folder outside the
 * checkout with MARGIN_HOME in another one (and HOME in a third): names
 * resolve from the package, the store lands in MARGIN_HOME, and nothing is
 * written into the working directory, HOME or the checkout.
 */

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointIdFromSha256, sha256Hex } from "../../src/index.js";

const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(CHECKOUT, "bin", "margin.js");
const SAMPLES = join(CHECKOUT, "samples", "fashion-mnist");
const QUERY = "coat/t10k-00006.png";

const built = existsSync(join(CHECKOUT, "dist/cli/main.js")) && existsSync(join(CHECKOUT, "dist/cli/defaults.js"));
if (!built && process.env.CI) throw new Error("the CLI is not built: CI runs npm test, which builds it first");
if (!built) console.warn("test/cli/anywhere.test.ts skipped: the CLI is not built (npm run build)");

/** Every file under `dir` with its size and mtime: what "nothing was written" compares. */
function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

describe.skipIf(!built)("margin from any folder", () => {
  let cwd: string, home: string, userHome: string, reports: string, photos: string;
  let env: NodeJS.ProcessEnv;
  // the checkout's folders a run from the checkout would have written into, and what it ships
  const watched = [".margin", "report", "models", "samples"];
  let before: Record<string, string[]>;

  const margin = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8", timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (args: string[]) => {
    const r = margin([...args, "--json"]);
    if (r.code !== 0) throw new Error(`margin ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  /** Start a long-running command; resolves with the child and the first stdout line matching `ready`. */
  const start = (args: string[], ready: RegExp) => new Promise<{ child: ChildProcess; match: RegExpExecArray }>((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) done({ child, match: m });
    });
    child.stderr!.on("data", (d) => { out += d; });
    child.on("exit", (code) => fail(new Error(`margin ${args.join(" ")} exited ${code}: ${out}`)));
  });
  const stop = async (child: ChildProcess) => {
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    return exited;
  };

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "margin-anywhere-cwd-"));
    home = await mkdtemp(join(tmpdir(), "margin-anywhere-home-"));
    userHome = await mkdtemp(join(tmpdir(), "margin-anywhere-user-"));
    reports = await mkdtemp(join(tmpdir(), "margin-anywhere-reports-"));
    photos = join(cwd, "photos");
    // a small labeled folder, given to ingest as a path relative to the working directory
    for (const label of ["coat", "bag", "sneaker"]) {
      await mkdir(join(photos, label), { recursive: true });
      for (const f of readdirSync(join(SAMPLES, label)).sort().slice(0, 8)) await cp(join(SAMPLES, label, f), join(photos, label, f));
    }
    env = { ...process.env, MARGIN_HOME: home, HOME: userHome, QDRANT_URL: "", QDRANT_API_KEY: "" };
    before = Object.fromEntries(watched.map((w) => [w, snapshot(join(CHECKOUT, w))]));
  });
  afterAll(async () => {
    for (const d of [cwd, home, userHome, reports]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("--version and -v print the package's version", async () => {
    const { version } = JSON.parse(await readFile(join(CHECKOUT, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const r = margin([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, ""]);
    }
  }, 180_000);

  it("demo ingests the package's samples into MARGIN_HOME/store and finds the query first", () => {
    const r = json(["demo"]);
    expect(r.ingest.files).toBe(1000);
    expect(r.ingest.ingested).toBe(1000);
    expect(r.ingest.skipped).toEqual([]);
    expect(r.query).toBe(QUERY);
    expect(r.hits[0].path).toBe(QUERY);
    expect(r.hits[0].score).toBeCloseTo(0, 4);
    expect(readdirSync(home)).toEqual(["store"]);
  }, 180_000);

  it("ingest DIR (relative to the cwd) uses the default model by name and the default store", () => {
    const r = json(["ingest", "photos", "--workers", "1"]);
    expect([r.collection, r.files, r.ingested, r.model, r.created]).toEqual(["photos", 24, 24, "fashion-mnist-triplet-64", true]);
    expect(r.store).toBe(`the embedded store in ${join(home, "store")}`);
  }, 180_000);

  it("search finds an image by the default model, by name, by .onnx path, and names the folders of an unknown model", () => {
    const q = join("photos", QUERY);
    const byDefault = json(["search", q, "--collection", "photos", "-k", "3"]);
    expect(byDefault.hits[0].path).toBe(QUERY);
    expect(byDefault.hits[0].score).toBeCloseTo(0, 4);
    const byName = json(["search", q, "--collection", "photos", "-k", "3", "--model", "fashion-mnist-triplet-64"]);
    const byPath = json(["search", q, "--collection", "photos", "-k", "3", "--model", join(CHECKOUT, "models", "fashion-mnist-triplet-64.onnx")]);
    expect(byName.hits.map((h: { path: string }) => h.path)).toEqual(byDefault.hits.map((h: { path: string }) => h.path));
    expect(byPath.hits.map((h: { path: string }) => h.path)).toEqual(byDefault.hits.map((h: { path: string }) => h.path));
    const unknown = margin(["search", q, "--collection", "photos", "--model", "shoes-v2"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`error: model "shoes-v2" not found; looked in ${join(CHECKOUT, "models")} (fashion-mnist-triplet-64) and ${join(home, "models")} (missing)`);
  }, 180_000);

  it("eval reads the default collection from MARGIN_HOME/store and writes its report where asked", () => {
    const out = join(reports, "fashion");
    const r = json(["eval", "--queries", "100", "-k", "1,5", "--out", out]);
    expect([r.collection, r.points, r.queries]).toEqual(["fashion-mnist", 1000, 100]);
    expect(r.retrieval.modes.none.precisionAt1).toBeGreaterThan(0.7);
    expect(readdirSync(out).sort()).toEqual(["report.html", "report.json", "report.md"]);
  }, 180_000);

  it("serve starts on the default store with the package's samples as thumbnails, answers, and stops", async () => {
    const { child, match } = await start(["serve", "--port", "0"], /margin serve: (http:\/\/\S+)/);
    try {
      const url = match[1]!;
      const info = await (await fetch(`${url}/api/collection`)).json();
      expect(info).toMatchObject({ name: "fashion-mnist", points: 1000, model: "fashion-mnist-triplet-64", thumbnails: true });
      const bytes = await readFile(join(SAMPLES, QUERY));
      const thumb = await fetch(`${url}/api/thumb/${pointIdFromSha256(sha256Hex(bytes))}`);
      expect(thumb.status).toBe(200);
      expect(Buffer.from(await thumb.arrayBuffer()).equals(bytes)).toBe(true);
      expect(await stop(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 180_000);

  it("store serves MARGIN_HOME/store over Qdrant's API and stops", async () => {
    const { child, match } = await start(["store", "--port", "0", "--json"], /^(\{.*\})$/m);
    try {
      const info = JSON.parse(match[1]!);
      expect([info.path, info.collections, info.points]).toEqual([join(home, "store"), 2, 1024]);
      const list = await (await fetch(`${info.url}/collections`)).json();
      expect(list.result.collections.map((c: { name: string }) => c.name).sort()).toEqual(["fashion-mnist", "photos"]);
      expect(await stop(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 180_000);

  it("train --help names MARGIN_HOME for its output and checkpoints", () => {
    const r = margin(["train", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("default $MARGIN_HOME/models");
    expect(r.stdout).toContain("default $MARGIN_HOME/checkpoints/NAME");
  }, 180_000);

  it("wrote nothing into the working directory, HOME or the checkout", () => {
    expect(readdirSync(cwd)).toEqual(["photos"]);
    expect(snapshot(photos).length).toBe(24);
    // not even onnxruntime's telemetry files: margin turns its telemetry off
    expect(snapshot(userHome)).toEqual([]);
    expect(readdirSync(home)).toEqual(["store"]);
    for (const w of watched) expect(snapshot(join(CHECKOUT, w)), w).toEqual(before[w]);
  }, 180_000);
});
