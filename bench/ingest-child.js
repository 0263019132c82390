// One end-to-end ingest in its own process, so its peak RSS is the ingest's
// alone (the embedded store runs in the parent). Prints one JSON line:
// { ingested, seconds, cpuSeconds, skipped, stageSeconds, maxRssMB }. argv[2]: JSON
// { dir, collection, url, model, batchSize, workers, threads?, lib? }; `lib` is
// the path of another build's dist/index.js (a before/after comparison in one run).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const o = JSON.parse(process.argv[2]);
const { Encoder, ingest, QdrantStore } = await import(o.lib ? pathToFileURL(o.lib).href : "../dist/index.js");
const encoder = await Encoder.load({ model: o.model, device: "cpu", ...(o.threads ? { threads: o.threads } : {}) });
const store = await QdrantStore.connect({ url: o.url });
const cpu0 = process.cpuUsage();
const s = await ingest({ dir: o.dir, collection: o.collection, model: encoder, store, batchSize: o.batchSize, workers: o.workers });
const cpu = process.cpuUsage(cpu0);
await encoder.close();
console.log(JSON.stringify({ ingested: s.ingested, seconds: s.seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, skipped: s.skipped, stageSeconds: s.stageSeconds, maxRssMB: peakRssMB() }));

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
