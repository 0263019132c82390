// One ingest in a child process, so the test can read its peak RSS (the store
// runs in the test's process). argv[2]: JSON { dir, url, collection, workers? }.
// Prints one JSON line: { summary, maxRssMB }.
import { readFileSync } from "node:fs";
import { ingest, QdrantStore } from "../../dist/index.js";

const o = JSON.parse(process.argv[2]);
const store = await QdrantStore.connect({ url: o.url });
const summary = await ingest({
  dir: o.dir, collection: o.collection, store, model: "models/fashion-mnist-triplet-64.json", device: "cpu",
  workers: o.workers ?? 2, ...(o.readTimeoutMs ? { readTimeoutMs: o.readTimeoutMs } : {}),
});
console.log(JSON.stringify({ summary, maxRssMB: peakRssMB() }));

/**
 * This process's peak RSS in MB: VmHWM, the high-water mark of its own memory
 * since exec (getrusage's maxRSS is not: Linux carries it over from the
 * parent that forked us, so a child of a big process reports the parent's size).
 */
function peakRssMB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}
