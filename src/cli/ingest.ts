/** `margin ingest DIR`: embed an image folder into a Qdrant collection. */

import { readFile } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { DEVICES, ingest, IngestStrictError, pointIdFromSha256, sha256Hex, UsageError,
  type Device, type IngestEvent, type IngestSummary, type QdrantStore } from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { openStore } from "./open-store.js";
import { progress } from "./progress.js";
import { DEFAULT_MODEL, modelCard, STORE_HELP } from "./defaults.js";

const help = `margin ingest: embed every image under DIR and store it in a Qdrant collection

Usage: margin ingest DIR [options]

  --collection NAME   the name to search (default: DIR's folder name): an alias of the collection NAME-v<model
                      hash>, created when missing; with another model a new NAME-v<hash> is filled and the
                      alias switches to it when done (searches never see a half-built collection)
  --prune             after switching to a new model's collection, delete the one the alias pointed to
  --model NAME|PATH   a model name (shipped, or in $MARGIN_HOME/models) or a card NAME.json (default ${DEFAULT_MODEL})
  --device D          auto | cuda | cpu (default auto: CUDA when installed, else CPU)
  --force             re-embed images that are stored already
  --strict            exit 1 when any file was skipped (valid images are still stored)
  --similar PATH      afterwards, print the images nearest to this one (a path under DIR)
  --limit N           neighbours for --similar (default 5)
  --batch-size N      images per inference batch and upsert (default 64)
  --workers N         decode worker threads (default: one per core)
  --threads N         onnxruntime CPU threads (default: all cores)
  --streams N         parallel upsert requests (default 2)
  --shards N          shards when creating the collection on a Qdrant cluster
  --replicas N        replicas when creating the collection on a Qdrant cluster
  --max-bytes N       skip files larger than N bytes (suffix K, M or G for KiB, MiB, GiB) before reading them
                      (default: 3 bytes per pixel of the 100-megapixel limit + 1 MiB = 287 MiB)
  --read-timeout S    give up on a file that cannot be opened and read in S seconds (default 30)
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${STORE_HELP})
  --json              print the summary as JSON
  --verbose           print error causes

Store: QDRANT_URL (and QDRANT_API_KEY) select a Qdrant server; without QDRANT_URL
the embedded store is started on --store. Bad files are skipped and listed: only
regular files are read (named pipes, devices, sockets and links to them are
reported as not-a-file), each opened once, size-capped and time-bounded.

Example: margin ingest samples/fashion-mnist --similar coat/t10k-00006.png`;

const command: Command = {
  summary: "embed an image folder into a Qdrant collection",
  help,
  async run(argv) {
    const { values, positionals } = parse("ingest", argv, {
      collection: { type: "string" }, model: { type: "string" }, device: { type: "string" },
      force: { type: "boolean" }, prune: { type: "boolean" }, strict: { type: "boolean" }, similar: { type: "string" }, limit: { type: "string" },
      "batch-size": { type: "string" }, workers: { type: "string" }, threads: { type: "string" }, streams: { type: "string" },
      shards: { type: "string" }, replicas: { type: "string" }, store: { type: "string" },
      "max-bytes": { type: "string" }, "read-timeout": { type: "string" },
    });
    if (positionals.length !== 1) throw new UsageError("margin ingest: expected one DIR, e.g. `margin ingest samples/fashion-mnist`");
    const dir = positionals[0]!;
    const device = (values.device ?? "auto") as Device;
    if (!DEVICES.includes(device)) throw new UsageError(`margin ingest: --device must be one of ${DEVICES.join(", ")}, got "${values.device}"`);
    const collection = (values.collection as string | undefined) ?? (basename(resolve(dir)).replace(/[^A-Za-z0-9_.-]/g, "-") || "images");
    const opt = (flag: string, o: { min?: number; max?: number } = {}) =>
      values[flag] === undefined ? undefined : num("ingest", flag, values[flag] as string, 0, { integer: true, min: 1, ...o });
    const model = modelCard(values.model as string | undefined);
    const json = Boolean(values.json);
    const bar = progressPrinter(process.stderr);
    const opened = await openStore(values.store as string | undefined);
    let summary: IngestSummary | undefined;
    let strictError: IngestStrictError | undefined;
    try {
      try {
        summary = await ingest({
          dir, collection, store: opened.store,
          model,
          device, force: Boolean(values.force), strict: Boolean(values.strict),
          batchSize: opt("batch-size", { max: 4096 }), workers: opt("workers", { max: 256 }), threads: opt("threads", { max: 1024 }),
          upsertStreams: opt("streams", { max: 64 }),
          shards: opt("shards"), replicas: opt("replicas"), prune: Boolean(values.prune),
          maxBytes: values["max-bytes"] === undefined ? undefined : bytesOf(values["max-bytes"] as string),
          readTimeoutMs: values["read-timeout"] === undefined ? undefined
            : Math.round(1000 * num("ingest", "read-timeout", values["read-timeout"] as string, 30, { min: 0.001, max: 86_400 })),
          logger: { warn: (m) => console.error(`warning: ${m}`) },
          onProgress: (e: IngestEvent) => bar(e),
        });
      } catch (e) {
        if (!(e instanceof IngestStrictError)) throw e;
        strictError = e;
        summary = e.summary;
      }
      const similar = values.similar === undefined ? undefined
        : await nearestTo(opened.store, collection, dir, values.similar as string, num("ingest", "limit", values.limit as string | undefined, 5, { integer: true, min: 1, max: 100 }));
      if (json) console.log(JSON.stringify({ ...summary, store: opened.where, ...(similar ? { similar } : {}) }));
      else {
        printSummary(summary, opened.where);
        if (similar) printSimilar(similar);
      }
    } finally {
      await opened.close();
    }
    if (strictError) throw strictError;
    return 0;
  },
};
export default command;

