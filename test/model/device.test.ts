/**
 * The one device rule of src/model/device.ts, for both rows of the table.
 * The accelerators (CUDA, WebGPU) cannot start on this machine, so the
 * accelerator's side is played by `open` functions that fail or succeed
 * as each case says; the real sessions are covered by encoder.test.ts and
 * session-web.test.ts.
 */

import { describe, expect, it } from "vitest";
import { InputError, ModelError } from "../../src/errors.js";
import { DEVICES, DEVICE_TABLE, WEB_BACKENDS, checkDevice, openOnDevice, type DeviceOpener } from "../../src/model/device.js";

function opener(requested: unknown, o: { why?: string; fails?: string } = {}) {
  const opened: string[] = [];
  const warnings: string[] = [];
  let probed = 0;
  const spec: DeviceOpener<"node", string> = {
    runtime: "node",
    requested,
    model: "m.onnx",
    hint: "install it",
    logger: { warn: (m) => warnings.push(m) },
    unavailable: async () => {
      probed++;
      return o.why;
    },
    open: async (device) => {
      opened.push(device);
      if (device === "cuda" && o.fails) throw new Error(`${o.fails}\nsecond line`);
      return `session on ${device}`;
    },
  };
  return { spec, opened, warnings, probed: () => probed };
}

describe("the device table", () => {
  it("lists auto, the accelerator and the fallback per runtime", () => {
    expect(DEVICES).toEqual(["auto", "cuda", "cpu"]);
    expect(WEB_BACKENDS).toEqual(["auto", "webgpu", "wasm"]);
    expect([DEVICE_TABLE.node.option, DEVICE_TABLE.web.option]).toEqual(["device", "backend"]);
  });

  it("rejects a device of the other runtime, naming the allowed ones", () => {
    expect(() => checkDevice("node", "wasm")).toThrow(InputError);
    expect(() => checkDevice("node", "wasm")).toThrow('Unsupported device "wasm". Should be one of: auto, cuda, cpu');
    expect(() => checkDevice("web", "cuda")).toThrow('Unsupported backend "cuda". Should be one of: auto, webgpu, wasm');
    expect(() => checkDevice("web", 3)).toThrow("Unsupported backend 3.");
  });
});

describe("openOnDevice", () => {
  it("opens the fallback when asked, without probing the accelerator", async () => {
    const t = opener("cpu", { why: "no driver" });
    expect(await openOnDevice(t.spec)).toBe("session on cpu");
    expect([t.opened, t.warnings, t.probed()]).toEqual([["cpu"], [], 0]);
  });

  it("auto: takes the accelerator when it starts, silently", async () => {
    const t = opener("auto");
    expect(await openOnDevice(t.spec)).toBe("session on cuda");
    expect([t.opened, t.warnings]).toEqual([["cuda"], []]);
  });

  it("auto: falls back with one warning when the probe says no, without trying the accelerator", async () => {
    const t = opener("auto", { why: "no driver" });
    expect(await openOnDevice(t.spec)).toBe("session on cpu");
    expect(t.opened).toEqual(["cpu"]);
    expect(t.warnings).toEqual(["CUDA is not available (no driver); running the encoder on the CPU. To use it, install it."]);
  });

  it("auto: falls back with the same warning when the accelerator fails to open", async () => {
    const t = opener("auto", { fails: "out of memory" });
    expect(await openOnDevice(t.spec)).toBe("session on cpu");
    expect(t.opened).toEqual(["cuda", "cpu"]);
    expect(t.warnings).toEqual([
      "CUDA is not available (it could not start: out of memory); running the encoder on the CPU. To use it, install it.",
    ]);
  });

  it("asked by name: fails instead of falling back, saying why and how to fix it", async () => {
    const missing = opener("cuda", { why: "no driver" });
    await expect(openOnDevice(missing.spec)).rejects.toThrow(ModelError);
    await expect(openOnDevice(missing.spec)).rejects.toThrow(
      'model m.onnx: device "cuda" was asked for but no driver; install it, or use device "cpu" or "auto"',
    );
    expect(missing.opened).toEqual([]);
    const broken = opener("cuda", { fails: "out of memory" });
    const e = await openOnDevice(broken.spec).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).message).toBe(
      'model m.onnx: device "cuda" was asked for but it could not start: out of memory; install it, or use device "cpu" or "auto"',
    );
    expect((e as ModelError).cause).toBeInstanceOf(Error);
    expect(broken.warnings).toEqual([]);
  });
});
