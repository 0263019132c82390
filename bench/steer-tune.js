// Tune margin's feedback strategies on the tuning split only (tuningRows:
// never among the reported steering queries): 3+3 marks from the first
// page, one round, precision@10 with the marks left out. Each query's pool
// (recommend, average vector) is fetched once; every parameter setting then
// re-ranks it on the kernels, so a grid costs little. Qdrant's
// relevance_feedback `c` runs through the store per setting.
// Usage: node bench/steer-tune.js [--queries N] [--collection NAME] [--store PATH]
// Needs the Fashion-MNIST test collection (README, "The full metric table").
import { DEFAULT_PARAMS, Kernels, loadLabeledSet, qdrantQuery, rerankPool, tuningRows } from "../dist/index.js";
import { openStore } from "../dist/cli/open-store.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const collection = arg("collection", "fashion-mnist-test");
const count = Number(arg("queries", "2000"));
const opened = await openStore(arg("store", ".margin/store"));
const store = opened.store;
const kernels = await Kernels.load();
const set = await loadLabeledSet(store, collection);
const { dim } = set;
const rowOf = new Map(set.ids.map((id, i) => [String(id), i]));
const queries = tuningRows(set.labels.length).subarray(0, count);
const K = 10;

const grid = [];
for (const beta of [0.8, 1.2, 1.6, 2, 2.5, 3]) for (const gamma of [0.3, 0.6, 1, 1.5]) grid.push(["rocchio", { beta, gamma }]);
for (const beta of [1.2, 1.6, 2, 2.5, 3]) for (const gamma of [0.3, 0.6, 1, 1.5]) for (const tau of [0.5, 1, 2]) for (const weight of [0.5, 1, 2, 4]) grid.push(["kde", { beta, gamma, tau, weight }]);
for (const m of [0.5, 1, 1.5, 2]) grid.push(["contrastive", { contrastiveMargin: m }]);
grid.push(["triplet", {}]);
const rf = [0.2, 0.3, 0.4, 0.5];
const builtIn = ["average-vector", "best-score", "sum-scores", "discover"];
const sums = new Float64Array(grid.length);
const rfSums = new Float64Array(rf.length + builtIn.length);
let steered = 0;
const t0 = performance.now();
const rows = (hits) => hits.map((h) => rowOf.get(String(h.id))).filter((r) => r !== undefined);
for (const q of queries) {
  const label = set.labels[q];
  const page = rows(await store.nearest({ collection, id: set.ids[q], limit: K, withPayload: false }));
  const pos = page.filter((r) => set.labels[r] === label).slice(0, 3);
  const neg = page.filter((r) => set.labels[r] !== label).slice(0, 3);
  if (neg.length === 0) continue;
  steered++;
  const ids = (rs) => rs.map((r) => set.ids[r]);
  const pool = await store.feedbackQuery({
    collection, limit: DEFAULT_PARAMS.pool, withPayload: false, withVector: true,
    query: { recommend: { positive: [set.ids[q], ...ids(pos)], negative: ids(neg), strategy: "average_vector" } },
  });
  const cand = new Float32Array(pool.length * dim);
  pool.forEach((h, i) => cand.set(h.vector, i * dim));
  const vec = (rs) => {
    const out = new Float32Array(rs.length * dim);
    rs.forEach((r, i) => out.set(set.vectors.subarray(r * dim, (r + 1) * dim), i * dim));
    return out;
  };
  const input = { candidates: cand, dim, query: set.vectors.subarray(q * dim, (q + 1) * dim), positives: vec(pos), negatives: vec(neg) };
  const poolRows = rows(pool);
  grid.forEach(([strategy, p], gi) => {
    const top = rerankPool(kernels, strategy, input, { ...DEFAULT_PARAMS, ...p }, K);
    sums[gi] += Array.from(top.indices).filter((i) => set.labels[poolRows[i]] === label).length / K;
  });
  const bodies = rf.map((c) => qdrantQuery("relevance-feedback", set.ids[q], ids(pos), ids(neg), { ...DEFAULT_PARAMS, relevanceFeedback: { a: 1, b: 1, c } }));
  for (const b of builtIn) bodies.push(qdrantQuery(b, set.ids[q], ids(pos), ids(neg), DEFAULT_PARAMS));
  const res = await store.feedbackQueryBatch({ collection, limit: K, withPayload: false, queries: bodies });
  res.forEach((hits, i) => (rfSums[i] += rows(hits).filter((r) => set.labels[r] === label).length / K));
}
console.log(`tuned on ${steered} steered queries of ${queries.length} tuning-split queries of "${collection}" in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const table = grid.map(([s, p], i) => [s, JSON.stringify(p), sums[i] / steered]);
for (const s of ["rocchio", "kde", "contrastive", "triplet"]) {
  const best = table.filter((r) => r[0] === s).sort((a, b) => b[2] - a[2]);
  console.log(`${s}: best ${best[0][1]} ${best[0][2].toFixed(4)}; next ${best.slice(1, 4).map((r) => `${r[1]} ${r[2].toFixed(4)}`).join(", ")}`);
}
console.log(`relevance-feedback (a 1, b 1): ${rf.map((c, i) => `c ${c} ${(rfSums[i] / steered).toFixed(4)}`).join(", ")}`);
console.log(`Qdrant's others: ${builtIn.map((b, i) => `${b} ${(rfSums[rf.length + i] / steered).toFixed(4)}`).join(", ")}`);
await opened.close();
