/** `margin feedback --collection NAME`: list or export the marks recorded on a collection. */

import { writeFile } from "node:fs/promises";
import { listMarks, marksCollection, UsageError } from "../index.js";
import type { Command } from "./main.js";
import { parse } from "./args.js";
import { DEFAULT_STORE_PATH, openStore } from "./open-store.js";

const help = `margin feedback: the marks (right / wrong) recorded on a collection

Usage: margin feedback --collection NAME [options]

  --collection NAME   the collection whose marks to list (required)
  --out FILE          export every record as JSON lines (query vector included)
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${DEFAULT_STORE_PATH})
  --json              print the records as JSON
  --verbose           print error causes

Marks live in the sidecar collection NAME__marks, one point per search session
(its vector is the query's). Ids of points deleted from NAME are left out.
Train on them with: margin adapt --collection NAME`;

const command: Command = {
  summary: "list or export the marks recorded on a collection",
  help,
  async run(argv) {
    const { values, positionals } = parse("feedback", argv, {
      collection: { type: "string" }, out: { type: "string" }, store: { type: "string" },
    });
    if (positionals.length) throw new UsageError(`margin feedback: takes no positional arguments, got "${positionals[0]}"`);
    const collection = values.collection as string | undefined;
    if (!collection) throw new UsageError("margin feedback: --collection NAME is required");
    const opened = await openStore((values.store as string | undefined) ?? DEFAULT_STORE_PATH);
    try {
      const { records, dropped } = await listMarks(opened.store, collection);
      const plain = records.map((r) => ({ ...r, queryVector: Array.from(r.queryVector) }));
      if (values.out) await writeFile(values.out as string, plain.map((r) => JSON.stringify(r)).join("\n") + (plain.length ? "\n" : ""));
      if (values.json) {
        console.log(JSON.stringify({ collection, marks: marksCollection(collection), records: plain, dropped }));
        return 0;
      }
      console.log(`${records.length} recorded session(s) on "${collection}" in ${opened.where}` +
        `${dropped ? ` (${dropped} mark(s) of deleted points left out)` : ""}`);
      for (const r of records) {
        const q = r.queryId === null ? "vector" : String(r.queryId);
        console.log(`${r.time}  query ${q}  right ${r.right.length} [${r.right.join(", ")}]  wrong ${r.wrong.length} [${r.wrong.join(", ")}]  ${r.model}`);
      }
      if (values.out) console.log(`exported ${records.length} record(s) to ${values.out}`);
    } finally {
      await opened.close();
    }
    return 0;
  },
};
export default command;
