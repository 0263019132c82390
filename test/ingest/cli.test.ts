import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeImageFixtures, type BadImage } from "../fixtures/images/make.js";
import { startTestStore, type TestStore } from "./store.js";

const exec = promisify(execFile);
let tmp: string, dir: string, bad: BadImage[];
let server: TestStore;

/** Run the built CLI; resolves with the exit code and output either way. */
async function margin(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await exec(process.execPath, ["bin/margin.js", ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-cli-ingest-"));
  dir = join(tmp, "images");
  ({ bad } = await writeImageFixtures(dir));
  server = await startTestStore(join(tmp, "store"));
});
afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("margin ingest", () => {
  it("exits 2 on usage errors", async () => {
    const none = await margin(["ingest"]);
    expect([none.code, none.stderr.trim()]).toEqual([2, "error: margin ingest: expected one DIR, e.g. `margin ingest samples/fashion-mnist`"]);
    const dev = await margin(["ingest", dir, "--device", "gpu"]);
    expect([dev.code, dev.stderr.trim()]).toEqual([2, 'error: margin ingest: --device must be one of auto, cuda, cpu, got "gpu"']);
    const bs = await margin(["ingest", dir, "--batch-size", "0"]);
    expect(bs.code).toBe(2);
    expect(bs.stderr).toContain("--batch-size must be an integer in [1, 4096]");
  });

  it("lists bad files and exits 0, or 1 with --strict after storing the rest", async () => {
    const env = { QDRANT_URL: server.url };
    const ok = await margin(["ingest", dir, "--collection", `cli-${process.pid}`, "--device", "cpu"], env);
    expect(ok.code).toBe(0);
    for (const b of bad) expect(ok.stdout).toContain(`skipped ${b.rel}: ${b.reason}: `);
    expect(ok.stdout).toMatch(/skipped \d+/);
    expect(ok.stderr).toMatch(/ingest: collection "cli-\d+" \(created\)/);
    const strict = await margin(["ingest", dir, "--collection", `cli-${process.pid}`, "--device", "cpu", "--strict", "--json"], env);
    expect(strict.code).toBe(1);
    const summary = JSON.parse(strict.stdout);
    expect(summary.ingested).toBe(0);
    expect(summary.skipped.map((s: { path: string }) => s.path)).toEqual(bad.map((b) => b.rel).sort());
    expect(strict.stderr).toContain(`error: ${bad.length} file(s) could not be ingested`);
  });

  it("fails with a clear error when QDRANT_URL cannot be reached", async () => {
    const r = await margin(["ingest", dir, "--device", "cpu"], { QDRANT_URL: "http://127.0.0.1:9" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: Qdrant at http:\/\/127\.0\.0\.1:9: connect failed after 6 tries: .*check that Qdrant is running and QDRANT_URL is right/);
  }, 30_000);
});
