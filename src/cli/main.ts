/**
 * The CLI entry: picks a command, runs it, maps errors to exit codes
 * (a MarginError prints its message and exits 1, a UsageError 2; anything
 * else is a bug and prints its stack).
 */

import { MarginError, setOnnxTelemetry, UsageError } from "../index.js";

/** A command module: `help` text and `run`, which returns the exit code. */
export interface Command {
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Commands load lazily, so `margin store` does not load onnxruntime. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import("./demo.js")).default,
  store: async () => (await import("./store.js")).default,
  serve: async () => (await import("./serve.js")).default,
  search: async () => (await import("./search.js")).default,
  eval: async () => (await import("./eval.js")).default,
  ingest: async () => (await import("./ingest.js")).default,
  train: async () => (await import("./train.js")).default,
};

function usage(): string {
  return [
    "margin: images into a vector database and back by similarity",
    "",
    "Usage: margin <command> [options]   (margin <command> --help for details)",
    "",
    "Commands:",
    ...Object.keys(COMMANDS).map((c) => `  ${c}`),
    "",
    "Environment: QDRANT_URL, QDRANT_API_KEY (without QDRANT_URL the embedded store is used);",
    "  MARGIN_ORT_TELEMETRY=1 lets onnxruntime record and send its usage telemetry (off by default).",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = rest.includes("--verbose");
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  try {
    telemetryFromEnv(process.env.MARGIN_ORT_TELEMETRY);
    if (!load) throw new UsageError(`unknown command "${name}". Should be one of: ${Object.keys(COMMANDS).join(", ")}`);
    const cmd = await load();
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(cmd.help);
      return 0;
    }
    return await cmd.run(rest);
  } catch (e) {
    return report(e, verbose);
  }
}

/** onnxruntime's telemetry stays off unless MARGIN_ORT_TELEMETRY=1 (read here: the library never reads the environment). */
function telemetryFromEnv(v: string | undefined): void {
  if (v === undefined || v === "" || v === "0") return;
  if (v !== "1") throw new UsageError(`MARGIN_ORT_TELEMETRY must be 1 (allow onnxruntime's telemetry) or 0 (the default: off), got "${v}"`);
  setOnnxTelemetry(true);
}

/** Print an error the way a user wants to read it; returns the exit code. */
export function report(e: unknown, verbose: boolean): number {
  if (e instanceof MarginError) {
    console.error(`error: ${e.message}`);
    if (verbose) {
      let c: unknown = e.cause;
      while (c) {
        console.error(`  caused by: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}`);
        c = c instanceof Error ? c.cause : undefined;
      }
    }
    return e instanceof UsageError ? 2 : 1;
  }
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return 1;
}
