/**
 * What the embedding looks like: distance distributions, the hardest
 * wrong-label neighbours (offline-mined triplets to feed back into training)
 * and a 2-D projection for the picture.
 */

import { UMAP } from "umap-js";
import { mulberry32 } from "../data/random.js";
import type { Kernels } from "../kernels/index.js";
import type { PointId } from "../store/qdrant.js";
import type { LabeledSet } from "./collection.js";
import { gatherRows, sampleRows } from "./collection.js";
import type { ExactRanking } from "../metrics/exact.js";

export interface Histogram {
  /** Left edges of the bins; the last bin ends at `max`. */
  edges: number[];
  max: number;
  positive: number[];
  negative: number[];
}

/** Histograms of Euclidean distances of same-label and different-label pairs over a sample of `sample` points. */
export function distanceHistogram(k: Kernels, set: LabeledSet, o: { sample?: number; bins?: number; seed?: number } = {}): Histogram {
  const rows = sampleRows(set.labels.length, o.sample ?? 2000, o.seed ?? 1);
  const dim = set.dim;
  const x = gatherRows(set.vectors, dim, rows);
  const d2 = k.pairwise({ vectors: x, dim });
  const n = rows.length;
  let max = 0;
  for (const v of d2) max = Math.max(max, v);
  max = Math.sqrt(max) || 1;
  const bins = o.bins ?? 40;
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const b = Math.min(bins - 1, Math.floor((Math.sqrt(d2[i * n + j]!) / max) * bins));
      (set.labels[rows[i]!] === set.labels[rows[j]!] ? positive : negative)[b]!++;
    }
  }
  return { edges: Array.from({ length: bins }, (_, i) => (i * max) / bins), max, positive, negative };
}

export interface HardNegative {
  id: PointId;
  path: string;
  label: string;
  /** The wrong-label point ranked above every same-label point. */
  neighbour: { id: PointId; path: string; label: string };
  /** Euclidean distance to that neighbour. */
  distance: number;
  /** Euclidean distance to the nearest same-label point. */
  positiveDistance: number;
}

/**
 * Points whose nearest neighbour has another label and sits closer than
 * every same-label point, hardest first (largest d(a,p) − d(a,n)). These are
 * the triplets (a, p, n) offline mining would pick.
 */
export function hardestNegatives(set: LabeledSet, rankings: ExactRanking[], limit = 50): HardNegative[] {
  const out: Array<HardNegative & { gap: number }> = [];
  for (const r of rankings) {
    const first = r.indices[0];
    if (first === undefined || r.ranked[0] === r.label) continue;
    const p = Array.prototype.findIndex.call(r.ranked, (l: number) => l === r.label);
    if (p < 0) continue; // no positive within the ranking's depth
    const distance = Math.sqrt(r.scores[0]!);
    const positiveDistance = Math.sqrt(r.scores[p]!);
    const point = (i: number) => ({ id: set.ids[i]!, path: set.paths[i]!, label: set.labelNames[set.labels[i]!]! });
    out.push({ ...point(r.query), neighbour: point(first), distance, positiveDistance, gap: positiveDistance - distance });
  }
  out.sort((a, b) => b.gap - a.gap);
  return out.slice(0, limit).map(({ gap: _gap, ...h }) => h);
}

/** A 2-D UMAP projection of up to `sample` points (seeded). */
export function projection(set: LabeledSet, o: { sample?: number; seed?: number; epochs?: number } = {}) {
  const rows = sampleRows(set.labels.length, o.sample ?? 2000, o.seed ?? 1);
  const dim = set.dim;
  const data = Array.from(rows, (r) => Array.from(set.vectors.subarray(r * dim, (r + 1) * dim)));
  const umap = new UMAP({
    nComponents: 2, nNeighbors: Math.min(15, Math.max(2, rows.length - 1)), minDist: 0.1,
    nEpochs: o.epochs ?? 120, random: mulberry32(o.seed ?? 1),
  });
  const xy = rows.length > 2 ? umap.fit(data) : data.map(() => [0, 0]);
  return Array.from(rows, (r, i) => ({ x: xy[i]![0]!, y: xy[i]![1]!, label: set.labelNames[set.labels[r]!]! }));
}
