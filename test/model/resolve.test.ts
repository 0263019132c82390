import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Encoder, InputError, isModelPath, listModels, ModelError, resolveModel, SHIPPED_MODELS_DIR } from "../../src/index.js";

// The checkout's models/ folder, found independently of the module under test.
const CHECKOUT_MODELS = fileURLToPath(new URL("../../models", import.meta.url));
const SHIPPED = "fashion-mnist-triplet-64";

let home: string;
let elsewhere: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "margin-resolve-home-"));
  elsewhere = await mkdtemp(join(tmpdir(), "margin-resolve-cwd-"));
  await mkdir(join(home, "models"));
  // a user model under another name, and one that reuses the shipped name
  for (const name of ["mine", SHIPPED]) {
    await copyFile(join(CHECKOUT_MODELS, `${SHIPPED}.onnx`), join(home, "models", `${name}.onnx`));
    await copyFile(join(CHECKOUT_MODELS, `${SHIPPED}.json`), join(home, "models", `${name}.json`));
  }
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

describe("resolveModel", () => {
  it("finds the shipped model by name, from the package and not the working directory", () => {
    expect(resolve(SHIPPED_MODELS_DIR)).toBe(resolve(CHECKOUT_MODELS));
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      expect(resolveModel({ model: SHIPPED })).toEqual({ card: join(CHECKOUT_MODELS, `${SHIPPED}.json`), source: "shipped" });
    } finally {
      process.chdir(cwd);
    }
  });

  it("looks in HOME/models after the shipped folder; the shipped name wins", () => {
    expect(resolveModel({ model: "mine", home })).toEqual({ card: join(home, "models", "mine.json"), source: "home" });
    expect(resolveModel({ model: SHIPPED, home }).source).toBe("shipped");
  });

  it("takes a value with a slash or a .json / .onnx ending as a path", () => {
    expect(resolveModel({ model: "models/x.json" })).toEqual({ card: "models/x.json", source: "path" });
    expect(resolveModel({ model: "x.json", home })).toEqual({ card: "x.json", source: "path" });
    const onnx = join(home, "models", "mine.onnx");
    expect(resolveModel({ model: onnx })).toEqual({ card: join(home, "models", "mine.json"), source: "path" });
    expect([isModelPath("a/b"), isModelPath("a\\b"), isModelPath("m.onnx"), isModelPath("m.json"), isModelPath("m")]).toEqual([true, true, true, true, false]);
  });

  it("names the folders and the names found when a name is unknown", () => {
    const missingHome = join(home, "nothing-here");
    let err: unknown;
    try {
      resolveModel({ model: "shoes", home: missingHome });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as Error).message).toBe(
      `model "shoes" not found; looked in ${resolve(CHECKOUT_MODELS)} (${SHIPPED}) and ${join(missingHome, "models")} (missing). ` +
        "Give one of those names, put NAME.json and NAME.onnx in the user models folder, or pass a path to NAME.json",
    );
    expect(() => resolveModel({ model: "shoes", home })).toThrow(`${join(home, "models")} (${SHIPPED}, mine)`);
    expect(() => resolveModel({ model: "shoes" })).toThrow(`model "shoes" not found; looked in ${resolve(CHECKOUT_MODELS)} (${SHIPPED}). `);
  });

  it("refuses empty values, bad names and an .onnx without its card", async () => {
    expect(() => resolveModel({ model: "" })).toThrow(InputError);
    expect(() => resolveModel({ model: "  " })).toThrow('model: expected a model name (e.g. fashion-mnist-triplet-64) or a path to NAME.json, got "  "');
    expect(() => resolveModel({ model: "my model" })).toThrow(InputError);
    expect(() => resolveModel({ model: "my model" })).toThrow('model "my model": a model name is letters, digits, . _ -');
    const lone = join(elsewhere, "lone.onnx");
    await writeFile(lone, "");
    expect(() => resolveModel({ model: lone })).toThrow(ModelError);
    expect(() => resolveModel({ model: lone })).toThrow(`model ${lone}: its model card ${join(elsewhere, "lone.json")} is missing`);
  });

  it("lists the cards of a folder, undefined when it does not exist", async () => {
    const d = join(elsewhere, "list");
    await mkdir(d);
    await writeFile(join(d, "b.json"), "{}");
    await writeFile(join(d, "a.json"), "{}");
    await writeFile(join(d, "a.onnx"), "");
    await writeFile(join(d, "notes.txt"), "");
    expect(listModels(d)).toEqual(["a", "b"]);
    expect(listModels(join(d, "none"))).toBeUndefined();
  });

  it("gives a card the Encoder loads: a user model by name embeds like the shipped one", async () => {
    const a = await Encoder.load({ model: resolveModel({ model: SHIPPED }).card, device: "cpu" });
    const b = await Encoder.load({ model: resolveModel({ model: "mine", home }).card, device: "cpu" });
    try {
      const x = new Float32Array(a.card.input.height * a.card.input.width).map((_, i) => ((i * 37) % 255) / 255);
      expect(Array.from(await b.embed([x]))).toEqual(Array.from(await a.embed([x])));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
