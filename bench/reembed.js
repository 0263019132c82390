// node bench/reembed.js [--points 10000] [--rounds 5] [--json]   (after npm run build)
//
// Re-embedding stored vectors through an adapter, end to end (issue 15's
// target: 10,000 under 2 s): scroll them with vectors out of the embedded
// store over HTTP (the real client), map them through an MLP adapter on the
// kernels, upsert them with wait=true into a new collection. Against the
// ceiling, the same store doing a plain copy with no adapter (scroll pages
// of 1,000, one upsert after the other, what a user would write first), and
// the parts alone (scroll only, upsert only), rounds interleaved, medians.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { identityAdapter, Kernels, QdrantStore, reembed, startEmbeddedStore } from "../dist/index.js";
import { machine, median, now, randomF32 } from "./lib.js";

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const N = arg("points", 10000);
const ROUNDS = arg("rounds", 5);
const DIM = 64;

const tmp = await mkdtemp(join(os.tmpdir(), "margin-bench-reembed-"));
const running = await startEmbeddedStore({ path: join(tmp, "store"), port: 0 });
try {
  const store = await QdrantStore.connect({ url: running.url });
  const kernels = await Kernels.load();
  const vectors = randomF32(N * DIM, 7);
  await store.ensureCollection({ name: "source", size: DIM, distance: "Euclid" });
  await store.upsert("source", Array.from({ length: N }, (_, i) => ({
    id: i + 1, vector: vectors.subarray(i * DIM, (i + 1) * DIM), payload: { path: `class-${i % 10}/img-${i}.png`, label: String(i % 10), model: "base" },
  })));
  // an MLP adapter with non-zero parameters (timing only: the values do not matter)
  const adapter = identityAdapter({ kind: "mlp", dim: DIM, hidden: 64, seed: 3 });
  adapter.params.forEach((_, i) => { adapter.params[i] = adapter.params[i] || 0.01 * Math.sin(i); });

  let k = 0;
  const copy = async () => {
    const to = `copy-${k++}`;
    await store.ensureCollection({ name: to, size: DIM, distance: "Euclid" });
    for await (const page of store.scroll("source", { withVector: true, pageSize: 1000 })) await store.upsert(to, page.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })));
    return to;
  };
  const scrollOnly = async () => {
    let n = 0;
    for await (const page of store.scroll("source", { withVector: true, pageSize: 1000 })) n += page.length;
    if (n !== N) throw new Error(`scrolled ${n} of ${N}`);
  };
  const points = Array.from({ length: N }, (_, i) => ({ id: i + 1, vector: vectors.subarray(i * DIM, (i + 1) * DIM), payload: { label: String(i % 10), model: "a" } }));
  const upsertOnly = async () => {
    const to = `upsert-${k++}`;
    await store.ensureCollection({ name: to, size: DIM, distance: "Euclid" });
    for (let i = 0; i < N; i += 1000) await store.upsert(to, points.slice(i, i + 1000));
    return to;
  };
  const candidate = async () => {
    const to = `adapted-${k++}`;
    const r = await reembed({ store, kernels, adapter, from: "source", to, model: "adapted" });
    if (r.points !== N) throw new Error(`re-embedded ${r.points} of ${N}`);
    return to;
  };
  const timed = async (fn) => {
    const t = now();
    const to = await fn();
    const s = (now() - t) / 1000;
    if (to) {
      const n = await store.count(to); // every point is there when the call returns (wait=true)
      if (n !== N) throw new Error(`${to} holds ${n} of ${N} points`);
      await store.deleteCollection(to);
    }
    return s;
  };
  await timed(copy);
  await timed(candidate); // warm-up
  const t = { copy: [], reembed: [], ratio: [], scroll: [], upsert: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const a = await timed(copy);
    const b = await timed(candidate);
    t.copy.push(a); t.reembed.push(b); t.ratio.push(a / b);
    t.scroll.push(await timed(scrollOnly));
    t.upsert.push(await timed(upsertOnly));
  }
  const m = Object.fromEntries(Object.entries(t).map(([key, v]) => [key, median(v)]));
  const load = os.loadavg().map((x) => x.toFixed(1)).join(" ");
  if (argv.includes("--json")) console.log(JSON.stringify({ bench: "reembed", machine: machine(), load, date: new Date().toISOString().slice(0, 10), points: N, ...m }));
  else {
    console.log(`reembed — ${machine()} — ${new Date().toISOString().slice(0, 10)} — load ${load}`);
    console.log(`re-embedding ${N} stored vectors (scroll, MLP adapter, upsert wait=true into a new collection): ${m.reembed.toFixed(2)} s`);
    console.log(`plain copy, no adapter (scroll pages of 1,000, one upsert after the other): ${m.copy.toFixed(2)} s; ratio copy / re-embed ${m.ratio.toFixed(2)}×`);
    console.log(`parts alone: scroll with vectors ${m.scroll.toFixed(2)} s, upserts of 1,000 ${m.upsert.toFixed(2)} s (medians of ${ROUNDS}, interleaved)`);
  }
} finally {
  await running.close();
  await rm(tmp, { recursive: true, force: true });
}
