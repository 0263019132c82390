/**
 * Model names: `fashion-mnist-triplet-64` means a card in the package's own
 * `models/` folder (found beside the installed package, never relative to the
 * working directory), else in the user's models folder `HOME/models/`. A
 * value that looks like a path (a slash, or ending `.json` / `.onnx`) is used
 * as a path. The caller says where the home folder is: the library never
 * reads the environment.
 */

import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, ModelError } from "../errors.js";

/**
 * The package's shipped models folder. Resolved from this module's own URL,
 * so it is the same from `src/model/` (tests) and `dist/model/` (the build):
 * both sit two levels under the package root.
 */
export const SHIPPED_MODELS_DIR = fileURLToPath(new URL("../../models", import.meta.url));

/** Where {@link resolveModel} looks for a model given by name (the shipped models, a home folder). */
export interface ResolveModelOptions {
  /** A model name (`fashion-mnist-triplet-64`) or a path to `NAME.json` / `NAME.onnx`. */
  model: string;
  /** The user's margin folder; names are also looked up in `HOME/models/`. Default: none (shipped models only). */
  home?: string;
  /** The shipped models folder. Default {@link SHIPPED_MODELS_DIR}. */
  shippedDir?: string;
}

/** A resolved model: the card's absolute path and where it came from. */
export interface ResolvedModel {
  /**
   * Path of the model card (`NAME.json`; its ONNX file sits beside it):
   * absolute for a name, as given (so messages show the user's words) for a path.
   */
  card: string;
  source: "path" | "shipped" | "home";
}

/** True when `model` is meant as a file path rather than a name. */
export function isModelPath(model: string): boolean {
  return model.includes("/") || model.includes("\\") || model.endsWith(".json") || model.endsWith(".onnx");
}

/**
 * Find a model card by name or path.
 *
 * A path is taken relative to the working directory; `NAME.onnx` means the
 * card `NAME.json` beside it. A name is looked up in the shipped models
 * folder, then in `home/models/`; the first wins, so a user's file cannot
 * shadow a shipped model by accident.
 *
 * @returns the card's absolute path and its source.
 * @throws InputError when `model` is empty or not a valid name;
 *   ModelError when the name is found nowhere (the message lists the names
 *   found and the folders looked in) or a `.onnx` path has no card beside it.
 * @example
 * const { card } = resolveModel({ model: "fashion-mnist-triplet-64", home: "/home/me/.margin" });
 * const enc = await Encoder.load({ model: card });
 */
export function resolveModel(o: ResolveModelOptions): ResolvedModel {
  const model = o.model;
  if (typeof model !== "string" || model.trim() === "") {
    throw new InputError(`model: expected a model name (e.g. fashion-mnist-triplet-64) or a path to NAME.json, got ${JSON.stringify(model)}`);
  }
  if (isModelPath(model)) {
    if (!model.endsWith(".onnx")) return { card: model, source: "path" };
    const card = model.slice(0, -".onnx".length) + ".json";
    if (!existsSync(card)) {
      throw new ModelError(`model ${model}: its model card ${card} is missing; a model is NAME.onnx with NAME.json beside it (margin train writes both)`);
    }
    return { card, source: "path" };
  }
  if (!/^[A-Za-z0-9._-]+$/.test(model)) {
    throw new InputError(`model "${model}": a model name is letters, digits, . _ - (e.g. fashion-mnist-triplet-64); give a path to NAME.json for a file elsewhere`);
  }
  const folders: { dir: string; source: ResolvedModel["source"] }[] = [{ dir: o.shippedDir ?? SHIPPED_MODELS_DIR, source: "shipped" }];
  if (o.home !== undefined) folders.push({ dir: join(o.home, "models"), source: "home" });
  for (const f of folders) {
    const card = resolve(f.dir, `${model}.json`);
    if (existsSync(card)) return { card, source: f.source };
  }
  const looked = folders.map((f) => {
    const names = listModels(f.dir);
    return `${f.dir} (${names === undefined ? "missing" : names.length ? names.join(", ") : "no models"})`;
  });
  throw new ModelError(
    `model "${model}" not found; looked in ${looked.join(" and ")}. ` +
      "Give one of those names, put NAME.json and NAME.onnx in the user models folder, or pass a path to NAME.json",
  );
}

/**
 * The model names in a folder (its `NAME.json` cards), sorted; undefined when
 * the folder does not exist.
 */
export function listModels(dir: string): string[] | undefined {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return undefined;
  }
  return files.filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -".json".length)).sort();
}
