/**
 * `margin demo`: the main job end to end on the zero-setup default: ingest
 * the committed Fashion-MNIST samples into the embedded store (or QDRANT_URL)
 * with the shipped model, then search for one of them and re-rank exactly.
 */

import { join } from "node:path";
import { Encoder, ingest, search, UsageError, type IngestEvent } from "../index.js";
import type { Command } from "./main.js";
import { parse } from "./args.js";
import { progressPrinter } from "./ingest.js";
import { openStore } from "./open-store.js";
import { DEFAULT_COLLECTION, DEFAULT_MODEL, modelCard, SAMPLES_DIR, STORE_HELP } from "./defaults.js";

/** The package's own samples, wherever margin is installed. */
const SAMPLES = join(SAMPLES_DIR, DEFAULT_COLLECTION);
const QUERY = "coat/t10k-00006.png";

const help = `margin demo: ingest the sample images and search for one of them

Usage: margin demo [--store PATH] [--json]

Ingests the package's samples/${DEFAULT_COLLECTION} (1,000 Fashion-MNIST test images in
label folders) into the collection "${DEFAULT_COLLECTION}" with the model ${DEFAULT_MODEL}, then prints the images most similar
to ${QUERY}, re-ranked exactly on the kernels. Rerunning is cheap: images
already stored are skipped. Uses QDRANT_URL when set, else the embedded store
in --store (default ${STORE_HELP}).`;

const command: Command = {
  summary: "ingest the samples and run a similarity search",
  help,
  async run(argv) {
    const { values, positionals } = parse("demo", argv, { store: { type: "string" } });
    if (positionals.length) throw new UsageError(`margin demo: unexpected argument "${positionals[0]}"; see margin demo --help`);
    const encoder = await Encoder.load({ model: modelCard(undefined), logger: { warn: (m) => console.error(`warning: ${m}`) } });
    const opened = await openStore(values.store as string | undefined);
    try {
      const bar = progressPrinter(process.stderr);
      const summary = await ingest({
        dir: SAMPLES, collection: DEFAULT_COLLECTION, model: encoder, store: opened.store,
        onProgress: (e: IngestEvent) => bar(e),
      });
      const r = await search({
        store: opened.store, collection: DEFAULT_COLLECTION, encoder, query: { image: join(SAMPLES, QUERY) },
        k: 8, rerank: "exact", oversample: 4,
      });
      if (values.json) {
        console.log(JSON.stringify({ ingest: summary, query: QUERY, ...r }));
        return 0;
      }
      console.log(`ingested ${summary.ingested} new image(s), ${summary.alreadyPresent} already stored, ` +
        `${summary.skipped.length} skipped, into "${DEFAULT_COLLECTION}" in ${opened.where}`);
      console.log(`\nimages most similar to ${QUERY} (score = −d², re-ranked exactly from ${r.candidates} candidates):`);
      console.log(`${"rank".padStart(4)}  ${"score".padStart(8)}  ${"label".padEnd(12)}  path`);
      for (const h of r.hits) console.log(`${String(h.rank).padStart(4)}  ${h.score.toFixed(3).padStart(8)}  ${(h.label ?? "").padEnd(12)}  ${h.path ?? h.id}`);
      const t = r.timings;
      console.log(`\nembed ${t.embedMs.toFixed(1)} ms, search ${t.searchMs.toFixed(1)} ms, re-rank ${t.rerankMs.toFixed(2)} ms`);
    } finally {
      await opened.close();
      await encoder.close();
    }
    return 0;
  },
};
export default command;
