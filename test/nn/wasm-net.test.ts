import { describe, expect, it } from "vitest";
import { Kernels } from "../../src/kernels/index.js";
import { coreOf } from "../../src/kernels/core.js";
import { WasmNet } from "../../src/nn/wasm-net.js";
import { planNet, initParams } from "../../src/nn/plan.js";
import { referenceForward } from "../helpers/reference-forward.js";
import { gaussian, labels as makeLabels, relErr } from "../helpers/random.js";

/** Central finite differences of f at a few coordinates of `x` (mutated and restored). */
function fd(f: () => number, x: Float32Array, idx: number[], eps = 1e-2): number[] {
  return idx.map((i) => {
    const v = x[i]!;
    x[i] = v + eps;
    const up = f();
    x[i] = v - eps;
    const down = f();
    x[i] = v;
    return (up - down) / (2 * eps);
  });
}

function dotSum(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function sample(n: number, count: number, seed: number): number[] {
  const r = gaussian(count, seed);
  return Array.from(r, (v, i) => Math.floor(Math.abs(v * 7919 + i * 104729)) % n);
}

for (const target of ["debug", "release"] as const) {
  describe(`training kernels (${target})`, async () => {
    const k = await Kernels.load({ target });
    // the raw layer kernels are tested through the core, below the network
    const { x, arena } = coreOf(k);
    const put = (a: Float32Array) => {
      const p = arena.alloc(a.length * 4);
      arena.f32().set(a, p >> 2);
      return p;
    };
    const get = (p: number, n: number) => arena.f32().slice(p >> 2, (p >> 2) + n);

    it("gemm matches a naive loop (plain and transposed A, all tails)", () => {
      for (const [m, n, kk] of [[7, 13, 5], [8, 16, 3], [1, 2, 9], [5, 4, 1]] as const) {
        const a = gaussian(m * kk, m + n), b = gaussian(kk * n, kk), c0 = gaussian(m * n, 5);
        const want = new Float32Array(m * n), wantT = new Float32Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let s = 0, t = 0;
          for (let p = 0; p < kk; p++) { s += a[i * kk + p]! * b[p * n + j]!; t += a[p * m + i]! * b[p * n + j]!; }
          want[i * n + j] = s + c0[i * n + j]!;
          wantT[i * n + j] = t;
        }
        const pa = put(a), pb = put(b), pc = put(c0);
        x.gemmF32(m, n, kk, pa, kk, 1, pb, pc, 1);
        expect(relErr(get(pc, m * n), want)).toBeLessThan(1e-5);
        x.gemmF32(m, n, kk, pa, 1, m, pb, pc, 0);
        expect(relErr(get(pc, m * n), wantT)).toBeLessThan(1e-5);
        [pa, pb, pc].forEach((p) => arena.free(p));
      }
    });

    it("conv, pool and dense forward match the reference network", () => {
      for (const cfg of [{}, { height: 9, width: 7, conv: [4, 6], dense: [5], dim: 3 }]) {
        const plan = planNet(cfg);
        const params = initParams(plan, 3);
        const imgs = gaussian(5 * plan.sizes[0]!, 4);
        const net = new WasmNet(k, plan, 5);
        net.setParams(params);
        expect(relErr(net.forward(imgs, 5), referenceForward(plan, params, imgs, 5))).toBeLessThan(1e-4);
        net.free();
      }
    });

    // Per layer: L = Σ r ⊙ layer(x); compare the backward kernels with finite differences.
    it("conv3x3 backward (weights, bias, input) matches finite differences", () => {
      const [n, h, w, cin, cout] = [2, 5, 6, 3, 6];
      const xs = gaussian(n * h * w * cin, 1), wt = gaussian(9 * cin * cout, 2, 0.5), b = gaussian(cout, 3), r = gaussian(n * h * w * cout, 4);
      const col = arena.alloc(h * w * 9 * Math.max(cin, cout) * 4);
      const y = arena.alloc(n * h * w * cout * 4);
      const loss = () => {
        const px = put(xs), pw = put(wt), pb = put(b);
        x.conv3x3F32(px, n, h, w, cin, cout, pw, pb, y, col);
        [px, pw, pb].forEach((p) => arena.free(p));
        return dotSum(get(y, n * h * w * cout), r);
      };
      const px = put(xs), pw = put(wt), pr = put(r);
      const dw = put(new Float32Array(9 * cin * cout)), db = put(new Float32Array(cout));
      x.conv3x3GradWF32(px, pr, n, h, w, cin, cout, dw, db, col);
      const flip = arena.alloc(9 * cin * cout * 4), dx = arena.alloc(n * h * w * cin * 4);
      x.flipConvF32(pw, cin, cout, flip);
      x.conv3x3F32(pr, n, h, w, cout, cin, flip, 0, dx, col);
      const iw = sample(wt.length, 12, 9), ix = sample(xs.length, 12, 10), ib = [0, cout - 1];
      expect(relErr(fd(loss, wt, iw), iw.map((i) => get(dw, wt.length)[i]!))).toBeLessThan(2e-3);
      expect(relErr(fd(loss, b, ib), ib.map((i) => get(db, cout)[i]!))).toBeLessThan(2e-3);
      expect(relErr(fd(loss, xs, ix), ix.map((i) => get(dx, xs.length)[i]!))).toBeLessThan(2e-3);
    });

    it("LeakyReLU and max-pool backward match finite differences", () => {
      const [n, h, w, c] = [2, 5, 4, 6];
      const xs = gaussian(n * h * w * c, 21), len = xs.length;
      const r = gaussian(n * (h >> 1) * (w >> 1) * c, 22);
      const rl = gaussian(len, 23);
      const py = arena.alloc(r.length * 4);
      const poolLoss = () => {
        const px = put(xs);
        x.maxPool2F32(px, n, h, w, c, py);
        arena.free(px);
        return dotSum(get(py, r.length), r);
      };
      const leakLoss = () => {
        const px = put(xs);
        x.leakyReluF32(px, len, 0.1);
        const s = dotSum(get(px, len), rl);
        arena.free(px);
        return s;
      };
      const px = put(xs), pr = put(r), dx = arena.alloc(len * 4);
      x.maxPool2F32(px, n, h, w, c, py);
      x.maxPool2BackF32(px, py, pr, n, h, w, c, dx);
      const idx = sample(len, 20, 24);
      expect(relErr(fd(poolLoss, xs, idx, 1e-3), idx.map((i) => get(dx, len)[i]!))).toBeLessThan(1e-3);
      const pl = put(xs), g = put(rl);
      x.leakyReluF32(pl, len, 0.1);
      x.leakyReluBackF32(pl, g, len, 0.1);
      expect(relErr(fd(leakLoss, xs, idx, 1e-3), idx.map((i) => get(g, len)[i]!))).toBeLessThan(1e-3);
    });

    it("a whole small network's gradient under the triplet loss matches finite differences", () => {
      const plan = planNet({ height: 8, width: 8, conv: [4, 6], dense: [8], dim: 4, leak: 0.1 });
      const params = initParams(plan, 31);
      const n = 8, imgs = gaussian(n * 64, 32), lab = makeLabels(2, 4, 33);
      const net = new WasmNet(k, plan, n);
      const loss = () => {
        net.setParams(params);
        return k.tripletLoss({ embeddings: net.forward(imgs, n), labels: lab, dim: 4, margin: 1, average: "all" }).loss;
      };
      net.setParams(params);
      const { grad } = k.tripletLoss({ embeddings: net.forward(imgs, n), labels: lab, dim: 4, margin: 1, average: "all" });
      net.zeroGrads();
      net.backward(grad);
      const g = net.getGrads();
      // a few coordinates of every layer's weights and biases
      const idx: number[] = [];
      for (const l of plan.layers) {
        if (l.kind === "conv") idx.push(l.wOff, l.wOff + 9 * l.cin * l.cout - 1, l.wOff + 5, l.bOff, l.bOff + l.cout - 1);
        if (l.kind === "dense") idx.push(l.wOff, l.wOff + l.nin * l.nout - 1, l.wOff + 3, l.bOff, l.bOff + l.nout - 1);
      }
      const num = fd(loss, params, idx, 5e-4);
      expect(relErr(num, idx.map((i) => g[i]!))).toBeLessThan(1e-2);
      net.free();
    });

    it("a tiny network overfits a tiny set with the triplet loss and Adam", () => {
      const plan = planNet({ height: 8, width: 8, conv: [4, 8], dense: [16], dim: 8 });
      const n = 16, imgs = gaussian(n * 64, 41), lab = makeLabels(4, 4, 42);
      const net = new WasmNet(k, plan, n);
      net.setParams(initParams(plan, 43));
      const lossAt = () => k.tripletLoss({ embeddings: net.forward(imgs, n), labels: lab, dim: 8, margin: 0.5, average: "all" });
      const first = lossAt().loss;
      for (let s = 0; s < 150; s++) {
        const r = lossAt();
        net.zeroGrads();
        net.backward(r.grad);
        net.adam({ lr: 3e-3 });
      }
      const last = lossAt();
      expect(first).toBeGreaterThan(0.1);
      expect(last.loss).toBeLessThan(first * 0.05);
      net.free();
    });
  });
}
