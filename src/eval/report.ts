/** Writing an {@link EvalReport} as report.json, report.md and report.html (SVG plots inline). */

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { distanceChart, metricAtKChart, perLabelChart, projectionChart } from "./charts.js";
import type { EvalReport } from "./evaluate.js";

const f3 = (v: number) => v.toFixed(3);

/** The report's tables as Markdown. */
export function reportMarkdown(r: EvalReport, o: { plotsNote?: boolean } = {}): string {
  const lines: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    lines.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((c) => `| ${c.join(" | ")} |`), "");
  };
  lines.push(`# Evaluation of "${r.collection}"`, "");
  lines.push(`${r.points} labeled points (${r.labels.length} labels, dim ${r.dim})${r.unlabeled ? `, ${r.unlabeled} unlabeled left out` : ""}; ` +
    `${r.queries} leave-one-out queries; ${r.seconds.toFixed(1)} s (${Object.entries(r.phases).map(([p, t]) => `${p} ${t.toFixed(1)} s`).join(", ")}).`, "");
  lines.push("## Retrieval through the store, before and after re-ranking", "");
  const ks = r.ks;
  const modes = Object.entries(r.retrieval.modes);
  table(["mode", "P@1", ...ks.map((k) => `hit@${k}`), "re-rank ms (p50)"], modes.map(([mode, m]) => [
    mode, f3(m!.precisionAt1), ...ks.map((k) => f3(m!.hitAt[k]!)), m!.rerankLatency ? m!.rerankLatency.p50.toFixed(3) : "–",
  ]));
  table(["mode", ...ks.map((k) => `recall@${k}`), ...ks.map((k) => `nDCG@${k}`)], modes.map(([mode, m]) => [
    mode, ...ks.map((k) => f3(m!.recallAt[k]!)), ...ks.map((k) => f3(m!.ndcgAt[k]!)),
  ]));
  const sl = r.retrieval.searchLatency;
  lines.push(`First stage: ${r.retrieval.candidates} candidates per query; ${sl.mean.toFixed(2)} ms per query ` +
    `(p50 ${sl.p50.toFixed(2)}, p95 ${sl.p95.toFixed(2)}, amortized over batched queries).`, "");
  const e = r.embedding;
  lines.push("## The embedding: exact search on the kernels", "");
  table(["P@1", "R-precision", "MAP@R", "mAP", ...ks.map((k) => `hit@${k}`), "queries", "skipped"], [[
    f3(e.precisionAt1), f3(e.rPrecision), f3(e.mapAtR), f3(e.map), ...ks.map((k) => f3(e.hitAt[k]!)), String(e.queries), String(e.skipped),
  ]]);
  lines.push(`Ranking depth ${e.depth} (mAP over it), ${e.seconds.toFixed(1)} s.`, "");
  const s = r.statistics;
  const share = (v: number) => `${((100 * v) / (s.triplets || 1)).toFixed(2)}%`;
  lines.push(`## Triplet statistics (margin ${r.margin}, squared distances)`, "");
  table(["valid triplets", "easy", "semi-hard", "hard", "mean triplet loss", "mean contrastive loss", "mean d(a,p)", "mean d(a,n)"], [[
    s.triplets.toExponential(3), share(s.easy), share(s.semiHard), share(s.hard), f3(s.meanTripletLoss),
    f3(s.meanContrastiveLoss), f3(s.meanPositiveDistance), f3(s.meanNegativeDistance),
  ]]);
  const sign = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(3)}`;
  if (r.steering) {
    const st = r.steering;
    lines.push(`## Steering: feedback strategies side by side`, "");
    lines.push(`A user marks right and wrong results of the first page and searches again (src/feedback/); precision@${st.k} ` +
      `on the query's label, the query and every marked item left out. Differences are paired, against the best Qdrant ` +
      `strategy (steered queries) or plain (queries whose first page was already right), with 95% bootstrap intervals.`, "");
    for (const s of st.settings) {
      lines.push(`### ${s.name} (${s.queries} steered queries, ${s.alreadyRight} already right)`, "");
      table(["strategy", `P@${st.k}`, `− ${s.bestQdrant} [95%]`, `already right P@${st.k}`, "− plain [95%]"], st.strategies.map((x) => {
        const d = s.versusBestQdrant[x]!;
        const a = s.alreadyRightVersusPlain[x];
        return [x, f3(s.precision[x]!), `${sign(d.mean)} [${sign(d.low)}, ${sign(d.high)}]`, f3(s.alreadyRightPrecision[x]!),
          a ? `${sign(a.mean)} [${sign(a.low)}, ${sign(a.high)}]` : ""];
      }));
    }
  }
  if (r.lossy) {
    const l = r.lossy;
    lines.push(`## Lossy first stage (${l.bits}-bit vectors), exact re-rank`, "");
    lines.push(`Recall of the exact top-${l.k} over ${l.queries} queries: the first stage searches a copy of the vectors ` +
      `scalar-quantized to ${l.bits} bits per value; the kernels re-rank its F × ${l.k} candidates with the full-precision vectors.`, "");
    table(["oversample F", "first stage alone", "after exact re-rank"], l.rows.map((x) => [String(x.oversample), f3(x.firstStage), f3(x.reranked)]));
  }
  lines.push("## Precision@1 per label", "");
  table(["label", "queries", "P@1"], Object.entries(e.perLabel).map(([l, v]) => [l, String(v.queries), f3(v.precisionAt1)]));
  lines.push(`## Hardest wrong-label neighbours (${r.hardest.length})`, "");
  lines.push("Each row is an offline-mined triplet: the anchor, its nearest neighbour of another label, and how much closer that is than the nearest same-label point.", "");
  table(["anchor", "label", "neighbour", "its label", "d(a,n)", "d(a,p)"], r.hardest.map((h) => [
    h.path || String(h.id), h.label, h.neighbour.path || String(h.neighbour.id), h.neighbour.label, f3(h.distance), f3(h.positiveDistance),
  ]));
  if (o.plotsNote) lines.push("## Plots", "", "The projection, distance histograms, metric@k curves and per-label precision are in report.html.", "");
  return lines.join("\n");
}