/** "500M" → 524288000: an integer count of bytes, with an optional K / M / G (binary) suffix. */
function bytesOf(v: string): number {
  const m = /^(\d+)\s*([KMG])?(?:i?B)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** (m[2] ? "KMG".indexOf(m[2].toUpperCase()) + 1 : 0) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`margin ingest: --max-bytes must be a positive number of bytes such as 300000000 or 500M, got "${v}"`);
  }
  return n;
}

interface Similar { query: string; label?: unknown; hits: { path: unknown; label: unknown; score: number }[] }

async function nearestTo(store: QdrantStore, collection: string, dir: string, path: string, limit: number): Promise<Similar> {
  const file = isAbsolute(path) ? path : join(dir, path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UsageError(`margin ingest: --similar ${path}: ${file} cannot be read (${(e as NodeJS.ErrnoException).code}); give a path under DIR`);
  }
  const id = pointIdFromSha256(sha256Hex(bytes));
  const [self] = await store.retrieve(collection, [id]);
  if (!self) throw new UsageError(`margin ingest: --similar ${path} is not stored in "${collection}" (it was skipped or is not under DIR)`);
  const hits = await store.nearest({ collection, id, limit });
  return {
    query: String(self.payload?.path ?? path), label: self.payload?.label,
    hits: hits.map((h) => ({ path: h.payload?.path, label: h.payload?.label, score: h.score })),
  };
}

function printSummary(s: IngestSummary, where: string): void {
  const rate = s.seconds > 0 ? ` (${Math.round(s.ingested / s.seconds)} images/s)` : "";
  const into = s.target === s.collection ? `"${s.collection}"` : `"${s.collection}" (collection ${s.target})`;
  console.log(`ingested ${s.ingested} image(s) into ${into} in ${where}` +
    ` with ${s.model} on ${s.device}${s.created ? " (collection created)" : ""}: ${s.seconds.toFixed(1)} s${rate}`);
  if (s.previous) console.log(`"${s.collection}" now points to ${s.target} instead of ${s.previous}${s.pruned.length ? ` (${s.pruned.join(", ")} deleted)` : " (kept; --prune deletes it)"}`);
  console.log(`files ${s.files}, already present ${s.alreadyPresent}, duplicates ${s.duplicates}, skipped ${s.skipped.length}`);
  for (const k of s.skipped) console.log(`  skipped ${k.path}: ${k.reason}: ${k.message}`);
}

function printSimilar(r: Similar): void {
  console.log(`\nnearest to ${r.query}${r.label !== undefined ? ` (label ${r.label})` : ""}:`);
  r.hits.forEach((h, i) => console.log(`  ${i + 1}. ${String(h.path).padEnd(32)} ${String(h.label ?? "").padEnd(12)} score ${h.score.toFixed(4)}`));
}

/** A progress callback writing to `out` (stderr): a bar on a TTY, plain lines otherwise. */
export function progressPrinter(out: NodeJS.WriteStream): (e: IngestEvent) => void {
  const bar = progress(out, "ingest");
  return (e) => {
    if (e.status === "start") {
      const into = e.target === e.collection ? "" : ` as ${e.target}`;
      bar.line(`ingest: collection "${e.collection}"${e.created ? " (created)" : ""}${into}, model ${e.model} on ${e.device}, ${e.workers} decode workers`);
    } else if (e.status === "progress") {
      bar.update(e.done, e.total, "files", `skipped ${e.skipped}`);
    } else if (e.status === "done") bar.end();
  };
}
