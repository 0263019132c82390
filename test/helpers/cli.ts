/** The built CLI in a child process, as a user runs it from the checkout: `node bin/margin.js ...`. */

import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What one `margin` run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `margin ARGS` against the embedded store (QDRANT_URL cleared) and resolve
 * with its output and exit code; a non-zero exit resolves too, so tests can assert it.
 */
export async function margin(args: string[]): Promise<CliRun> {
  try {
    const r = await run(process.execPath, ["bin/margin.js", ...args], { env: { ...process.env, QDRANT_URL: "" }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}
