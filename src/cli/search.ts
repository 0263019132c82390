/** `margin search QUERY`: nearest images of an image, a stored id or a vector, optionally re-ranked. */

import {
  DEFAULT_STRATEGY, Encoder, InputError, parseRef, recordMarks, RERANK, search, STRATEGIES, UsageError, type QuerySpec, type Rerank, type Strategy, type StoreFilter,
} from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { openStore } from "./open-store.js";
import { DEFAULT_COLLECTION, DEFAULT_MODEL, modelCard, STORE_HELP } from "./defaults.js";

const help = `margin search: find the images most similar to a query

Usage: margin search IMAGE [options]
       margin search --id ID [options]
       margin search --vector '[0.1, ...]' [options]

  --collection NAME   collection to search (default ${DEFAULT_COLLECTION})
  -k N                results (default 10)
  --positive REF      another example of what you want: an image path or a point id (repeatable)
  --negative REF      an example of what you do not want (repeatable)
  --no-record         do not record the marks (by default marks given as point ids are kept with the
                      collection, for \`margin feedback\` and \`margin adapt\`: docs/adapt.md)
  --strategy S        how marks rank the results (default ${DEFAULT_STRATEGY}): ${STRATEGIES.join(" | ")}
                      (docs/feedback.md; plain ignores the marks)
  --rerank MODE       without marks: none | exact | triplet | contrastive (default none; docs/architecture.md's scores)
  --oversample F      fetch F×k candidates with vectors and re-rank them on the kernels (default 4)
  --filter JSON       a Qdrant filter, e.g. '{"must":[{"key":"label","match":{"value":"coat"}}]}'
  --label L           shortcut for a filter on the payload's label
  --model NAME|PATH   model for image queries: a name or a card NAME.json (default ${DEFAULT_MODEL})
  --device D          auto | cuda | cpu (default auto)
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${STORE_HELP})
  --json              print the result as JSON
  --verbose           print error causes

Positive and negative examples are marks: the feedback module ranks with them
(Qdrant's strategies in the store, margin's on the kernels over recommend's pool).

Example: margin search samples/fashion-mnist/coat/t10k-00006.png --rerank exact`;

const command: Command = {
  summary: "find similar images (optionally re-ranked on the kernels)",
  help,
  async run(argv) {
    const { values, positionals } = parse("search", argv, {
      collection: { type: "string" }, k: { type: "string", short: "k" }, id: { type: "string" }, vector: { type: "string" },
      positive: { type: "string", multiple: true }, negative: { type: "string", multiple: true },
      rerank: { type: "string" }, strategy: { type: "string" }, oversample: { type: "string" }, filter: { type: "string" }, label: { type: "string" },
      model: { type: "string" }, device: { type: "string" }, store: { type: "string" }, "no-record": { type: "boolean" },
    });
    const query = queryOf(positionals, values.id as string | undefined, values.vector as string | undefined);
    const rerank = (values.rerank ?? "none") as Rerank;
    if (!RERANK.includes(rerank)) throw new UsageError(`margin search: --rerank must be one of ${RERANK.join(", ")}, got "${values.rerank}"`);
    const strategy = values.strategy as Strategy | undefined;
    if (strategy !== undefined && !STRATEGIES.includes(strategy)) throw new UsageError(`margin search: --strategy must be one of ${STRATEGIES.join(", ")}, got "${strategy}"`);
    const k = num("search", "k", values.k as string | undefined, 10, { integer: true, min: 1, max: 10_000 });
    const oversample = num("search", "oversample", values.oversample as string | undefined, rerank === "none" ? 1 : 4, { min: 1, max: 1000 });
    const filter = filterOf(values.filter as string | undefined, values.label as string | undefined);
    const positives = ((values.positive as string[] | undefined) ?? []).map(parseRef);
    const negatives = ((values.negative as string[] | undefined) ?? []).map(parseRef);
    const needsModel = [query, ...positives, ...negatives].some((q) => "image" in q);
    const encoder = needsModel || values.model
      ? await Encoder.load({ model: modelCard(values.model as string | undefined), device: (values.device ?? "auto") as "auto", logger: { warn: (m) => console.error(`warning: ${m}`) } })
      : undefined;
    const opened = await openStore(values.store as string | undefined);
    try {
      const collection = (values.collection as string | undefined) ?? DEFAULT_COLLECTION;
      const r = await search({
        store: opened.store, collection, query, positives, negatives, k, rerank, strategy, oversample, filter, encoder,
        onMarks: values["no-record"] ? undefined : async (m) => {
          // the model that made the collection's vectors: the encoder's when one is loaded, else the marked points'
          const [first] = await opened.store.retrieve(collection, [...m.right, ...m.wrong].slice(0, 1));
          const model = encoder?.card.name ?? String(first?.payload?.model ?? "unknown");
          await recordMarks(opened.store, { collection, query: m.query, right: m.right, wrong: m.wrong, model });
        },
      });
      if (values.json) console.log(JSON.stringify({ ...r, rerank }));
      else if (r.strategy) printTable(r.hits, r.timings, `feedback ${r.strategy}`, r.candidates);
      else printTable(r.hits, r.timings, rerank, r.candidates);
    } finally {
      await opened.close();
      await encoder?.close();
    }
    return 0;
  },
};
export default command;

function queryOf(positionals: string[], id?: string, vector?: string): QuerySpec {
  const given = positionals.length + (id === undefined ? 0 : 1) + (vector === undefined ? 0 : 1);
  if (given !== 1 || positionals.length > 1) {
    throw new UsageError("margin search: give exactly one query: an IMAGE path, --id ID or --vector JSON");
  }
  if (id !== undefined) {
    const q = parseRef(id);
    if (!("id" in q)) throw new UsageError(`margin search: --id must be an unsigned integer or a UUID, got "${id}"`);
    return q;
  }
  if (vector !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(vector);
    } catch {
      throw new UsageError(`margin search: --vector must be a JSON array of numbers, got ${vector.slice(0, 40)}`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) throw new UsageError("margin search: --vector must be a JSON array of numbers");
    return { vector: v as number[] };
  }
  return { image: positionals[0]! };
}

function filterOf(json?: string, label?: string): StoreFilter | undefined {
  let filter: StoreFilter | undefined;
  if (json !== undefined) {
    try {
      filter = JSON.parse(json) as StoreFilter;
    } catch (e) {
      throw new InputError(`margin search: --filter is not valid JSON (${(e as Error).message}); pass a Qdrant filter object`);
    }
    if (!filter || typeof filter !== "object" || Array.isArray(filter)) throw new InputError("margin search: --filter must be a JSON object (a Qdrant filter)");
  }
  if (label !== undefined) {
    const cond = { key: "label", match: { value: label } };
    filter = { ...filter, must: [...((filter?.must as unknown[] | undefined) ?? []), cond] } as StoreFilter;
  }
  return filter;
}

function printTable(hits: Array<{ rank: number; score: number; label?: string; path?: string; id: unknown }>, t: { embedMs: number; searchMs: number; rerankMs: number }, rerank: string, candidates: number): void {
  const rows = hits.map((h) => [String(h.rank), h.score.toFixed(4), h.label ?? "", h.path ?? String(h.id)]);
  const head = ["rank", "score", "label", "path"];
  const w = head.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const rr = rerank === "none" ? "" : `, re-rank (${rerank}, ${candidates} candidates) ${t.rerankMs.toFixed(2)} ms`;
  console.log(`embed ${t.embedMs.toFixed(1)} ms, search ${t.searchMs.toFixed(1)} ms${rr}`);
}
