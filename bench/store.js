// npm run bench:store [-- --json]: exact top-10 search of the embedded store
// (wasm kernels over the collection's resident block) against a C brute-force
// scan compiled here with gcc -O3 -march=native -ffast-math and a plain-JS
// scan, on the same seeded random vectors (64-d, 100,000 and 1,000,000),
// interleaved in rounds (each ratio is the median of per-round ratios); plus upserts through @qdrant/js-client-rest, and the
// memory the store holds per point. Then the quantized scan (int8 codes +
// exact rescoring of the candidates) at 1,000,000 × 64 and × 128 against the
// store's exact f32 scan and the C f32 scan, interleaved the same way, with
// recall@10 against the exact answers. Then `vectors.on_disk: true` at
// 1,000,000 × 64: memory per point (wasm + JS heap; the vectors file sits in
// the OS page cache, warm, and is not counted) and the queries/s of int8 +
// rescore and of the exact scan streamed from the file, against a twin
// collection in memory and the C scan. `--quant` runs only these parts,
// `--on-disk` only the last.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { QdrantClient } from "@qdrant/js-client-rest";
import { EmbeddedStore, startEmbeddedStore } from "../dist/store/embedded-store.js";
import { median, randomF32, report } from "./lib.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const json = process.argv.includes("--json");
const log = (m) => json || console.error(m);

const DIM = 64, N = 1_000_000, QN = 32, K = 10, ROUNDS = 5;
const SIZES = [100_000, 1_000_000];
const ON_DISK_ONLY = process.argv.includes("--on-disk");
const QUANT_ONLY = ON_DISK_ONLY || process.argv.includes("--quant");
/** Candidates per result the quantized scan hands to rescoring (Qdrant's `oversampling`). */
const OVERSAMPLING = [2, 4];
const tmp = mkdtempSync(join(tmpdir(), "margin-bench-store-"));

