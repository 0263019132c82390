// npm run bench:rerank [-- --json]: re-rank 1,000 candidates for one query and
// keep the top 10, per mode and dimension: the kernels (candidates already in
// wasm memory, as `margin search` places them) against plain JavaScript loops
// over Float32Arrays in the same process, interleaved.
import { DEFAULT_PARAMS, Kernels, rerankPool } from "../dist/index.js";
import { compare, randomF32, report } from "./lib.js";

const N = 1000, K = 10, NP = 3, NN = 3, MARGIN = 1;

function sq(a, ai, b, bi, dim) {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = a[ai + k] - b[bi + k];
    s += d * d;
  }
  return s;
}

/** Plain JS: scores by docs/architecture.md's formulas, then a top-k by insertion. */
function plain(mode, q, cand, pos, neg, dim) {
  const n = cand.length / dim;
  const np = pos.length / dim, nn = neg.length / dim;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = i * dim;
    if (mode === "exact") scores[i] = -sq(q, 0, cand, x, dim);
    else if (mode === "triplet") {
      let mp = sq(q, 0, cand, x, dim);
      for (let j = 0; j < np; j++) mp = Math.min(mp, sq(pos, j * dim, cand, x, dim));
      let mn = Infinity;
      for (let j = 0; j < nn; j++) mn = Math.min(mn, sq(neg, j * dim, cand, x, dim));
      scores[i] = nn ? mn - mp : -mp;
    } else {
      let sp = sq(q, 0, cand, x, dim);
      for (let j = 0; j < np; j++) sp += sq(pos, j * dim, cand, x, dim);
      let sn = 0;
      for (let j = 0; j < nn; j++) sn += Math.max(0, MARGIN - Math.sqrt(sq(neg, j * dim, cand, x, dim))) ** 2;
      scores[i] = -(sp / (np + 1) + (nn ? sn / nn : 0));
    }
  }
  const top = [];
  for (let i = 0; i < n; i++) {
    if (top.length === K && scores[i] <= scores[top[K - 1]]) continue;
    let j = Math.min(top.length, K - 1);
    top[j] = i;
    while (j > 0 && scores[top[j - 1]] < scores[i]) {
      top[j] = top[j - 1];
      top[--j] = i;
    }
  }
  return top;
}

