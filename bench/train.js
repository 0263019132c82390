// npm run bench:train [-- --json]: the training kernels against the wasm
// SIMD peak measured in the same run (a tight f32x4 mul+add loop on
// L1-resident data, assembly/gemm.ts simdPeakF32), interleaved round by
// round so a busy machine slows both alike. ratio = achieved / peak GFLOP/s.
import { Kernels } from "../dist/index.js";
import { coreOf } from "../dist/kernels/core.js";
import { WasmNet } from "../dist/nn/wasm-net.js";
import { planNet, initParams } from "../dist/nn/plan.js";
import { median, randomF32, report, timeIt } from "./lib.js";

const k = await Kernels.load();
// the raw kernels are timed through the core, below the public Kernels surface
const { x, arena } = coreOf(k);
const ring = arena.alloc(256);
arena.f32().fill(1, ring >> 2, (ring >> 2) + 64);
const PEAK_ITERS = 2_000_000;
const peak = () => x.simdPeakF32(ring, PEAK_ITERS);
const PEAK_FLOPS = PEAK_ITERS * 8 * 4 * 2;
const ROUNDS = 5;

/** Median GFLOP/s of fn and of the peak loop, and the median per-round ratio. */
function measure(fn, flops) {
  for (let i = 0; i < 2; i++) { fn(); peak(); }
  const v = [], b = [], r = [];
  for (let i = 0; i < ROUNDS; i++) {
    const p = PEAK_FLOPS / timeIt(peak, 60) / 1e9;
    const c = flops / timeIt(fn, 60) / 1e9;
    v.push(c); b.push(p); r.push(c / p);
  }
  return { value: median(v), baseline: median(b), ratio: median(r) };
}

const put = (a) => { const p = arena.alloc(a.length * 4); arena.f32().set(a, p >> 2); return p; };
const rows = [];
{
  const m = measure(peak, PEAK_FLOPS);
  rows.push({ case: "f32x4 mul+add peak, 1 core (the baseline)", value: m.baseline, baseline: m.baseline, unit: "GFLOP/s", ratio: 1 });
}
for (const [h, cin, cout, n] of [[28, 32, 32, 16], [14, 48, 48, 16]]) {
  const xs = put(randomF32(n * h * h * cin, 1)), w = put(randomF32(9 * cin * cout, 2)), b = put(randomF32(cout, 3));
  const y = arena.alloc(n * h * h * cout * 4), col = arena.alloc(h * h * 9 * Math.max(cin, cout) * 4);
  const dw = arena.alloc(9 * cin * cout * 4), db = arena.alloc(cout * 4), flip = arena.alloc(9 * cin * cout * 4), dx = arena.alloc(n * h * h * cin * 4);
  const flops = 2 * n * h * h * 9 * cin * cout;
  const f = measure(() => x.conv3x3F32(xs, n, h, h, cin, cout, w, b, y, col), flops);
  rows.push({ case: `conv3x3 forward ${h}×${h}, ${cin}→${cout}, batch ${n}`, ...f, unit: "GFLOP/s" });
  const g = measure(() => {
    x.conv3x3GradWF32(xs, y, n, h, h, cin, cout, dw, db, col);
    x.flipConvF32(w, cin, cout, flip);
    x.conv3x3F32(y, n, h, h, cout, cin, flip, 0, dx, col);
  }, 2 * flops);
  rows.push({ case: `conv3x3 backward (weights + input) ${h}×${h}, ${cin}→${cout}`, ...g, unit: "GFLOP/s" });
}
{
  const plan = planNet();
  const n = 80;
  const net = new WasmNet(k, plan, n);
  net.setParams(initParams(plan, 1));
  const imgs = randomF32(n * 784, 4), grad = randomF32(n * 64, 5).map((v) => v * 0.01);
  let macs = 0;
  for (const l of plan.layers) {
    if (l.kind === "conv") macs += l.h * l.w * 9 * l.cin * l.cout;
    if (l.kind === "dense") macs += l.nin * l.nout;
  }
  const flops = 3 * 2 * macs * n; // forward + backward ≈ 3 × forward
  const s = measure(() => { net.forward(imgs, n); net.zeroGrads(); net.backward(grad); net.adam({ lr: 1e-3 }); }, flops);
  rows.push({ case: "training step, seed net (conv 32,48 / dense 64,64), batch 80, 1 core", ...s, unit: "GFLOP/s" });
  const perImage = 3 * 2 * macs;
  rows.push({
    case: "training images/s, 1 core (baseline: the peak's images/s)",
    value: (s.value * 1e9) / perImage, baseline: (s.baseline * 1e9) / perImage, unit: "images/s", ratio: s.ratio,
  });
}
report("train", rows);