const C_SOURCE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static float *load(const char *path, long n) {
  float *p = aligned_alloc(64, ((n * 4 + 63) / 64) * 64);
  FILE *f = fopen(path, "rb");
  if (!f || fread(p, 4, n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
  fclose(f);
  return p;
}
/* exact top-K by squared L2, fused with the scan: the loop over DIM vectorizes */
static void topk(const float *restrict x, const float *restrict q, long n, int *idx, float *val) {
  int m = 0;
  for (long i = 0; i < n; i++) {
    const float *r = x + i * DIM;
    float s = 0;
    for (int d = 0; d < DIM; d++) { float t = r[d] - q[d]; s += t * t; }
    if (m < K || s < val[K - 1]) {
      int j = m < K ? m++ : K - 1;
      while (j > 0 && val[j - 1] > s) { val[j] = val[j - 1]; idx[j] = idx[j - 1]; j--; }
      val[j] = s; idx[j] = (int)i;
    }
  }
}
int main(int argc, char **argv) {
  long n = atol(argv[3]); int nq = atoi(argv[4]); double secs = atof(argv[5]);
  float *x = load(argv[1], n * DIM), *q = load(argv[2], (long)nq * DIM);
  int idx[K]; float val[K];
  for (int i = 0; i < 2; i++) topk(x, q + i * DIM, n, idx, val);
  topk(x, q, n, idx, val);
  printf("{\"top\":[");
  for (int i = 0; i < K; i++) printf("%s%d", i ? "," : "", idx[i]);
  long count = 0; double t0 = now(), t;
  do { topk(x, q + (count % nq) * DIM, n, idx, val); count++; t = now(); } while (t - t0 < secs);
  printf("],\"qps\":%f}\n", count / (t - t0));
  return 0;
}
`;

function jsTopK(x, q, n, idx, val) {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const o = i * DIM;
    let s = 0;
    for (let d = 0; d < DIM; d++) {
      const t = x[o + d] - q[d];
      s += t * t;
    }
    if (m < K || s < val[K - 1]) {
      let j = m < K ? m++ : K - 1;
      while (j > 0 && val[j - 1] > s) {
        val[j] = val[j - 1];
        idx[j] = idx[j - 1];
        j--;
      }
      val[j] = s;
      idx[j] = i;
    }
  }
}

/** Queries per second of fn(i) over at least `secs`. */
function qps(fn, secs) {
  fn(0);
  let count = 0;
  const t0 = performance.now();
  let t;
  do {
    fn(count++);
    t = performance.now();
  } while (t - t0 < secs * 1000);
  return count / ((t - t0) / 1000);
}

try {
  log("generating 1,000,000 × 64 seeded vectors...");
  const data = randomF32(N * DIM, 1);
  const queries = randomF32(QN * DIM, 2);
  writeFileSync(join(tmp, "scan.c"), C_SOURCE);
  /** The C scan of `dim`-d data, compiled for that dim: a function (n, secs) → {top, qps}. */
  const cScan = (x, q, dim) => {
    writeFileSync(join(tmp, `x${dim}.bin`), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    writeFileSync(join(tmp, `q${dim}.bin`), new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
    const exe = join(tmp, `scan${dim}`);
    execFileSync("gcc", ["-O3", "-march=native", "-ffast-math", `-DDIM=${dim}`, `-DK=${K}`, "-o", exe, join(tmp, "scan.c")]);
    return (n, secs) => JSON.parse(execFileSync(exe, [join(tmp, `x${dim}.bin`), join(tmp, `q${dim}.bin`), String(n), String(QN), String(secs)], { encoding: "utf8" }));
  };
  const cRun = cScan(data, queries, DIM);

  const rows = [];
  if (!QUANT_ONLY) await exactRows(rows);
  if (!ON_DISK_ONLY) await quantRows(rows);
  await onDiskRows(rows);
  report("store", rows);

  async function exactRows(rows) {
  log("loading the embedded store (in-process, durable log on disk)...");
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const store = await EmbeddedStore.open({ path: join(tmp, "store"), compactBytes: 2 ** 40 });
  const loadRate = {};
  for (const n of SIZES) {
    const name = `n${n}`;
    await store.createCollection(name, DIM, "Euclid");
    const t0 = performance.now();
    for (let s = 0; s < n; s += 50_000) {
      const ids = Array.from({ length: Math.min(50_000, n - s) }, (_, i) => s + i);
      const payloads = ids.map((i) => ({ label: i % 10 }));
      await store.upsertPoints(name, { ids, vectors: data.subarray(s * DIM, (s + ids.length) * DIM), payloads, wait: s + 50_000 >= n });
    }
    loadRate[n] = n / ((performance.now() - t0) / 1000);
  }
  gc();
  const heapPerPoint = (process.memoryUsage().heapUsed - heap0) / (SIZES[0] + SIZES[1]);
  const wasmPerPoint = store.get(`n${N}`).vectorBytes / N;

  for (const n of SIZES) {
    const name = `n${n}`;
    const secs = n >= 1e6 ? 1.0 : 0.5;
    const qs = Array.from({ length: QN }, (_, i) => Array.from(queries.subarray(i * DIM, (i + 1) * DIM)));
    const idx = new Int32Array(K), val = new Float32Array(K);
    const c = [], w = [], j = [], rc = [], rj = [];
    let cTop;
    for (let r = 0; r < ROUNDS; r++) {
      log(`  ${n}: round ${r + 1}/${ROUNDS}`);
      const cr = cRun(n, secs);
      cTop = cr.top;
      c.push(cr.qps);
      w.push(qps((i) => store.query(name, { query: qs[i % QN], limit: K }), secs));
      j.push(qps((i) => jsTopK(data, queries.subarray((i % QN) * DIM, (i % QN + 1) * DIM), n, idx, val), secs));
      // ratios within a round: the three ran back to back, under the same load
      rc.push(w[r] / c[r]);
      rj.push(w[r] / j[r]);
    }
    const got = store.query(name, { query: qs[0], limit: K }).map((p) => p.id);
    if (got.join() !== cTop.join()) throw new Error(`store and C disagree on the top-10 at ${n}: ${got} vs ${cTop}`);
    const label = n.toLocaleString("en-US");
    rows.push({ case: `exact top-10, ${label}×64: store vs C (gcc -O3 -march=native -ffast-math)`, value: median(w), baseline: median(c), unit: "queries/s", ratio: median(rc) });
    rows.push({ case: `exact top-10, ${label}×64: store vs plain-JS scan`, value: median(w), baseline: median(j), unit: "queries/s", ratio: median(rj) });
  }
  const mem = `wasm ${wasmPerPoint.toFixed(0)} + JS heap ${heapPerPoint.toFixed(0)}`;
  rows.push({ case: `memory per point at 1,000,000×64 (${mem}: ids, payloads) vs raw f32`, value: wasmPerPoint + heapPerPoint, baseline: DIM * 4, unit: "bytes/point", ratio: (DIM * 4) / (wasmPerPoint + heapPerPoint) });
  store.close();

  log("HTTP: query and upsert through @qdrant/js-client-rest...");
  const running = await startEmbeddedStore({ path: join(tmp, "http"), port: 0 });
  const client = new QdrantClient({ url: running.url, checkCompatibility: false });
  {
    // queries through the client: the same 100,000 vectors, loaded in-process into the served folder
    await running.store.createCollection("q", DIM, "Euclid");
    const n = SIZES[0];
    await running.store.upsertPoints("q", { ids: Array.from({ length: n }, (_, i) => i), vectors: data.subarray(0, n * DIM) });
    const qs = Array.from({ length: QN }, (_, i) => Array.from(queries.subarray(i * DIM, (i + 1) * DIM)));
    const timeHttp = async (secs) => {
      await client.query("q", { query: qs[0], limit: K });
      let count = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < secs * 1000) await client.query("q", { query: qs[count++ % QN], limit: K });
      return count / ((performance.now() - t0) / 1000);
    };
    const hs = [], ws = [], rs = [];
    for (let r = 0; r < ROUNDS; r++) {
      hs.push(await timeHttp(0.5));
      ws.push(qps((i) => running.store.query("q", { query: qs[i % QN], limit: K }), 0.5));
      rs.push(hs[r] / ws[r]);
    }
    rows.push({ case: "exact top-10, 100,000×64: through the client over HTTP vs in-process", value: median(hs), baseline: median(ws), unit: "queries/s", ratio: median(rs) });
  }
  await client.createCollection("up", { vectors: { size: DIM, distance: "Euclid" } });
  const UP = 20_000, B = 256;
  const t0 = performance.now();
  for (let s = 0; s < UP; s += B) {
    const points = [];
    for (let i = s; i < Math.min(UP, s + B); i++) {
      points.push({ id: i, vector: Array.from(data.subarray(i * DIM, (i + 1) * DIM)), payload: { path: `img/${i}.png`, label: String(i % 10) } });
    }
    await client.upsert("up", { wait: true, points });
  }
  const clientRate = UP / ((performance.now() - t0) / 1000);
  rows.push({ case: `upsert through the client (64-d + payload, ${B} per request, wait=true) vs in-process`, value: clientRate, baseline: loadRate[SIZES[0]], unit: "points/s", ratio: clientRate / loadRate[SIZES[0]] });
  await running.close();
  }

  /** int8 + rescore vs the exact scans, at 1,000,000 × 64 and × 128. */
  async function quantRows(rows) {
    const store = await EmbeddedStore.open({ path: join(tmp, "quant"), compactBytes: 2 ** 40 });
    for (const dim of [64, 128]) {
      log(`quantized scan: loading 1,000,000 × ${dim}...`);
      const x = dim === DIM ? data : randomF32(N * dim, 3);
      const q = dim === DIM ? queries : randomF32(QN * dim, 4);
      const c = dim === DIM ? cRun : cScan(x, q, dim);
      const name = `q${dim}`;
      await store.createCollection(name, dim, "Euclid");
      store.setQuantization(name, { type: "int8", quantile: 0.99 });
      for (let s = 0; s < N; s += 50_000) {
        const ids = Array.from({ length: Math.min(50_000, N - s) }, (_, i) => s + i);
        await store.upsertPoints(name, { ids, vectors: x.subarray(s * dim, (s + ids.length) * dim), wait: s + 50_000 >= N });
      }
      const qs = Array.from({ length: QN }, (_, i) => Array.from(q.subarray(i * dim, (i + 1) * dim)));
      const exact = (i) => store.query(name, { query: qs[i % QN], limit: K, params: { exact: true } });
      const quant = (o) => (i) => store.query(name, { query: qs[i % QN], limit: K, params: { quantization: { rescore: true, oversampling: o } } });
      const t0 = performance.now();
      quant(1)(0); // builds the codes
      const buildSecs = (performance.now() - t0) / 1000;
      // recall@10 against the exact answers of every query
      const truth = qs.map((_, i) => new Set(exact(i).map((p) => p.id)));
      const recall = (o) => qs.reduce((s, _, i) => s + quant(o)(i).filter((p) => truth[i].has(p.id)).length, 0) / (QN * K);
      const cq = [], eq = [], zq = OVERSAMPLING.map(() => []), rc = OVERSAMPLING.map(() => []), re = OVERSAMPLING.map(() => []);
      for (let r = 0; r < ROUNDS; r++) {
        log(`  ${dim}-d: round ${r + 1}/${ROUNDS}`);
        cq.push(c(N, 1.0).qps);
        eq.push(qps(exact, 1.0));
        OVERSAMPLING.forEach((o, j) => {
          zq[j].push(qps(quant(o), 1.0));
          rc[j].push(zq[j][r] / cq[r]);
          re[j].push(zq[j][r] / eq[r]);
        });
      }
      const col = store.get(name);
      OVERSAMPLING.forEach((o, j) => {
        const rec = recall(o).toFixed(3);
        rows.push({ case: `int8 + rescore (oversampling ${o}, recall@10 ${rec}), 1,000,000×${dim}: vs C exact f32 scan`, value: median(zq[j]), baseline: median(cq), unit: "queries/s", ratio: median(rc[j]) });
        rows.push({ case: `int8 + rescore (oversampling ${o}, recall@10 ${rec}), 1,000,000×${dim}: vs the store's exact f32 scan`, value: median(zq[j]), baseline: median(eq), unit: "queries/s", ratio: median(re[j]) });
      });
      const codeBytes = col.quantized.bytes / N;
      rows.push({ case: `int8 codes per point at 1,000,000×${dim} (built in ${buildSecs.toFixed(2)} s) vs f32 vector`, value: codeBytes, baseline: dim * 4, unit: "bytes/point", ratio: codeBytes / (dim * 4) });
      store.deleteCollection(name);
    }
    store.close();
  }

  /**
   * `on_disk: true` at 1,000,000 × 64 against the same collection in memory
   * (both quantized, both with a small payload per point as the exact rows
   * above): memory per point, then int8 + rescore and exact queries/s.
   */
  async function onDiskRows(rows) {
    const store = await EmbeddedStore.open({ path: join(tmp, "disk"), compactBytes: 2 ** 40 });
    const per = {};
    // both created first (in-process: Qdrant's on_disk and quantization_config as options), then loaded
    for (const onDisk of [false, true]) {
      const name = onDisk ? "disk" : "ram";
      await store.createCollection(name, DIM, "Euclid", { onDisk, quantization: { type: "int8", quantile: 0.99 } });
      const made = store.get(name);
      if (made.dense.onDisk !== onDisk || !made.quantized) throw new Error(`collection ${name} is not what was asked: on_disk ${made.dense.onDisk}, quantized ${!!made.quantized}`);
    }
    for (const onDisk of [false, true]) {
      const name = onDisk ? "disk" : "ram";
      log(`on_disk ${onDisk}: loading 1,000,000 × ${DIM}...`);
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      for (let s = 0; s < N; s += 50_000) {
        const ids = Array.from({ length: Math.min(50_000, N - s) }, (_, i) => s + i);
        const payloads = ids.map((i) => ({ label: i % 10 }));
        await store.upsertPoints(name, { ids, vectors: data.subarray(s * DIM, (s + ids.length) * DIM), payloads, wait: s + 50_000 >= N });
      }
      store.query(name, { query: Array.from(queries.subarray(0, DIM)), limit: K, params: { quantization: { rescore: true } } }); // builds the codes
      gc();
      per[name] = { heap: (process.memoryUsage().heapUsed - heap0) / N, wasm: store.get(name).vectorBytes / N };
    }
    const qs = Array.from({ length: QN }, (_, i) => Array.from(queries.subarray(i * DIM, (i + 1) * DIM)));
    const quant = (name) => (i) => store.query(name, { query: qs[i % QN], limit: K, params: { quantization: { rescore: true, oversampling: 4 } } });
    const exact = (name) => (i) => store.query(name, { query: qs[i % QN], limit: K, params: { exact: true } });
    const truth = qs.map((_, i) => new Set(exact("ram")(i).map((p) => p.id)));
    const recall = qs.reduce((s, _, i) => s + quant("disk")(i).filter((p) => truth[i].has(p.id)).length, 0) / (QN * K);
    const t = { c: [], qd: [], qr: [], ed: [], er: [] }, r = { qc: [], qq: [], ee: [] };
    for (let round = 0; round < ROUNDS; round++) {
      log(`  on_disk: round ${round + 1}/${ROUNDS}`);
      t.c.push(cRun(N, 1.0).qps);
      t.qd.push(qps(quant("disk"), 1.0));
      t.qr.push(qps(quant("ram"), 1.0));
      t.ed.push(qps(exact("disk"), 1.0));
      t.er.push(qps(exact("ram"), 1.0));
      r.qc.push(t.qd[round] / t.c[round]);
      r.qq.push(t.qd[round] / t.qr[round]);
      r.ee.push(t.ed[round] / t.er[round]);
    }
    const d = per.disk, m = per.ram;
    rows.push({
      case: `memory per point, on_disk vectors + int8 codes at 1,000,000×64 (wasm ${d.wasm.toFixed(0)} + JS heap ${d.heap.toFixed(0)}; file in the page cache, not counted; target <= 223) vs the same collection in memory (wasm ${m.wasm.toFixed(0)} + JS heap ${m.heap.toFixed(0)})`,
      value: d.wasm + d.heap, baseline: m.wasm + m.heap, unit: "bytes/point", ratio: (d.wasm + d.heap) / (m.wasm + m.heap),
    });
    const label = `on_disk, 1,000,000×64, file warm in the page cache`;
    rows.push({ case: `int8 + rescore (oversampling 4, recall@10 ${recall.toFixed(3)}), ${label}: vs C exact f32 scan`, value: median(t.qd), baseline: median(t.c), unit: "queries/s", ratio: median(r.qc) });
    rows.push({ case: `int8 + rescore (oversampling 4), ${label}: vs the same in memory`, value: median(t.qd), baseline: median(t.qr), unit: "queries/s", ratio: median(r.qq) });
    rows.push({ case: `exact scan streamed from the file (1 MiB blocks), ${label}: vs the exact scan in memory`, value: median(t.ed), baseline: median(t.er), unit: "queries/s", ratio: median(r.ee) });
    store.close();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
