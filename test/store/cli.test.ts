/** `margin store`: flags, the listening line, a clean stop on SIGTERM, the lock error. */

import { rmSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";
import { StoreError, UsageError } from "../../src/errors.js";
import command from "../../src/cli/store.js";
import { EmbeddedStore } from "../../src/store/embedded-store.js";
import { tempDir } from "./helpers.js";

const dir = tempDir("cli");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("rejects unknown flags and positionals as usage errors", async () => {
  await expect(command.run(["--bogus"])).rejects.toBeInstanceOf(UsageError);
  await expect(command.run(["somewhere"])).rejects.toThrow(/takes no positional arguments/);
  await expect(command.run(["--port", "70000"])).rejects.toThrow(/--port must be an integer in \[0, 65535\]/);
});

it("serves the folder, prints where, and closes cleanly on SIGTERM", async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((m: string) => void lines.push(m));
  try {
    const done = command.run(["--path", dir, "--port", "0", "--json"]);
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0), { timeout: 10_000 });
    const info = JSON.parse(lines[0]!) as { url: string; collections: number };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${info.url}/healthz`)).status).toBe(200);
    process.emit("SIGTERM");
    expect(await done).toBe(0);
  } finally {
    spy.mockRestore();
  }
  // the lock was released: the folder opens again
  const s = await EmbeddedStore.open({ path: dir });
  s.close();
});

it("a folder held by another store is a StoreError naming folder and process", async () => {
  const s = await EmbeddedStore.open({ path: dir });
  try {
    const err = await command.run(["--path", dir, "--port", "0"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by process ${process.pid}`));
  } finally {
    s.close();
  }
});
