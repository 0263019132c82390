// npm run bench:kernels [-- --json]: the wasm kernels against the plain-JS
// reference (src/kernels/reference.ts) in the same process, interleaved.
import { Kernels } from "../dist/index.js";
import { refDistances, refRerank, refTopK, refTripletLoss } from "../dist/kernels/reference.js";
import { compare, randomF32, report } from "./lib.js";

const k = await Kernels.load();
const rows = [];

{
  const n = 100_000, dim = 128;
  const data = randomF32(n * dim, 1);
  const resident = k.allocF32(data.length, data);
  const q = randomF32(dim, 2);
  const r = compare(() => refDistances(q, data, dim), () => k.distances({ queries: q, vectors: resident, dim }));
  const gb = (t) => (n * dim * 4) / t / 1e9;
  rows.push({ case: "sqL2 one query vs 100,000×128 (resident)", value: gb(r.candidate), baseline: gb(r.baseline), unit: "GB/s", ratio: r.ratio });
  resident.free();
}
{
  const n = 1000, dim = 128;
  const cand = randomF32(n * dim, 3);
  const q = randomF32(dim, 4);
  const r = compare(
    () => refTopK(refRerank("exact", q, cand, dim), 10, true),
    () => k.topK({ scores: k.rerank({ mode: "exact", query: q, candidates: cand, dim }), k: 10, largest: true }),
    { minMs: 20 },
  );
  rows.push({ case: "re-rank exact 1,000×128 + top-10 (copied in)", value: r.candidate * 1e6, baseline: r.baseline * 1e6, unit: "µs/query", ratio: r.ratio });
  const pos = randomF32(3 * dim, 5);
  const neg = randomF32(3 * dim, 6);
  const t = compare(
    () => refTopK(refRerank("triplet", q, cand, dim, pos, neg), 10, true),
    () => k.topK({ scores: k.rerank({ mode: "triplet", query: q, candidates: cand, dim, positives: pos, negatives: neg }), k: 10, largest: true }),
    { minMs: 20 },
  );
  rows.push({ case: "re-rank triplet 1,000×128, 4 pos + 3 neg, + top-10", value: t.candidate * 1e6, baseline: t.baseline * 1e6, unit: "µs/query", ratio: t.ratio });
}
{
  const b = 512, dim = 64;
  const x = randomF32(b * dim, 7);
  const r = compare(() => refDistances(x, x, dim), () => k.pairwise({ vectors: x, dim }));
  rows.push({ case: "pairwise sqL2 512×64", value: r.candidate * 1e3, baseline: r.baseline * 1e3, unit: "ms", ratio: r.ratio });
}
{
  const b = 512, dim = 64;
  const x = randomF32(b * dim, 8);
  const labels = Int32Array.from({ length: b }, (_, i) => i % 32); // 32 classes × 16
  const r = compare(
    () => refTripletLoss(x, labels, dim, { margin: 0.5, mining: "batch-hard" }),
    () => k.tripletLoss({ embeddings: x, labels, dim, margin: 0.5, mining: "batch-hard" }),
  );
  rows.push({ case: "batch-hard triplet loss + gradient 512×64", value: r.candidate * 1e3, baseline: r.baseline * 1e3, unit: "ms", ratio: r.ratio });
}
report("kernels", rows);
