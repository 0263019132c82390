/**
 * The CLI's defaults, in one place, and the one reader of MARGIN_HOME.
 *
 * Nothing here depends on the working directory: the package's own files
 * (models/, samples/, package.json) are found from this module's URL, and
 * what margin writes for the user (the embedded store, training checkpoints,
 * trained models) goes under MARGIN_HOME (default ~/.margin). So `margin`
 * does the same from any folder.
 */

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveModel, UsageError } from "../index.js";

/** The package root: this file is src/cli/defaults.ts or dist/cli/defaults.js. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The shipped sample images (for `margin demo` and thumbnails in `margin serve`). */
export const SAMPLES_DIR = join(PACKAGE_ROOT, "samples");

/** The model used when --model is not given: a name, resolved by {@link modelCard}. */
export const DEFAULT_MODEL = "fashion-mnist-triplet-64";
/** The collection the demo fills and search / eval / serve read by default. */
export const DEFAULT_COLLECTION = "fashion-mnist";
/** `margin serve`'s port. */
export const DEFAULT_SERVE_PORT = 8080;
/** `margin store`'s port: Qdrant's own REST port. */
export const DEFAULT_STORE_PORT = 6333;
/** Interface both servers bind by default: this machine only. */
export const DEFAULT_HOST = "127.0.0.1";
/** `margin train --data`: where Debian's dataset-fashion-mnist package puts the IDX files. */
export const DEFAULT_TRAIN_DATA = "/usr/share/datasets/fashion-mnist";
/**
 * `margin train --workers`: data-parallel replicas. The library's default is 1
 * (this thread only); the command uses both cores of the machines it targets.
 */
export const DEFAULT_TRAIN_WORKERS = 2;
/** `margin eval --out`: where the report goes, relative to the working directory (the user asked for it). */
export const DEFAULT_REPORT_DIR = "report";
/** The default store folder as help texts write it. */
export const STORE_HELP = "$MARGIN_HOME/store; MARGIN_HOME defaults to ~/.margin";

/**
 * The user's margin folder: MARGIN_HOME when set (made absolute), else
 * ~/.margin. It holds models/ (names resolve there after the shipped ones),
 * store/ (the default embedded store) and checkpoints/.
 * @throws UsageError when MARGIN_HOME is set but empty-looking.
 */
export function marginHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.MARGIN_HOME;
  if (h === undefined || h === "") return join(homedir(), ".margin");
  if (h.trim() === "") throw new UsageError(`MARGIN_HOME is set to ${JSON.stringify(h)}; set it to a folder (or unset it for ~/.margin)`);
  return isAbsolute(h) ? h : resolve(h);
}

/** The embedded store's default data folder: MARGIN_HOME/store. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(marginHome(env), "store");
}

/** Where trained models go by default (and where names are looked up after the shipped ones): MARGIN_HOME/models. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(marginHome(env), "models");
}

/** Training checkpoints of model NAME: MARGIN_HOME/checkpoints/NAME. */
export function defaultCheckpointDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(marginHome(env), "checkpoints", name);
}

/**
 * The model card path for a --model value (or the default model): a name is
 * looked up in the package's models/, then MARGIN_HOME/models/; a path is a path.
 */
export function modelCard(model: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolveModel({ model: model ?? DEFAULT_MODEL, home: marginHome(env) }).card;
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
