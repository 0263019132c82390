/**
 * WebEncoder's checks at its entry point, in Node (no browser needed): the
 * argument errors come before onnxruntime-web is loaded. The browser path
 * itself is covered by page.test.ts.
 */

import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { InputError, ModelError, parseModelCard } from "../../src/index.js";
import { WEB_BACKENDS, WebEncoder, webCapabilities } from "../../src/model/session-web.js";
import { MODEL } from "../web/env.js";

const card = parseModelCard(JSON.parse(await readFile(MODEL, "utf8")), MODEL);
const base = { card, model: new Uint8Array(0), wasmPaths: "/ort/" };

describe("WebEncoder.load", () => {
  it("names the allowed backends", async () => {
    const e = WebEncoder.load({ ...base, backend: "cuda" as never });
    await expect(e).rejects.toThrow(InputError);
    await expect(e).rejects.toThrow(`Unsupported backend "cuda". Should be one of: ${WEB_BACKENDS.join(", ")}`);
  });

  it("checks the thread count", async () => {
    const e = WebEncoder.load({ ...base, threads: 0 });
    await expect(e).rejects.toThrow(InputError);
    await expect(e).rejects.toThrow("threads must be an integer in [1, 64], got 0");
  });

  it("refuses WebGPU where there is no adapter", async () => {
    expect((await webCapabilities()).webgpu).toBe(false);
    const e = WebEncoder.load({ ...base, backend: "webgpu" });
    await expect(e).rejects.toThrow(ModelError);
    await expect(e).rejects.toThrow(/navigator.gpu gives no adapter in this browser; use backend "wasm" or "auto"/);
  });
});
