/**
 * Where a job's worker_threads script is, one rule for every worker (the
 * ingest's decoders, the trainer's replicas): a Worker needs compiled
 * JavaScript, so the script is the `.js` beside the calling module when the
 * library runs from dist/, and the copy in dist/ when it runs from its
 * TypeScript sources (the tests).
 */

import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";

/**
 * The compiled worker `name` (e.g. "worker.js") of the module at `from`
 * (its `import.meta.url`): beside it, else in dist/ under the same folder.
 * @throws InputError when neither exists: the library has not been built.
 */
export function workerFile(name: string, from: string, what = "worker"): URL {
  const beside = new URL(`./${name}`, from);
  if (existsSync(fileURLToPath(beside))) return beside;
  const folder = basename(dirname(fileURLToPath(from)));
  const built = new URL(`../../dist/${folder}/${name}`, from);
  if (existsSync(fileURLToPath(built))) return built;
  throw new InputError(`the ${what} ${fileURLToPath(beside)} is missing; run \`npm run build\` first`);
}
