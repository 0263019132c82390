// npm run build && node bench/formula.js [-- --json]: what formula scoring
// costs in the embedded store. One in-process store, 100,000 × 64 points with
// a payload each; a prefetch takes the 1,000 nearest to a query, then the
// outer stage re-scores those 1,000 either by the same query vector (the
// baseline) or by a formula (a score boost by a decay of a payload number, a
// condition and a nested key), and that formula against the constant formula
// 1 (what reading and evaluating it adds), interleaved, several rounds,
// medians and per-round ratios (baseline time / candidate time).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedStore } from "../dist/store/embedded-store.js";
import { compare, randomF32, report } from "./lib.js";

const N = 100_000, DIM = 64, CAND = 1000, K = 10;
const tmp = mkdtempSync(join(tmpdir(), "margin-bench-formula-"));
try {
  const store = await EmbeddedStore.open({ path: join(tmp, "store"), compactBytes: 2 ** 40 });
  await store.createCollection("f", DIM, "Dot");
  const data = randomF32(N * DIM, 7);
  for (let s = 0; s < N; s += 50_000) {
    const ids = Array.from({ length: Math.min(50_000, N - s) }, (_, i) => s + i);
    const payloads = ids.map((i) => ({ price: i % 97, color: i % 3 === 0 ? "red" : "blue", shop: { rating: (i % 5) + 1 } }));
    await store.upsertPoints("f", { ids, vectors: data.subarray(s * DIM, (s + ids.length) * DIM), payloads, wait: s + 50_000 >= N });
  }
  const q = Array.from(randomF32(DIM, 11));
  const prefetch = { query: q, limit: CAND };
  const boost = {
    sum: [
      "$score",
      { mult: [0.5, { exp_decay: { x: "price", target: 40, scale: 20 } }] },
      { mult: [0.2, { key: "color", match: { value: "red" } }] },
      { div: { left: "shop.rating", right: 5 } },
    ],
  };
  const byVector = () => store.query("f", { prefetch, query: q, limit: K });
  const byFormula = () => store.query("f", { prefetch, query: { formula: boost }, limit: K });
  // the same stages with a formula that reads nothing: the difference is the 4-term formula's evaluation
  const byConstant = () => store.query("f", { prefetch, query: { formula: 1 }, limit: K });
  if (byFormula().length !== K) throw new Error("the formula query did not answer 10 points");

  const rows = [];
  const a = compare(byVector, byFormula, { rounds: 11, minMs: 200 });
  rows.push({ case: `prefetch ${CAND} of ${N.toLocaleString("en-US")}×${DIM}, then a 4-term formula vs re-score by vector`, value: a.candidate * 1e3, baseline: a.baseline * 1e3, unit: "ms/query", ratio: a.ratio });
  const b = compare(byConstant, byFormula, { rounds: 11, minMs: 200 });
  // from the per-round ratio (each round runs both under the same load), not from the two medians
  const per = ((b.baseline * (1 / b.ratio - 1)) / CAND) * 1e9;
  rows.push({ case: `the same, 4-term formula vs the constant formula 1 (≈ ${per.toFixed(0)} ns per candidate)`, value: b.candidate * 1e3, baseline: b.baseline * 1e3, unit: "ms/query", ratio: b.ratio });
  report("formula", rows);
  store.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
