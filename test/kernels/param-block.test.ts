/**
 * The parameter block both wasm-resident models keep their weights in:
 * copies in and out, length checks naming the owner, Adam against the
 * textbook update in f64, the checkpoint state, freeing.
 */

import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { Kernels } from "../../src/index.js";
import { coreOf } from "../../src/kernels/core.js";
import { ParamBlock } from "../../src/kernels/param-block.js";
import { gaussian } from "../helpers/random.js";

/** Adam (Kingma & Ba) with decoupled decay, written from the paper: p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + ε). */
function adamReference(p: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number }): number[] {
  const m = p.map(() => 0), v = p.map(() => 0), q = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < q.length; i++) {
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! * g[i]!;
      const mh = m[i]! / (1 - o.b1 ** t), vh = v[i]! / (1 - o.b2 ** t);
      q[i] = q[i]! * (1 - o.lr * o.wd) - (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  });
  return q;
}

describe("ParamBlock", async () => {
  const k = await Kernels.load();
  const core = coreOf(k);

  it("starts at zero and copies params and grads in and out (copies, not views)", () => {
    const b = new ParamBlock(core, 7, "Owner");
    expect([...b.getParams()]).toEqual(Array(7).fill(0));
    expect([...b.getGrads()]).toEqual(Array(7).fill(0));
    const p = gaussian(7, 1), g = gaussian(7, 2);
    b.setParams(p);
    b.setGrads(g);
    const out = b.getParams();
    expect(out).toEqual(p);
    expect(b.getGrads()).toEqual(g);
    out[0] = 99;
    expect(b.getParams()[0]).toBe(p[0]);
    b.zeroGrads();
    expect([...b.getGrads()]).toEqual(Array(7).fill(0));
    expect(b.getParams()).toEqual(p);
    b.free();
  });

  it("refuses a wrong length or type, naming the owner, the buffer and both lengths", () => {
    const b = new ParamBlock(core, 5, "WasmThing");
    expect(() => b.setParams(new Float32Array(4))).toThrow(InputError);
    expect(() => b.setParams(new Float32Array(4))).toThrow("WasmThing: params must be a Float32Array of length 5, got 4");
    expect(() => b.setGrads([1, 2, 3, 4, 5] as unknown as Float32Array)).toThrow("WasmThing: grads must be a Float32Array of length 5, got object");
    expect(() => b.setAdamState({ m: new Float32Array(5), v: new Float32Array(6), step: 1 })).toThrow("WasmThing: adam v must be a Float32Array of length 5, got 6");
    expect(() => b.adam({ lr: 0 })).toThrow("WasmThing.adam: lr must be > 0, got 0");
    b.free();
  });

  it("takes Adam steps as the textbook update does (AdamW decay; a length that is not a multiple of 4)", () => {
    const n = 11, o = { lr: 0.01, b1: 0.8, b2: 0.95, eps: 1e-6, wd: 0.1 };
    const p0 = gaussian(n, 3);
    const grads = [gaussian(n, 4), gaussian(n, 5), gaussian(n, 6)];
    const b = new ParamBlock(core, n, "Owner");
    b.setParams(p0);
    for (const g of grads) {
      b.setGrads(g);
      b.adam({ lr: o.lr, beta1: o.b1, beta2: o.b2, eps: o.eps, weightDecay: o.wd });
    }
    expect(b.step).toBe(3);
    const want = adamReference([...p0], grads.map((g) => [...g]), o);
    const got = b.getParams();
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    b.free();
  });

  it("restores its Adam state: a resumed block takes the same next step to the bit", () => {
    const n = 9, p0 = gaussian(n, 7), g1 = gaussian(n, 8), g2 = gaussian(n, 9);
    const a = new ParamBlock(core, n, "Owner");
    a.setParams(p0);
    a.setGrads(g1);
    a.adam({ lr: 1e-2 });
    const saved = { params: a.getParams(), ...a.getAdamState() };
    expect(saved.step).toBe(1);
    const b = new ParamBlock(core, n, "Owner");
    b.setParams(saved.params);
    b.setAdamState(saved);
    for (const x of [a, b]) {
      x.setGrads(g2);
      x.adam({ lr: 1e-2 });
    }
    expect(b.step).toBe(2);
    expect(b.getParams()).toEqual(a.getParams());
    expect(b.getAdamState()).toEqual(a.getAdamState());
    a.free();
    b.free();
  });

  it("gives its four buffers back to the arena, once", () => {
    const before = core.arena.allocatedBytes;
    const b = new ParamBlock(core, 100, "Owner");
    expect(core.arena.allocatedBytes - before).toBe(4 * 400);
    b.free();
    b.free();
    expect(core.arena.allocatedBytes).toBe(before);
  });
});
