/**
 * The results grid: Qdrant's hits with their stored vectors, each markable
 * as a positive or a negative example, re-ranked live on the kernels wasm
 * (the same module, the same rerank() and topK() as Node).
 */

import type { Kernels, RerankMode } from "../kernels/index.js";
import type { ApiSearchHit } from "../serve/api-types.js";
import { thumbUrl } from "./api.js";

/** A hit's mark: an example of what is wanted, of what is not, or neither. */
export type Mark = "none" | "positive" | "negative";

/** One shown result. */
export interface ResultItem {
  id: string | number;
  /** Qdrant's score. */
  storeScore: number;
  /** The shown score: Qdrant's, or the re-rank score once re-ranked. */
  score: number;
  label?: string;
  path?: string;
  vector?: Float32Array;
  mark: Mark;
}

/** The grid's state: items in the shown order. */
export interface ResultSet {
  items: ResultItem[];
  /** Whether the order comes from the kernels (else Qdrant's). */
  reranked: boolean;
  mode: RerankMode;
}

/** Turn API hits into items, in Qdrant's order. */
export function fromHits(hits: ApiSearchHit[], mode: RerankMode): ResultSet {
  return {
    mode,
    reranked: false,
    items: hits.map((h) => ({
      id: h.id,
      storeScore: h.score,
      score: h.score,
      label: typeof h.payload?.label === "string" ? h.payload.label : undefined,
      path: typeof h.payload?.path === "string" ? h.payload.path : undefined,
      vector: h.vector ? Float32Array.from(h.vector) : undefined,
      mark: "none",
    })),
  };
}

/**
 * Re-score every item with the kernels from the query, the marked positives
 * and negatives, and order by score (kernels topK, highest first).
 * @returns a new set; items without vectors keep their relative order at the end.
 */
export function rerank(k: Kernels, set: ResultSet, query: Float32Array, dim: number, margin: number): ResultSet {
  const withVec = set.items.filter((it) => it.vector);
  const rest = set.items.filter((it) => !it.vector);
  if (withVec.length === 0) return set;
  const pack = (items: ResultItem[]) => {
    const out = new Float32Array(items.length * dim);
    items.forEach((it, i) => out.set(it.vector!, i * dim));
    return out;
  };
  const pos = withVec.filter((it) => it.mark === "positive");
  const neg = withVec.filter((it) => it.mark === "negative");
  const scores = k.rerank({
    mode: set.mode, query, candidates: pack(withVec), dim,
    positives: pos.length ? pack(pos) : undefined, negatives: neg.length ? pack(neg) : undefined,
    margin: set.mode === "contrastive" ? margin : undefined,
  });
  const top = k.topK({ scores, k: withVec.length, largest: true });
  const items = Array.from(top.indices, (i, r) => ({ ...withVec[i]!, score: top.values[r]! }));
  return { ...set, reranked: true, items: [...items, ...rest] };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));

/**
 * Draw the grid into `list` (an <ol>); `onMark` runs when a mark button is pressed.
 * `o.storeScore` names the store's score ("distance" or "similarity").
 * Buttons keep focus across redraws by their data-key.
 */
export function renderResults(
  list: HTMLOListElement, set: ResultSet, o: { thumbnails: boolean; storeScore: string }, onMark: (id: string | number, mark: Mark) => void,
): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
  list.replaceChildren();
  set.items.forEach((it, rank) => {
    const li = document.createElement("li");
    li.className = `result mark-${it.mark}`;
    li.dataset.id = String(it.id);
    const name = it.label ?? it.path ?? String(it.id);
    const fig = document.createElement("figure");
    if (o.thumbnails) {
      const img = document.createElement("img");
      img.src = thumbUrl(it.id);
      img.alt = `${name}${it.path ? ` (${it.path})` : ""}`;
      img.loading = "lazy";
      img.width = 96;
      img.height = 96;
      fig.append(img);
    }
    const cap = document.createElement("figcaption");
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = `${rank + 1}. ${name}`;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = set.reranked ? `${set.mode} ${fmt(it.score)}` : `${o.storeScore} ${fmt(it.score)}`;
    score.title = `store ${o.storeScore} ${it.storeScore}`;
    cap.append(label, score);
    fig.append(cap);
    const marks = document.createElement("div");
    marks.className = "marks";
    marks.setAttribute("role", "group");
    marks.setAttribute("aria-label", `mark result ${rank + 1}, ${name}`);
    for (const m of ["positive", "negative"] as const) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `mark ${m}`;
      b.dataset.key = `${m}:${it.id}`;
      b.dataset.mark = m;
      b.textContent = m === "positive" ? "+ like this" : "− not this";
      b.setAttribute("aria-pressed", String(it.mark === m));
      b.disabled = !it.vector;
      b.addEventListener("click", () => onMark(it.id, it.mark === m ? "none" : m));
      marks.append(b);
    }
    li.append(fig, marks);
    list.append(li);
  });
  if (focused) (list.querySelector(`[data-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}
