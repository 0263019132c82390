/**
 * The store's aliases on disk: `<path>/aliases.json`, one object
 * `{ "format": 1, "aliases": { alias: collection } }`. A change of aliases
 * (one request, any number of actions) is one durable rewrite of the file
 * (temp file, fsync, rename): after a crash the file holds the aliases of
 * before or of after the request, never a mix.
 */

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../../errors.js";
import { writeFileDurably } from "./fsutil.js";

/** alias -> collection name. */
export type AliasMap = Record<string, string>;

/** The aliases file of a data folder. */
export function aliasesFile(storePath: string): string {
  return join(storePath, "aliases.json");
}

/**
 * Read the aliases (none when the file does not exist).
 * @throws StoreError when the file exists but cannot be read or is damaged.
 */
export function readAliases(storePath: string): AliasMap {
  const file = aliasesFile(storePath);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new StoreError(`cannot read the store's aliases ${file}: ${(e as Error).message}; check its permissions`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StoreError(`the store's aliases ${file} are not valid JSON (${(e as Error).message}); restore it from a backup or delete it to drop every alias`, { cause: e });
  }
  const a = (parsed as { aliases?: unknown } | null)?.aliases;
  if (typeof a !== "object" || a === null || Array.isArray(a) || !Object.values(a).every((v) => typeof v === "string")) {
    throw new StoreError(`the store's aliases ${file} do not hold {"aliases": {alias: collection}}; restore it from a backup or delete it to drop every alias`);
  }
  return { ...(a as AliasMap) };
}

/**
 * Replace the aliases durably.
 * @throws Error from the file system when the disk refuses; the old file stays.
 */
export function writeAliases(storePath: string, aliases: AliasMap): void {
  const file = aliasesFile(storePath);
  try {
    writeFileDurably(file, JSON.stringify({ format: 1, aliases }, null, 2));
  } catch (e) {
    rmSync(`${file}.tmp`, { force: true });
    throw e;
  }
}
