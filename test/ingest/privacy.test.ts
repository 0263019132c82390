/**
 * onnxruntime-node's telemetry stays off: the real CLI (ingest, then a search
 * that embeds an image) runs in a child with its own HOME, XDG_CACHE_HOME and
 * TMPDIR, and none of onnxruntime's files (the queued events and device id
 * under the cache folder, mat-debug-<pid>.log and .ses in the temp folder)
 * appear. The same run with MARGIN_ORT_TELEMETRY=1 (the opt-in, which leaves
 * onnxruntime as it ships) shows that they do appear otherwise, so the check
 * can fail.
 */

import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
let tmp: string;
let run = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-privacy-"));
  await mkdir(join(tmp, "images"));
  for (const f of ["coat/t10k-00006.png", "bag/t10k-00053.png", "sneaker/t10k-00038.png"]) {
    await copyFile(join("samples/fashion-mnist", f), join(tmp, "images", f.replace("/", "-")));
  }
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every file (and folder) under `dir`, relative, sorted; dot files included. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** Run the built CLI commands in order in fresh HOME / cache / temp folders; returns what each folder holds afterwards. */
async function inFreshHome(commands: string[][], extraEnv: Record<string, string>) {
  const root = join(tmp, `run-${run++}`);
  const home = join(root, "home"), cache = join(root, "cache"), temp = join(root, "tmp");
  for (const d of [home, cache, temp]) await mkdir(d, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // the child decides for itself: nothing inherited from this process (which loaded the library too);
    // and no CI variable: onnxruntime itself records nothing when CI is set, which would let both checks pass vacuously
    if (v !== undefined && !["ORT_DISABLE_TELEMETRY", "MARGIN_ORT_TELEMETRY", "QDRANT_URL", "QDRANT_API_KEY", "CI"].includes(k)) env[k] = v;
  }
  Object.assign(env, { HOME: home, XDG_CACHE_HOME: cache, TMPDIR: temp, ...extraEnv });
  const store = join(root, "store");
  for (const args of commands) {
    await exec(process.execPath, ["bin/margin.js", ...args, "--store", store, "--device", "cpu"], { env });
  }
  return { home: await tree(home), cache: await tree(cache), temp: await tree(temp) };
}

const INGEST = () => ["ingest", join(tmp, "images"), "--collection", "privacy", "--workers", "1"];
const SEARCH = () => ["search", join(tmp, "images", "coat-t10k-00006.png"), "--collection", "privacy", "-k", "2"];

describe("onnxruntime telemetry", () => {
  it("writes nothing to the cache or temp folder during ingest and search", async () => {
    const left = await inFreshHome([INGEST(), SEARCH()], {});
    expect(left).toEqual({ home: [], cache: [], temp: [] });
  }, 120_000);

  it("appears only when the user opts in with MARGIN_ORT_TELEMETRY=1 (so the check above can fail)", async () => {
    const left = await inFreshHome([INGEST()], { MARGIN_ORT_TELEMETRY: "1" });
    expect(left.cache).toContain(join("Microsoft", "DeveloperTools", ".onnxruntime"));
    expect(left.temp.some((f) => /^mat-debug-\d+\.log$/.test(f))).toBe(true);
  }, 120_000);

  it("refuses a MARGIN_ORT_TELEMETRY that is neither 0 nor 1", async () => {
    const r = await exec(process.execPath, ["bin/margin.js", "store", "--help"], { env: { ...process.env, MARGIN_ORT_TELEMETRY: "yes" } })
      .then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: MARGIN_ORT_TELEMETRY must be 1 (allow onnxruntime\'s telemetry) or 0 (the default: off), got "yes"');
  });
});
