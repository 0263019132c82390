/**
 * The report's pictures: Vega-Lite specs rendered to SVG strings headless
 * (no browser, no canvas), so report.html is a single self-contained file.
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { EvalReport } from "./evaluate.js";

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const LABEL_SCALE = { scheme: "tableau10" } as const;

/** 2-D projection coloured by label (the seed's picture). */
export function projectionChart(r: EvalReport): Promise<string> {
  return toSvg({
    title: `2-D UMAP of ${r.projection.length} embeddings, coloured by label`,
    width: 520, height: 420,
    data: { values: r.projection },
    mark: { type: "circle", size: 12, opacity: 0.7 },
    encoding: {
      x: { field: "x", type: "quantitative", axis: null },
      y: { field: "y", type: "quantitative", axis: null },
      color: { field: "label", type: "nominal", scale: LABEL_SCALE },
    },
  });
}

/** Positive vs negative pair distances. */
export function distanceChart(r: EvalReport): Promise<string> {
  const { edges, positive, negative } = r.distances;
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const tp = total(positive);
  const tn = total(negative);
  const values = edges.flatMap((e, i) => [
    { distance: e, share: positive[i]! / tp, pairs: "same label" },
    { distance: e, share: negative[i]! / tn, pairs: "different label" },
  ]);
  return toSvg({
    title: "Euclidean distances of pairs (each histogram sums to 1)",
    width: 520, height: 220,
    data: { values },
    mark: { type: "area", opacity: 0.55, interpolate: "step-after" },
    encoding: {
      x: { field: "distance", type: "quantitative" },
      y: { field: "share", type: "quantitative", stack: null, title: "share of pairs" },
      color: { field: "pairs", type: "nominal" },
    },
  });
}

/** hit@k and recall@k per mode, through the store. */
export function metricAtKChart(r: EvalReport): Promise<string> {
  const values = Object.entries(r.retrieval.modes).flatMap(([mode, m]) =>
    r.ks.flatMap((k) => [
      { k, value: m!.hitAt[k]!, metric: "hit@k", mode },
      { k, value: m!.recallAt[k]!, metric: "recall@k", mode },
    ]),
  );
  return toSvg({
    title: "Metric@k before and after re-ranking",
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "k", type: "ordinal" },
      y: { field: "value", type: "quantitative", scale: { domain: [0, 1] } },
      color: { field: "mode", type: "nominal" },
      strokeDash: { field: "mode", type: "nominal" },
      column: { field: "metric", type: "nominal", title: null },
    },
    width: 240, height: 200,
  } as TopLevelSpec);
}

/** Precision@1 per label, exact search. */
export function perLabelChart(r: EvalReport): Promise<string> {
  const values = Object.entries(r.embedding.perLabel).map(([label, v]) => ({ label, precision: v.precisionAt1 }));
  return toSvg({
    title: "Precision@1 per label (exact search)",
    width: 520, height: 220,
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "label", type: "nominal", sort: "-y" },
      y: { field: "precision", type: "quantitative", scale: { domain: [0, 1] } },
      color: { field: "label", type: "nominal", scale: LABEL_SCALE, legend: null },
    },
  });
}
