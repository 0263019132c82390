/** `margin eval`: leave-one-out evaluation of a labeled collection, with a report. */

import { evaluate, RERANK, STRATEGIES, UsageError, writeReport, type EvalEvent, type Rerank, type Strategy } from "../index.js";
import type { Command } from "./main.js";
import { num, parse } from "./args.js";
import { openStore } from "./open-store.js";
import { progress } from "./progress.js";
import { DEFAULT_COLLECTION, DEFAULT_REPORT_DIR, STORE_HELP } from "./defaults.js";

const help = `margin eval: how well a labeled collection retrieves itself, before and after re-ranking

Usage: margin eval [options]

  --collection NAME   collection with labeled points (default ${DEFAULT_COLLECTION})
  --queries N|all     leave-one-out queries, sampled with a fixed seed (default 1000)
  -k LIST             cut-offs for hit@k, recall@k, nDCG@k (default 1,5,10,20)
  --rerank LIST       modes to compare: none,exact,triplet,contrastive (default none,exact)
  --oversample F      candidates per query = F × max k when re-ranking (default 4)
  --margin M          triplet margin for the statistics and contrastive scores (default 0.5)
  --steer             steering experiment: every feedback strategy for 1+1 marks, 3+3 marks and two
                      rounds of 3+3, paired differences with 95% bootstrap intervals (docs/feedback.md)
  --steer-queries N|all  queries in it, drawn outside the tuning split (default 1000)
  --strategies LIST   strategies compared (default all: ${STRATEGIES.join(",")})
  --lossy-bits B      also measure a B-bit quantized first stage re-ranked exactly (default 0 = off)
  --out DIR           write report.json, report.md, report.html there (default ${DEFAULT_REPORT_DIR}/)
  --seed N            sampling seed (default 1)
  --store PATH        embedded store folder when QDRANT_URL is unset (default ${STORE_HELP})
  --json              print the report as JSON on stdout
  --verbose           print error causes

Metrics: precision@1, hit@k, recall@k, nDCG@k through the store (the store's
order, then each re-rank mode on the kernels); R-precision, MAP@R and mAP by
exact search on the kernels; queries whose label has no other point are left
out and counted.

Example: margin eval --queries all --rerank none,exact --out report`;

const command: Command = {
  summary: "evaluate retrieval and re-ranking on a labeled collection",
  help,
  async run(argv) {
    const { values, positionals } = parse("eval", argv, {
      collection: { type: "string" }, queries: { type: "string" }, k: { type: "string", short: "k" },
      rerank: { type: "string" }, oversample: { type: "string" }, margin: { type: "string" }, steer: { type: "boolean" }, strategies: { type: "string" },
      "lossy-bits": { type: "string" }, "steer-queries": { type: "string" },
      out: { type: "string" }, seed: { type: "string" }, store: { type: "string" },
    });
    if (positionals.length) throw new UsageError(`margin eval: unexpected argument "${positionals[0]}"; see margin eval --help`);
    const q = values.queries as string | undefined;
    const queries = q === undefined ? 1000 : q === "all" ? "all" : num("eval", "queries", q, 0, { integer: true, min: 1 });
    const ks = ((values.k as string | undefined) ?? "1,5,10,20").split(",").map((s) => num("eval", "k", s.trim(), 0, { integer: true, min: 1, max: 1000 }));
    const rerank = ((values.rerank as string | undefined) ?? "none,exact").split(",").map((s) => s.trim()) as Rerank[];
    for (const m of rerank) if (!RERANK.includes(m)) throw new UsageError(`margin eval: --rerank takes ${RERANK.join(", ")}; got "${m}"`);
    const sq = values["steer-queries"] as string | undefined;
    const steerQueries = sq === undefined ? 1000 : sq === "all" ? "all" : num("eval", "steer-queries", sq, 0, { integer: true, min: 1 });
    const strategies = (values.strategies as string | undefined)?.split(",").map((s) => s.trim()) as Strategy[] | undefined;
    for (const s of strategies ?? []) if (!STRATEGIES.includes(s)) throw new UsageError(`margin eval: --strategies takes ${STRATEGIES.join(", ")}; got "${s}"`);
    const bar = progress(process.stderr, "eval");
    const opened = await openStore(values.store as string | undefined);
    try {
      const report = await evaluate({
        store: opened.store, collection: (values.collection as string | undefined) ?? DEFAULT_COLLECTION,
        queries, ks, rerank,
        oversample: num("eval", "oversample", values.oversample as string | undefined, 4, { min: 1, max: 1000 }),
        margin: num("eval", "margin", values.margin as string | undefined, 0.5, { min: Number.MIN_VALUE }),
        steer: Boolean(values.steer), steerQueries, steerStrategies: strategies,
        lossyBits: num("eval", "lossy-bits", values["lossy-bits"] as string | undefined, 0, { integer: true, min: 0, max: 16 }),
        seed: num("eval", "seed", values.seed as string | undefined, 1, { integer: true, min: 0 }),
        onProgress: (e: EvalEvent) => {
          if (e.status === "loading") bar.update(e.points, undefined, "points loaded");
          else if (e.status === "retrieval") bar.update(e.done, e.total, "queries through the store");
          else if (e.status === "exact") bar.update(e.done, e.total, "exact rankings");
          else if (e.status === "steering") bar.update(e.done, e.total, "steered queries");
          else if (e.status === "lossy") bar.update(e.done, e.total, "lossy first-stage queries");
          else if (e.status === "statistics") bar.line("eval: triplet statistics and distance histograms");
          else if (e.status === "projection") bar.line("eval: 2-D projection");
          else bar.end();
        },
      });
      const paths = await writeReport(report, (values.out as string | undefined) ?? DEFAULT_REPORT_DIR);
      if (values.json) console.log(JSON.stringify(report));
      else {
        const e = report.embedding;
        console.log(`${report.queries} queries on "${report.collection}" (${report.points} points) in ${report.seconds.toFixed(1)} s`);
        for (const [mode, m] of Object.entries(report.retrieval.modes)) {
          console.log(`  ${mode.padEnd(12)} P@1 ${m!.precisionAt1.toFixed(3)}  ` + report.ks.map((k) => `hit@${k} ${m!.hitAt[k]!.toFixed(3)}`).join("  "));
        }
        for (const st of report.steering?.settings ?? []) {
          console.log(`  steering ${st.name}: ${st.queries} steered, ${st.alreadyRight} already right; P@10 vs ${st.bestQdrant}`);
          for (const x of report.steering!.strategies) {
            const d = st.versusBestQdrant[x]!;
            console.log(`    ${x.padEnd(20)} ${st.precision[x]!.toFixed(3)}  ${d.mean >= 0 ? "+" : ""}${d.mean.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}]  already right ${st.alreadyRightPrecision[x]!.toFixed(3)}`);
          }
        }
        console.log(`  exact (full)  P@1 ${e.precisionAt1.toFixed(3)}  R-precision ${e.rPrecision.toFixed(3)}  MAP@R ${e.mapAtR.toFixed(3)}  mAP ${e.map.toFixed(3)}`);
        console.log(`report: ${paths.join(", ")}`);
      }
    } finally {
      await opened.close();
    }
    return 0;
  },
};
export default command;