const k = await Kernels.load();
const rows = [];
for (const dim of [64, 128]) {
  const cand = randomF32(N * dim, dim);
  const q = randomF32(dim, 1), pos = randomF32(NP * dim, 2), neg = randomF32(NN * dim, 3);
  const resident = k.allocF32(cand.length, cand);
  for (const mode of ["exact", "triplet", "contrastive"]) {
    const steer = mode === "exact" ? {} : { positives: pos, negatives: neg };
    const wasm = (candidates) => () => k.rerankTop({ mode, query: q, candidates, dim, margin: MARGIN, k: K, ...steer });
    // same answer first: a benchmark of a wrong kernel is worthless
    const a = Array.from(wasm(resident)().indices);
    const b = plain(mode, q, cand, mode === "exact" ? new Float32Array(0) : pos, mode === "exact" ? new Float32Array(0) : neg, dim);
    if (a.join() !== b.join()) throw new Error(`${mode} ${dim}: kernels ${a} vs plain JS ${b}`);
    const base = () => plain(mode, q, cand, mode === "exact" ? new Float32Array(0) : pos, mode === "exact" ? new Float32Array(0) : neg, dim);
    const r = compare(base, wasm(resident), { minMs: 20 });
    const ex = mode === "exact" ? "" : `, ${NP + 1} pos + ${NN} neg`;
    rows.push({ case: `${mode} 1,000×${dim}${ex}, top-10`, value: r.candidate * 1e6, baseline: r.baseline * 1e6, unit: "µs/query", ratio: r.ratio });
    if (mode === "exact") {
      const c = compare(base, wasm(cand), { minMs: 20 });
      rows.push({ case: `exact 1,000×${dim}, top-10, candidates copied in`, value: c.candidate * 1e6, baseline: c.baseline * 1e6, unit: "µs/query", ratio: c.ratio });
    }
  }
  resident.free();
}
// margin's feedback strategies as `margin search` runs them: a pool of 200
// (a Float32Array, copied in), the query + 3 right + 3 wrong marks (7
// examples): pool scale, moved query, kde scores and top-10; kde-expand (the
// default) then takes its best 3 as pseudo right marks, which join the right
// marks' kernel sum and add one of their own, and ranks again
function plainKde(q, cand, pos, neg, dim, p, expand = 0) {
  const n = cand.length / dim, np = pos.length / dim, nn = neg.length / dim;
  const d2 = Array.from({ length: n }, (_, i) => sq(q, 0, cand, i * dim, dim)).sort((a, b) => a - b);
  const s = (d2[n / 2 - 1] + d2[n / 2]) / 2;
  const moved = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    let pm = 0, nm = 0;
    for (let j = 0; j < np; j++) pm += pos[j * dim + d] / np;
    for (let j = 0; j < nn; j++) nm += neg[j * dim + d] / nn;
    moved[d] = q[d] + p.beta * (pm - q[d]) + p.gamma * (q[d] - nm);
  }
  const P = new Float32Array(dim + pos.length);
  P.set(q);
  P.set(pos, dim);
  const lse = (set, m, x) => {
    if (m === 0) return 0;
    let best = Infinity;
    const ds = [];
    for (let j = 0; j < m; j++) best = Math.min(best, ds[j] = sq(set, j * dim, cand, x, dim));
    let sum = 0;
    for (let j = 0; j < m; j++) sum += Math.exp(-(ds[j] - best) / (p.tau * s));
    return -best / (p.tau * s) + Math.log(sum);
  };
  const scores = new Float32Array(n);
  const score = (R, nr) => {
    for (let i = 0; i < n; i++) scores[i] = -sq(moved, 0, cand, i * dim, dim) / s + p.weight * (lse(R, nr, i * dim) - lse(neg, nn, i * dim));
  };
  score(P, np + 1);
  const order = () => Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  if (expand > 0) {
    const top = order().slice(0, expand);
    const E = new Float32Array(expand * dim);
    top.forEach((r, j) => E.set(cand.subarray(r * dim, (r + 1) * dim), j * dim));
    if (p.expandJoin) {
      const PE = new Float32Array(P.length + E.length);
      PE.set(P);
      PE.set(E, P.length);
      score(PE, np + 1 + expand);
    }
    for (let i = 0; i < n; i++) scores[i] += p.expandWeight * p.weight * lse(E, expand, i * dim);
  }
  return order().slice(0, K);
}
{
  const dim = 64, n = 200;
  const cand = randomF32(n * dim, 7);
  const q = randomF32(dim, 8), pos = randomF32(NP * dim, 9), neg = randomF32(NN * dim, 10);
  const input = { candidates: cand, dim, query: q, positives: pos, negatives: neg };
  for (const [strategy, expand] of [["kde", 0], ["kde-expand", DEFAULT_PARAMS.expand - NP]]) {
    const wasm = () => rerankPool(k, strategy, input, DEFAULT_PARAMS, K);
    const a = Array.from(wasm().indices), b = plainKde(q, cand, pos, neg, dim, DEFAULT_PARAMS, expand);
    if (a.join() !== b.join()) throw new Error(`${strategy}: kernels ${a} vs plain JS ${b}`);
    const r = compare(() => plainKde(q, cand, pos, neg, dim, DEFAULT_PARAMS, expand), wasm, { minMs: 20 });
    rows.push({ case: `feedback ${strategy} 200×64, 1+${NP} right + ${NN} wrong, top-10 (as search)`, value: r.candidate * 1e6, baseline: r.baseline * 1e6, unit: "µs/query", ratio: r.ratio });
  }
}
report("rerank", rows);
