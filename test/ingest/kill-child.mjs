// A child for the crash test: ingests DIR into the store at QDRANT_URL and
// SIGKILLs itself as soon as AFTER images are acknowledged, with more
// batches decoded, embedded or in flight to the store.
import { ingest, QdrantStore } from "../../dist/index.js";

const [dir, collection, after] = process.argv.slice(2);
const store = await QdrantStore.connect({ url: process.env.QDRANT_URL });
await ingest({
  dir, collection, store, model: "models/fashion-mnist-triplet-64.json", device: "cpu", threads: 1,
  batchSize: 16, workers: 2, upsertStreams: 2,
  onProgress: (e) => {
    if (e.status === "progress" && e.ingested >= Number(after)) {
      process.stdout.write(`killing at ${e.ingested}\n`);
      process.kill(process.pid, "SIGKILL");
    }
  },
});
process.stdout.write("finished without being killed\n");
