/**
 * A small flag parser over node:util's parseArgs that turns its errors into
 * UsageError (exit code 2) and checks numbers where they enter.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../index.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Flags every command takes. */
export const COMMON: Options = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
};

export function parse(command: string, argv: string[], options: Options) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`margin ${command}: ${(cause as Error).message}; see \`margin ${command} --help\``, { cause });
  }
}

/** A numeric flag: integer when `integer`, within [min, max]. */
export function num(
  command: string, flag: string, value: string | undefined, dflt: number,
  o: { integer?: boolean; min?: number; max?: number } = {},
): number {
  if (value === undefined) return dflt;
  const v = Number(value);
  const min = o.min ?? -Infinity;
  const max = o.max ?? Infinity;
  if (!Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || v < min || v > max) {
    const kind = o.integer ? "an integer" : "a number";
    const range = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : "";
    throw new UsageError(`margin ${command}: --${flag} must be ${kind}${range}, got "${value}"`);
  }
  return v;
}
