// Shared benchmark plumbing: interleaved timing, medians, the table and the JSON form.
import os from "node:os";

export const now = () => performance.now();

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seconds per call of fn, timed over at least `minMs` of repeated calls. */
export function timeIt(fn, minMs = 40) {
  let reps = 0;
  const t0 = now();
  let t = t0;
  do {
    fn();
    reps++;
    t = now();
  } while (t - t0 < minMs);
  return (t - t0) / 1000 / reps;
}

/**
 * Runs baseline and candidate interleaved, `rounds` times, after a warm-up
 * (V8's first wasm tier is ~3× slower), and returns the medians of each and
 * of the per-round ratios (baseline time / candidate time).
 */
export function compare(baseline, candidate, { rounds = 7, minMs = 40, warmup = 3 } = {}) {
  for (let i = 0; i < warmup; i++) {
    baseline();
    candidate();
  }
  const b = [];
  const c = [];
  const r = [];
  for (let i = 0; i < rounds; i++) {
    const tb = timeIt(baseline, minMs);
    const tc = timeIt(candidate, minMs);
    b.push(tb);
    c.push(tc);
    r.push(tb / tc);
  }
  return { baseline: median(b), candidate: median(c), ratio: median(r) };
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} vCPU, Node ${process.version}`;
}

/** Print rows as a table, or as one JSON object with --json. */
export function report(bench, rows, argv = process.argv.slice(2)) {
  if (argv.includes("--json")) {
    console.log(JSON.stringify({ bench, machine: machine(), date: new Date().toISOString().slice(0, 10), rows }));
    return;
  }
  const fmt = (v) => (typeof v === "number" ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));
  const head = ["case", "value", "baseline", "unit", "ratio"];
  const cells = rows.map((r) => [r.case, fmt(r.value), fmt(r.baseline), r.unit, `${r.ratio.toFixed(2)}×`]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  console.log(`${bench} — ${machine()} — ${new Date().toISOString().slice(0, 10)}`);
  console.log(line(head));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const c of cells) console.log(line(c));
}

/** Seeded uniform floats in [-1, 1). */
export function randomF32(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
