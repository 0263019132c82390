import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MODEL, defaultCheckpointDir, defaultModelsDir, defaultStorePath, marginHome, modelCard, PACKAGE_ROOT, packageVersion, SAMPLES_DIR,
} from "../../src/cli/defaults.js";
import { ModelError, UsageError } from "../../src/index.js";

const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));

describe("the CLI's defaults", () => {
  it("MARGIN_HOME: ~/.margin when unset or empty, made absolute when relative", () => {
    expect(marginHome({})).toBe(join(homedir(), ".margin"));
    expect(marginHome({ MARGIN_HOME: "" })).toBe(join(homedir(), ".margin"));
    expect(marginHome({ MARGIN_HOME: "/srv/margin" })).toBe("/srv/margin");
    expect(marginHome({ MARGIN_HOME: "rel/home" })).toBe(resolve("rel/home"));
    expect(() => marginHome({ MARGIN_HOME: "  " })).toThrow(UsageError);
    expect(() => marginHome({ MARGIN_HOME: "  " })).toThrow('MARGIN_HOME is set to "  "; set it to a folder (or unset it for ~/.margin)');
  });

  it("the store, models and checkpoints live under MARGIN_HOME", () => {
    const env = { MARGIN_HOME: "/srv/margin" };
    expect([defaultStorePath(env), defaultModelsDir(env), defaultCheckpointDir("m", env)])
      .toEqual(["/srv/margin/store", "/srv/margin/models", "/srv/margin/checkpoints/m"]);
  });

  it("the package's own files are found from the module, not the working directory", () => {
    expect(resolve(PACKAGE_ROOT)).toBe(resolve(CHECKOUT));
    expect(SAMPLES_DIR).toBe(join(resolve(CHECKOUT), "samples"));
    const { version } = JSON.parse(readFileSync(join(CHECKOUT, "package.json"), "utf8"));
    expect(packageVersion()).toBe(version);
  });

  it("--model: the default name, a name in MARGIN_HOME/models, an unknown name", () => {
    const env = { MARGIN_HOME: "/nonexistent/margin-home" };
    expect(modelCard(undefined, env)).toBe(join(resolve(CHECKOUT), "models", `${DEFAULT_MODEL}.json`));
    expect(modelCard("some/card.json", env)).toBe("some/card.json");
    expect(() => modelCard("other", env)).toThrow(ModelError);
    expect(() => modelCard("other", env)).toThrow("/nonexistent/margin-home/models (missing)");
  });
});
