/**
 * `margin serve` as a process (the built CLI): it prints its URL, answers
 * with the isolation headers, stops cleanly on SIGTERM, and refuses bad flags
 * with exit code 2.
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const built = existsSync("dist/cli/serve.js") && existsSync("dist/cli/open-store.js");
if (!built && process.env.CI) throw new Error("the CLI is not built: CI runs npm test, which builds it first");
if (!built) console.warn("test/web/cli-serve.test.ts skipped: the CLI is not built (npm run build)");

describe.skipIf(!built)("margin serve (CLI)", () => {
  let tmp: string;
  const env = { ...process.env, QDRANT_URL: "", QDRANT_API_KEY: "" };
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "margin-cli-serve-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("serves on a free port with the embedded store and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["bin/margin.js", "serve", "--port", "0", "--store", join(tmp, "store"), "--collection", "none"], { env });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = /margin serve: (http:\/\/[^\s]+)/.exec(out);
          if (m) done(m[1]!);
        });
        child.stderr.on("data", (d) => { out += d; });
        child.on("exit", (code) => fail(new Error(`exited ${code}: ${out}`)));
      });
      const r = await fetch(`${url}/api/model`);
      expect(r.status).toBe(200);
      expect(r.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      expect((await r.json()).card.name).toBe("fashion-mnist-triplet-64");
      const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses bad flags with exit code 2", () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ["bin/margin.js", "serve", ...args], { env, encoding: "utf8" });
    const port = run("--port", "http");
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/--port must be an integer in \[0, 65535\], got "http"/);
    const extra = run("photos");
    expect(extra.status).toBe(2);
    expect(extra.stderr).toMatch(/takes no positional arguments, got "photos"/);
    const model = run("--port", "0", "--store", join(tmp, "store2"), "--model", "models/nope.json");
    expect(model.status).toBe(1);
    expect(model.stderr).toMatch(/model card models\/nope.json cannot be read/);
  });
});
