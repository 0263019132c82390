// One ingest in a child process, so the test can read its peak RSS (the store
// runs in the test's process). argv[2]: JSON { dir, url, collection, workers? }.
// Prints one JSON line: { summary, maxRssMB }.
import { ingest, QdrantStore } from "../../dist/index.js";

const o = JSON.parse(process.argv[2]);
const store = await QdrantStore.connect({ url: o.url });
const summary = await ingest({
  dir: o.dir, collection: o.collection, store, model: "models/fashion-mnist-triplet-64.json", device: "cpu",
  workers: o.workers ?? 2, ...(o.readTimeoutMs ? { readTimeoutMs: o.readTimeoutMs } : {}),
});
console.log(JSON.stringify({ summary, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
