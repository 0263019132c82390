/** The kernel core stays behind Kernels: internal users reach it through coreOf, the public surface shows none of it. */

import { describe, expect, it } from "vitest";
import { KernelError } from "../../src/errors.js";
import { Kernels } from "../../src/index.js";
import { coreOf } from "../../src/kernels/core.js";
import { LOSS_OUT_BYTES, LOSS_SLOT, STATS_SLOT, STATS_SLOTS } from "../../src/kernels/exports.js";

for (const target of ["debug", "release"] as const) {
  describe(`kernel core (${target})`, async () => {
    const k = await Kernels.load({ target });

    it("is not on the public Kernels surface", () => {
      expect(Object.keys(k)).toEqual(["target"]);
      for (const name of ["x", "arena", "call", "checkFinite", "core"]) expect(name in k).toBe(false);
    });

    it("belongs to its own instance and is refused for anything else", async () => {
      const other = await Kernels.load({ target });
      expect(coreOf(k)).toBe(coreOf(k));
      expect(coreOf(other)).not.toBe(coreOf(k));
      expect(coreOf(other).arena).not.toBe(coreOf(k).arena);
      expect(() => coreOf({})).toThrow(KernelError);
      expect(() => coreOf({})).toThrow("not a Kernels instance: load one with Kernels.load()");
    });

    it("sizes the radix counts from the module's own constant: 2^11 buckets of i32", () => {
      expect(coreOf(k).radixCountsBytes).toBe(2048 * 4);
    });
  });
}

describe("result slots", () => {
  it("name each f64 slot of the stats and loss outputs once", () => {
    expect(Object.values(STATS_SLOT).sort((a, b) => a - b)).toEqual(Array.from({ length: STATS_SLOTS }, (_, i) => i));
    expect(Object.values(LOSS_SLOT)).toEqual([0, 1, 2]);
    expect(LOSS_OUT_BYTES).toBeGreaterThanOrEqual(3 * 8);
  });
});
