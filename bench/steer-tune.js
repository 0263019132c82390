// Tune margin's feedback strategies on the tuning split only (tuningRows:
// never among the reported steering queries): 3+3 marks from the first
// page, one round, precision@10 with the marks left out. Each query's
// candidate pools are fetched once, as ids (the vectors are the labeled
// set's), in batches: recommend (average vector) and relevance_feedback
// top 800, and the nearest 800 of the moved query q'. Every setting then
// re-ranks a prefix or a union of them on the kernels, so a grid costs
// little. Qdrant's strategies run through the store per setting. kde-marks
// (kde with its scale from the query's distances to its marks) is tried here only.
// --grid expand: only q''s nearest 200, and a finer kde-expand grid around the
// defaults, with its pseudo marks joined to the right marks (expandJoin) or not.
// Usage: node bench/steer-tune.js [--queries N] [--collection NAME] [--store PATH] [--top N] [--grid full|expand]
// Needs the Fashion-MNIST test collection (README, "The full metric table").
import { DEFAULT_PARAMS, feedbackKdeTop, Kernels, loadLabeledSet, qdrantQuery, rerankPool, tuningRows } from "../dist/index.js";
import { movedQuery, poolScale } from "../dist/feedback/pool-rerank.js";
import { openStore } from "../dist/cli/open-store.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const collection = arg("collection", "fashion-mnist-test");
const count = Number(arg("queries", "2000"));
const showTop = Number(arg("top", "12"));
const opened = await openStore(arg("store", ".margin/store"));
const store = opened.store;
const kernels = await Kernels.load();
const set = await loadLabeledSet(store, collection);
const { dim } = set;
const rowOf = new Map(set.ids.map((id, i) => [String(id), i]));
const queries = Array.from(tuningRows(set.labels.length).subarray(0, count));
const K = 10, WIDE = 800, CHUNK = 32;
const rows = (hits) => hits.map((h) => rowOf.get(String(h.id))).filter((r) => r !== undefined);
const gather = (rs) => {
  const out = new Float32Array(rs.length * dim);
  rs.forEach((r, i) => out.set(set.vectors.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
};

// candidate pools: [name, how to build it from the wide lists]
const prefix = (src, n) => (w) => w[src].slice(0, n);
const union = (srcs, n) => (w) => [...new Set(srcs.flatMap((s) => w[s].slice(0, n)))];
const fine = arg("grid", "full") === "expand";
const allPools = [
  ["avg 200", prefix("avg", 200)], ["avg 400", prefix("avg", 400)], ["avg 800", prefix("avg", 800)],
  ["rf 200", prefix("rf", 200)], ["rf 400", prefix("rf", 400)],
  ["moved 200", prefix("moved", 200)], ["moved 400", prefix("moved", 400)], ["moved 800", prefix("moved", 800)],
  ["avg+rf 200", union(["avg", "rf"], 200)], ["avg+rf+moved 200", union(["avg", "rf", "moved"], 200)],
];
const pools = fine ? allPools.filter(([name]) => name === "moved 200") : allPools;
// scorers: [strategy, params]; kde's scale and bandwidth either from the pool (median d²(q, x)) or from the marks
const grid = [];
for (const beta of [1.5, 2, 2.5, 3]) for (const gamma of [0.3, 0.6, 1]) for (const tau of [0.5, 1, 2]) for (const weight of [0.5, 1, 2, 4]) {
  grid.push(["kde", { beta, gamma, tau, weight }]);
}
for (const beta of [1.5, 2.5, 3]) for (const gamma of [0.3, 0.6, 1, 1.5]) grid.push(["rocchio", { beta, gamma }]);
for (const m of [1, 1.5, 2]) grid.push(["contrastive", { contrastiveMargin: m }]);
grid.push(["triplet", {}]);
for (const beta of [2, 2.5]) for (const gamma of [0.6]) for (const tau of [0.5, 1, 2]) for (const weight of [1, 2]) {
  grid.push(["kde-marks", { beta, gamma, tau, weight }]);
}
// query expansion: kde's best points as pseudo right marks, topping the 3 (or fewer) real ones up to `expand`
const expandBases = [[2, 0.6, 0.5, 1], [2, 0.6, 1, 4], [2, 0.3, 1, 4], [2.5, 0.6, 1, 1], [2, 0.6, 2, 1], [2, 0.6, 0.5, 0.5]];
for (const [beta, gamma, tau, weight] of expandBases) for (const expand of [6, 8, 13]) for (const expandWeight of [1, 0.5]) {
  grid.push(["kde-expand", { beta, gamma, tau, weight, expand, expandWeight, expandJoin: false }]);
}
if (fine) {
  grid.length = 0;
  for (const beta of [1.5, 2, 2.5]) for (const gamma of [0.4, 0.6, 0.8]) for (const tau of [0.35, 0.5, 0.7]) for (const weight of [0.75, 1, 1.25]) {
    for (const expandWeight of [0.75, 1, 1.5]) grid.push(["kde-expand", { beta, gamma, tau, weight, expandWeight, expandJoin: false }]);
  }
  for (const beta of [1.5, 2, 2.5]) for (const gamma of [0.4, 0.6, 0.8]) for (const tau of [0.35, 0.5, 0.7, 1]) for (const weight of [1, 1.5, 2, 3]) {
    grid.push(["kde-expand", { beta, gamma, tau, weight, expandWeight: 0, expandJoin: true }]);
  }
  for (const expandWeight of [0.25, 0.5, 0.75, 1]) for (const weight of [0.75, 1, 1.5]) for (const tau of [0.5, 0.7]) {
    grid.push(["kde-expand", { tau, weight, expandWeight, expandJoin: true }]);
  }
}
const rf = [0.2, 0.3, 0.4, 0.5];
const builtIn = ["average-vector", "best-score", "sum-scores", "discover"];
const sums = pools.map(() => new Float64Array(grid.length));
const qSums = new Float64Array(rf.length + builtIn.length);
let steered = 0;
const t0 = performance.now();

/** kde with the scale taken from the marks: the median d² from the query to its marks. */
function kdeMarks(input, p, k) {
  const marks = new Float32Array(input.positives.length + input.negatives.length);
  marks.set(input.positives);
  marks.set(input.negatives, input.positives.length);
  const s = poolScale(kernels, { ...input, candidates: marks });
  const withQuery = new Float32Array(dim + input.positives.length);
  withQuery.set(input.query);
  withQuery.set(input.positives, dim);
  return feedbackKdeTop(kernels, {
    candidates: input.candidates, dim, query: movedQuery(input, p.beta, p.gamma), k, scale: s,
    positives: withQuery, negatives: input.negatives, weight: p.weight, tau: p.tau * s,
  });
}

for (let at = 0; at < queries.length; at += CHUNK) {
  const chunk = queries.slice(at, at + CHUNK);
  const pages = await store.nearestBatch({ collection, limit: K, withPayload: false, queries: chunk.map((q) => ({ id: set.ids[q] })) });
  const work = [];
  chunk.forEach((q, ci) => {
    const label = set.labels[q];
    const page = rows(pages[ci]);
    const pos = page.filter((r) => set.labels[r] === label).slice(0, 3);
    const neg = page.filter((r) => set.labels[r] !== label).slice(0, 3);
    if (neg.length) work.push({ q, label, pos, neg });
  });
  if (!work.length) continue;
  const ids = (rs) => rs.map((r) => set.ids[r]);
  const inputOf = (w) => ({ candidates: new Float32Array(0), dim, query: set.vectors.subarray(w.q * dim, (w.q + 1) * dim), positives: gather(w.pos), negatives: gather(w.neg) });
  const wideBodies = work.flatMap((w) => [
    { recommend: { positive: [set.ids[w.q], ...ids(w.pos)], negative: ids(w.neg), strategy: "average_vector" } },
    qdrantQuery("relevance-feedback", set.ids[w.q], ids(w.pos), ids(w.neg), DEFAULT_PARAMS),
    { nearest: Array.from(movedQuery(inputOf(w), DEFAULT_PARAMS.beta, DEFAULT_PARAMS.gamma)) },
  ]);
  const wide = await store.feedbackQueryBatch({ collection, limit: WIDE, withPayload: false, queries: wideBodies });
  const small = work.flatMap((w) => [
    ...rf.map((c) => qdrantQuery("relevance-feedback", set.ids[w.q], ids(w.pos), ids(w.neg), { ...DEFAULT_PARAMS, relevanceFeedback: { a: 1, b: 1, c } })),
    ...builtIn.map((b) => qdrantQuery(b, set.ids[w.q], ids(w.pos), ids(w.neg), DEFAULT_PARAMS)),
  ]);
  const smallRes = await store.feedbackQueryBatch({ collection, limit: K, withPayload: false, queries: small });
  work.forEach((w, wi) => {
    steered++;
    const n = rf.length + builtIn.length;
    for (let i = 0; i < n; i++) qSums[i] += rows(smallRes[wi * n + i]).filter((r) => set.labels[r] === w.label).length / K;
    const marked = new Set([w.q, ...w.pos, ...w.neg]);
    const lists = Object.fromEntries(["avg", "rf", "moved"].map((name, j) => [name, rows(wide[wi * 3 + j]).filter((r) => !marked.has(r))]));
    pools.forEach(([, build], pi) => {
      const poolRows = build(lists);
      const input = { ...inputOf(w), candidates: gather(poolRows) };
      grid.forEach(([strategy, p], gi) => {
        const top = strategy === "kde-marks" ? kdeMarks(input, p, K) : rerankPool(kernels, strategy, input, { ...DEFAULT_PARAMS, ...p }, K);
        sums[pi][gi] += Array.from(top.indices).filter((i) => set.labels[poolRows[i]] === w.label).length / K;
      });
    });
  });
}
console.log(`tuned on ${steered} steered queries of ${queries.length} tuning-split queries of "${collection}" in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`relevance-feedback (a 1, b 1): ${rf.map((c, i) => `c ${c} ${(qSums[i] / steered).toFixed(4)}`).join(", ")}`);
console.log(`Qdrant's others: ${builtIn.map((b, i) => `${b} ${(qSums[rf.length + i] / steered).toFixed(4)}`).join(", ")}`);
const table = pools.flatMap(([pool], pi) => grid.map(([s, p], gi) => ({ pool, s, p: JSON.stringify(p), v: sums[pi][gi] / steered })));
for (const s of ["kde", "kde-expand", "kde-marks", "rocchio", "contrastive", "triplet"]) {
  const best = table.filter((r) => r.s === s).sort((a, b) => b.v - a.v);
  console.log(`${s}: ${best.slice(0, showTop).map((r) => `[${r.pool}] ${r.p} ${r.v.toFixed(4)}`).join("\n  ")}`);
}
console.log("best per pool (any margin strategy):");
for (const [pool] of pools) {
  const b = table.filter((r) => r.pool === pool).sort((x, y) => y.v - x.v)[0];
  console.log(`  ${pool}: ${b.s} ${b.p} ${b.v.toFixed(4)}`);
}
await opened.close();
