/**
 * The results grid: Qdrant's hits, each markable as a positive or a
 * negative example. Marks go to the server's feedback endpoint, which ranks
 * with the same feedback module as `margin search` (src/feedback/); the
 * marked results stay on top so they can be unmarked.
 */

import type { ApiSearchHit } from "../serve/api-types.js";
import { thumbUrl } from "./api.js";

/** A hit's mark: an example of what is wanted, of what is not, or neither. */
export type Mark = "none" | "positive" | "negative";

/** One shown result. */
export interface ResultItem {
  id: string | number;
  /** The score of the search that found it. */
  storeScore: number;
  /** The shown score: the plain search's, or the feedback strategy's. */
  score: number;
  label?: string;
  path?: string;
  mark: Mark;
}

/** The grid's state: items in the shown order. */
export interface ResultSet {
  items: ResultItem[];
  /** Whether the order comes from a feedback strategy (else the plain search). */
  reranked: boolean;
  /** The strategy that ranked, when reranked. */
  mode: string;
}

/** Turn API hits into unmarked items, in the server's order. */
export function fromHits(hits: ApiSearchHit[], mode: string, reranked = false): ResultSet {
  return {
    mode,
    reranked,
    items: hits.map((h) => ({
      id: h.id,
      storeScore: h.score,
      score: h.score,
      label: typeof h.payload?.label === "string" ? h.payload.label : undefined,
      path: typeof h.payload?.path === "string" ? h.payload.path : undefined,
      mark: "none",
    })),
  };
}

/** The marked items, in their shown order. */
export function markedItems(set: ResultSet | undefined): ResultItem[] {
  return set ? set.items.filter((it) => it.mark !== "none") : [];
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
      b.addEventListener("click", () => onMark(it.id, it.mark === m ? "none" : m));
      marks.append(b);
    }
    li.append(fig, marks);
    list.append(li);
  });
  if (focused) (list.querySelector(`[data-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}
