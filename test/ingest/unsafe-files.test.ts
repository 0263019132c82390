/**
 * Files that are not images to read: a named pipe (no writer: opening it for
 * reading would block forever), a link to /dev/zero (endless bytes), a unix
 * socket, and a sparse 6 GiB file named .png (read whole it would take 6 GiB).
 * The real CLI and a child process running ingest both finish, report each
 * with its path and reason, store the good images, and the child's peak RSS
 * stays far below what reading any of them would take.
 */

import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, open, rm, symlink } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashImageFile, ImageError, readImageFile } from "../../src/index.js";
import { startTestStore, type TestStore } from "./store.js";

const exec = promisify(execFile);
const GOOD = ["coat/t10k-00006.png", "bag/t10k-00053.png", "sneaker/t10k-00038.png"];
let tmp: string, dir: string, server: TestStore, socket: Server;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-unsafe-"));
  dir = join(tmp, "images");
  await mkdir(dir);
  for (const f of GOOD) await copyFile(join("samples/fashion-mnist", f), join(dir, f.replace("/", "-")));
  await exec("mkfifo", [join(dir, "pipe.png")]);
  await symlink("/dev/zero", join(dir, "zero.jpg"));
  const big = await open(join(dir, "huge.png"), "w");
  await big.truncate(6 * 1024 ** 3); // sparse: no disk used
  await big.close();
  socket = createServer();
  await new Promise<void>((r) => socket.listen(join(dir, "sock.png"), r));
  server = await startTestStore(join(tmp, "store"));
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => socket?.close(r));
  await rm(tmp, { recursive: true, force: true });
});

/** Skipped files as [path, reason], sorted. */
const reasons = (s: { skipped: { path: string; reason: string }[] }) => s.skipped.map((k) => [k.path, k.reason]);
const EXPECTED = [["huge.png", "too-large"], ["pipe.png", "not-a-file"], ["sock.png", "not-a-file"], ["zero.jpg", "not-a-file"]];

describe("ingest reads only regular files", () => {
  it("the CLI finishes, stores the good images and reports each special file with its reason", async () => {
    const { stdout } = await exec(process.execPath, [
      "bin/margin.js", "ingest", dir, "--collection", `unsafe-cli-${process.pid}`, "--device", "cpu", "--json",
    ], { env: { ...process.env, QDRANT_URL: server.url, ...(server.apiKey ? { QDRANT_API_KEY: server.apiKey } : {}) }, timeout: 90_000 });
    const summary = JSON.parse(stdout);
    expect(summary.ingested).toBe(GOOD.length);
    expect(reasons(summary)).toEqual(EXPECTED);
    const msg = Object.fromEntries(summary.skipped.map((k: { path: string; message: string }) => [k.path, k.message]));
    expect(msg["pipe.png"]).toBe(`image ${join(dir, "pipe.png")}: is a named pipe (FIFO), not a regular file; ingest reads only regular files: remove it from the folder or replace it with the image it stands for`);
    expect(msg["zero.jpg"]).toContain("is a character device (such as /dev/zero), not a regular file");
    expect(msg["sock.png"]).toContain("not a regular file");
    expect(msg["huge.png"]).toBe(`image ${join(dir, "huge.png")}: is 6.0 GiB, over the 287.1 MiB limit for one image file (a sparse or runaway file named like an image?); remove it, or raise the byte limit (--max-bytes) if it is a genuine image`);
  }, 120_000);

  it("a child ingest's peak RSS stays bounded (nothing of the 6 GiB file or /dev/zero is read)", async () => {
    const arg = JSON.stringify({ dir, url: server.url, collection: `unsafe-rss-${process.pid}` });
    const { stdout } = await exec(process.execPath, ["test/ingest/rss-child.mjs", arg], { timeout: 90_000 });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(r.summary.ingested).toBe(GOOD.length);
    expect(reasons(r.summary)).toEqual(EXPECTED);
    console.log(`unsafe files: the child's peak RSS was ${r.maxRssMB.toFixed(0)} MB`);
    expect(r.maxRssMB).toBeLessThan(300);
  }, 120_000);

  it("refuses a --max-bytes that is not a size", async () => {
    const r = await exec(process.execPath, ["bin/margin.js", "ingest", dir, "--max-bytes", "lots"]).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr.trim()).toBe('error: margin ingest: --max-bytes must be a positive number of bytes such as 300000000 or 500M, got "lots"');
  });
});

describe("readImageFile / hashImageFile", () => {
  it("cap the size before reading, with the limit asked for", async () => {
    const path = join(dir, GOOD[0]!.replace("/", "-"));
    const err = await readImageFile(path, { maxBytes: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).reason).toBe("too-large");
    expect((await readImageFile(path)).length).toBeGreaterThan(100);
  });

  it("give up on a read that outlasts the deadline (reason timeout)", async () => {
    // 6 GiB of (sparse) zeros cannot be read in 20 ms: the deadline, not the size cap, ends it
    const err = await hashImageFile(join(dir, "huge.png"), { maxBytes: 8 * 1024 ** 3, timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).reason).toBe("timeout");
    expect((err as ImageError).message).toBe(`image ${join(dir, "huge.png")}: could not be read within 0.02 s (a slow or hung disk or network filesystem?); check the storage, or raise the read timeout (--read-timeout)`);
  });

  it("hash in chunks to the same SHA-256 as the whole file, and refuse a file that changed since", async () => {
    const path = join(dir, GOOD[1]!.replace("/", "-"));
    const bytes = await readImageFile(path);
    const { createHash } = await import("node:crypto");
    const whole = createHash("sha256").update(bytes).digest("hex");
    const h = await hashImageFile(path, { keepBytes: 0 });
    expect([h.sha256, h.bytes, h.identity.size]).toEqual([whole, undefined, bytes.length]);
    const kept = await hashImageFile(path, { keepBytes: 1 << 20 });
    expect([kept.sha256, Buffer.from(kept.bytes!).equals(Buffer.from(bytes))]).toEqual([whole, true]);
    const err = await readImageFile(path, { expect: { ...h.identity, ino: h.identity.ino + 1 } }).catch((e: unknown) => e);
    expect((err as ImageError).reason).toBe("unreadable");
    expect((err as ImageError).message).toContain("changed while it was being ingested");
  });
});
