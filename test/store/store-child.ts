/** A store in a child process (test/store/fixtures/crash-child.mjs over the transpiled sources), for tests that kill it. */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./transpile.js";

/** A running child store: the process, its URL, and a promise that settles when it exits. */
export interface StoreChild {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

/**
 * Start a store child on `data` from the sources transpiled into `compiled`,
 * optionally under a wrapper command (e.g. `unshare --pid --fork ...`);
 * resolves once it prints the URL it serves.
 */
export function startStoreChild(o: { compiled: string; data: string; wrapper?: string[] }): Promise<StoreChild> {
  const argv = [...(o.wrapper ?? []), process.execPath, join(ROOT, "test/store/fixtures/crash-child.mjs"), join(o.compiled, "src"), o.data, "65536"];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (c: Buffer) => {
      buf += c.toString();
      if (buf.includes("\n")) resolve({ child, url: buf.split("\n")[0]!.trim(), exited });
    });
    child.once("exit", (code) => reject(new Error(`the store child${o.wrapper ? ` (under ${o.wrapper[0]})` : ""} exited (${code}) before serving: ${err || o.data}`)));
  });
}
