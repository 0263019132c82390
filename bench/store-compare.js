// node bench/store-compare.js <old dist> <new dist> [--n N] [--quant]: the embedded store of two builds (e.g. main's
// dist and this checkout's), in one process: in-process EmbeddedStore.query, N (default 100,000) x 64 Euclid top-10,
// unfiltered and filtered (half the points by payload), the two interleaved in rounds; medians, ratios new/old.
// --quant adds int8 scalar quantization to both collections and a third case: int8 + rescore (oversampling 2).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
const [oldDir, newDir] = process.argv.slice(2);
const flag = (name) => process.argv.indexOf(`--${name}`);
const N = flag("n") > 0 ? Number(process.argv[flag("n") + 1]) : 100_000;
const QUANT = flag("quant") > 0;
const DIM = 64, QN = 16, ROUNDS = 7;
let seed = 12345;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const vecs = new Float32Array(N * DIM).map(() => rnd());
const qs = Array.from({ length: QN }, () => Array.from({ length: DIM }, () => rnd()));
const ids = Array.from({ length: N }, (_, i) => i);
const payloads = ids.map((i) => ({ g: i % 2 }));
async function open(dir) {
  const { EmbeddedStore } = await import(pathToFileURL(resolve(dir, "store/embedded-store.js")).href);
  const path = mkdtempSync(join(tmpdir(), "margin-cmp-"));
  const s = await EmbeddedStore.open({ path });
  await s.createCollection("c", DIM, "Euclid");
  if (QUANT) s.setQuantization("c", { type: "int8", quantile: 0.99 });
  for (let o = 0; o < N; o += 10000) await s.upsertPoints("c", { ids: ids.slice(o, o + 10000), vectors: vecs.subarray(o * DIM, (o + 10000) * DIM), payloads: payloads.slice(o, o + 10000), wait: false });
  if (QUANT) s.query("c", { query: qs[0], limit: 10, params: { quantization: { rescore: true } } }); // builds the codes
  return { s, path };
}
const BODIES = {
  plain: (q) => ({ query: q, limit: 10, params: { exact: true } }),
  filtered: (q) => ({ query: q, limit: 10, params: { exact: true }, filter: { must: [{ key: "g", match: { value: 1 } }] } }),
  ...(QUANT ? { int8: (q) => ({ query: q, limit: 10, params: { quantization: { rescore: true, oversampling: 2 } } }) } : {}),
};
const stores = { old: await open(oldDir), new: await open(newDir) };
// same answers
for (const body of Object.values(BODIES)) {
  for (const q of qs.slice(0, 4)) {
    const a = stores.old.s.query("c", body(q)).map((p) => `${p.id}:${p.score}`).join();
    const b = stores.new.s.query("c", body(q)).map((p) => `${p.id}:${p.score}`).join();
    if (a !== b) throw new Error("answers differ");
  }
}
function time(st, kind) {
  const t0 = process.hrtime.bigint();
  for (const q of qs) st.s.query("c", BODIES[kind](q));
  return Number(process.hrtime.bigint() - t0) / 1e6 / QN;
}
const res = Object.fromEntries(Object.keys(BODIES).map((kind) => [kind, { old: [], new: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of Object.keys(BODIES)) {
    const order = r % 2 ? ["old", "new"] : ["new", "old"];
    for (const w of order) res[kind][w].push(time(stores[w], kind));
  }
}
const med = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
for (const kind of Object.keys(BODIES)) {
  const ratios = res[kind].new.map((x, i) => x / res[kind].old[i]);
  console.log(`${kind}: old ${med(res[kind].old).toFixed(2)} ms/query, new ${med(res[kind].new).toFixed(2)} ms/query, median per-round ratio new/old ${med(ratios).toFixed(3)}`);
}
for (const st of Object.values(stores)) { st.s.close(); rmSync(st.path, { recursive: true, force: true }); }