/** Write report.json, report.md and report.html into `dir`; returns their paths. */
export async function writeReport(r: EvalReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const charts = await Promise.all([projectionChart(r), distanceChart(r), metricAtKChart(r), perLabelChart(r)]);
  const md = reportMarkdown(r, { plotsNote: true });
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>margin eval: ${escapeHtml(r.collection)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}</style></head><body>
${markdownTablesToHtml(reportMarkdown(r))}
<h2>Plots</h2>
${charts.map((svg) => `<figure>${svg}</figure>`).join("\n")}
</body></html>
`;
  const paths = ["report.json", "report.md", "report.html"].map((f) => join(dir, f));
  await writeFile(paths[0]!, JSON.stringify(r, null, 2));
  await writeFile(paths[1]!, md);
  await writeFile(paths[2]!, html);
  return paths;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** Enough Markdown for the report's own output: headings, paragraphs, pipe tables. */
function markdownTablesToHtml(md: string): string {
  const out: string[] = [];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("#")) {
      const level = line.match(/^#+/)![0].length;
      out.push(`<h${level}>${escapeHtml(line.slice(level + 1))}</h${level}>`);
    } else if (line.startsWith("|")) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith("|")) {
        if (!/^\|(-+\|)+$/.test(lines[i]!)) rows.push(lines[i]!.slice(2, -2).split(" | "));
        i++;
      }
      i--;
      const [head, ...body] = rows;
      out.push(`<table><tr>${head!.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>` +
        body.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("") + "</table>");
    } else if (line.trim()) out.push(`<p>${escapeHtml(line)}</p>`);
  }
  return out.join("\n");
}
