// node bench/store-compare.js <old dist> <new dist>: the embedded store of two builds (e.g. main's dist and this
// checkout's), in one process: in-process EmbeddedStore.query, 100,000 x 64 Euclid top-10,
// unfiltered and filtered (half the points by payload), the two interleaved in rounds; medians, ratios new/old.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const [oldDir, newDir] = process.argv.slice(2);
const N = 100_000, DIM = 64, QN = 16, ROUNDS = 7;
let seed = 12345;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const vecs = new Float32Array(N * DIM).map(() => rnd());
const qs = Array.from({ length: QN }, () => Array.from({ length: DIM }, () => rnd()));
const ids = Array.from({ length: N }, (_, i) => i);
const payloads = ids.map((i) => ({ g: i % 2 }));
async function open(dir) {
  const { EmbeddedStore } = await import(join(dir, "store/embedded-store.js"));
  const path = mkdtempSync(join(tmpdir(), "margin-cmp-"));
  const s = await EmbeddedStore.open({ path });
  await s.createCollection("c", DIM, "Euclid");
  for (let o = 0; o < N; o += 10000) await s.upsertPoints("c", { ids: ids.slice(o, o + 10000), vectors: vecs.subarray(o * DIM, (o + 10000) * DIM), payloads: payloads.slice(o, o + 10000), wait: false });
  return { s, path };
}
const stores = { old: await open(oldDir), new: await open(newDir) };
// same answers
for (const q of qs.slice(0, 4)) {
  const a = stores.old.s.query("c", { query: q, limit: 10 }).map((p) => p.id).join();
  const b = stores.new.s.query("c", { query: q, limit: 10 }).map((p) => p.id).join();
  if (a !== b) throw new Error("answers differ");
}
function time(st, filtered) {
  const t0 = process.hrtime.bigint();
  for (const q of qs) st.s.query("c", filtered ? { query: q, limit: 10, filter: { must: [{ key: "g", match: { value: 1 } }] } } : { query: q, limit: 10 });
  return Number(process.hrtime.bigint() - t0) / 1e6 / QN;
}
const res = { plain: { old: [], new: [] }, filtered: { old: [], new: [] } };
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of ["plain", "filtered"]) {
    const order = r % 2 ? ["old", "new"] : ["new", "old"];
    for (const w of order) res[kind][w].push(time(stores[w], kind === "filtered"));
  }
}
const med = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
for (const kind of ["plain", "filtered"]) {
  const ratios = res[kind].new.map((x, i) => x / res[kind].old[i]);
  console.log(`${kind}: old ${med(res[kind].old).toFixed(2)} ms/query, new ${med(res[kind].new).toFixed(2)} ms/query, median per-round ratio new/old ${med(ratios).toFixed(3)}`);
}
for (const st of Object.values(stores)) { st.s.close(); rmSync(st.path, { recursive: true, force: true }); }
