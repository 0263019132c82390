/**
 * The search page: images chosen or dropped here are decoded on a canvas,
 * preprocessed by the same function as in Node, embedded with
 * onnxruntime-web and searched through `margin serve`'s API; marked results
 * are sent to its feedback endpoint, which ranks with the chosen strategy
 * exactly as `margin search` does. Errors become messages; the page keeps
 * working.
 */

import { DEFAULT_STRATEGY, STRATEGIES } from "../feedback/strategies.js";
import { scaleToUnit } from "../kernels/unit-vector.js";
import { parseModelCard, type ModelCard } from "../model/card.js";
import { WebEncoder } from "../model/session-web.js";
import type { Pixels } from "../model/preprocess.js";
import type { CollectionInfo } from "../serve/api-types.js";
import { mountAdaptPanel } from "./adapt-panel.js";
import { getCollection, getModel, postFeedback, postSearch } from "./api.js";
import { decodeFile } from "./images.js";
import { fromHits, markedItems, renderResults, type Mark, type ResultSet } from "./results.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $<HTMLParagraphElement>("status"),
  drop: $<HTMLElement>("drop"),
  files: $<HTMLInputElement>("files"),
  queries: $<HTMLUListElement>("queries"),
  options: $<HTMLFormElement>("options"),
  limit: $<HTMLInputElement>("limit"),
  label: $<HTMLInputElement>("label"),
  mode: $<HTMLSelectElement>("mode"),
  search: $<HTMLButtonElement>("search"),
  rerank: $<HTMLButtonElement>("rerank"),
  clear: $<HTMLButtonElement>("clear-marks"),
  timings: $<HTMLParagraphElement>("timings"),
  messages: $<HTMLUListElement>("messages"),
  results: $<HTMLOListElement>("results"),
};

/** Images per inference batch. */
const EMBED_BATCH = 64;

interface Query { name: string; url: string; vector: Float32Array }
interface Timings { decodeMs?: number; embedMs?: number; searchMs?: number; rerankMs?: number }

const state = {
  card: undefined as ModelCard | undefined,
  encoder: undefined as WebEncoder | undefined,
  collection: undefined as CollectionInfo | undefined,
  queries: [] as Query[],
  active: -1,
  results: undefined as ResultSet | undefined,
  timings: {} as Timings,
  messages: [] as string[],
  /** Feedback requests in flight, and the number of the latest. */
  busy: 0,
  feedbackSeq: 0,
};

function say(text: string, kind: "error" | "info" = "error"): void {
  state.messages.push(text);
  const li = document.createElement("li");
  li.className = kind;
  li.setAttribute("role", kind === "error" ? "alert" : "status");
  li.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "dismiss";
  close.setAttribute("aria-label", "dismiss this message");
  close.textContent = "×";
  close.addEventListener("click", () => li.remove());
  li.append(close);
  ui.messages.prepend(li);
  while (ui.messages.children.length > 6) ui.messages.lastElementChild?.remove();
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function showStatus(): void {
  const parts: string[] = [];
  if (state.encoder) parts.push(`model ${state.encoder.card.name} on ${state.encoder.backend}${state.encoder.backend === "wasm" ? ` (${state.encoder.threads} thread${state.encoder.threads > 1 ? "s" : ""}${crossOriginIsolated ? "" : ", not cross-origin isolated"})` : ""}`);
  else parts.push("model not loaded");
  if (state.collection) parts.push(`collection "${state.collection.name}": ${state.collection.points} images`);
  ui.status.textContent = parts.join(" · ");
  const ready = !!state.encoder && state.active >= 0;
  ui.search.disabled = !ready;
  ui.rerank.disabled = !state.results || markedItems(state.results).length === 0;
  ui.clear.disabled = !state.results?.items.some((i) => i.mark !== "none");
}

function showTimings(): void {
  const t = state.timings;
  const f = (label: string, v?: number) => (v === undefined ? [] : [`${label} ${v.toFixed(1)} ms`]);
  ui.timings.textContent = [...f("decode", t.decodeMs), ...f("embed", t.embedMs), ...f("search", t.searchMs), ...f("re-rank", t.rerankMs)].join(" · ");
}

/** Load the card and the encoder; each failure is a message, not a dead page. */
async function init(): Promise<void> {
  const collection = getCollection().then((c) => { state.collection = c; }, (e) => say(`collection: ${errorText(e)}`));
  try {
    await loadModel();
  } catch (e) {
    say(`the model failed to load, so images cannot be embedded: ${errorText(e)}. Reload the page once the server is fixed.`);
  }
  await collection;
  showStatus();
}

async function loadModel(): Promise<void> {
  const info = await getModel();
  state.card = parseModelCard(info.card, "/api/model");
  state.encoder = await WebEncoder.load({ card: state.card, model: info.onnx, wasmPaths: new URL("ort/", document.baseURI).href });
}

async function addFiles(files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  const t0 = performance.now();
  const decoded: Array<{ name: string; pixels: Pixels; url: string }> = [];
  for (const f of files) {
    try {
      decoded.push(await decodeFile(f, state.card?.input));
    } catch (e) {
      say(errorText(e));
    }
  }
  if (decoded.length === 0) return;
  if (!state.encoder) {
    say("the model is not loaded, so these images cannot be embedded; reload the page");
    return;
  }
  const t1 = performance.now();
  const dim = state.encoder.dim;
  const vectors = new Float32Array(decoded.length * dim);
  try {
    // batches of EMBED_BATCH keep a big drop from building one huge tensor
    for (let i = 0; i < decoded.length; i += EMBED_BATCH) {
      const part = decoded.slice(i, i + EMBED_BATCH).map((d) => d.pixels);
      vectors.set(await state.encoder.embedPixels(part), i * dim);
    }
  } catch (e) {
    say(`embedding failed: ${errorText(e)}`);
    return;
  }
  const t2 = performance.now();
  state.timings = { decodeMs: t1 - t0, embedMs: t2 - t1 };
  const first = state.queries.length;
  // Qdrant stores Cosine vectors normalized; re-rank the query the same way
  const cosine = state.card?.distance === "Cosine";
  decoded.forEach((d, i) => state.queries.push({ name: d.name, url: d.url, vector: unit(vectors.slice(i * dim, (i + 1) * dim), cosine) }));
  renderQueries();
  await selectQuery(first);
}

function unit(v: Float32Array, normalize: boolean): Float32Array {
  if (normalize) scaleToUnit(v);
  return v;
}

function renderQueries(): void {
  ui.queries.replaceChildren(...state.queries.map((q, i) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "query";
    b.setAttribute("aria-pressed", String(i === state.active));
    b.setAttribute("aria-label", `search with ${q.name}`);
    const img = document.createElement("img");
    img.src = q.url;
    img.alt = "";
    img.width = 56;
    img.height = 56;
    const cap = document.createElement("span");
    cap.textContent = q.name;
    b.append(img, cap);
    b.addEventListener("click", () => void selectQuery(i));
    li.append(b);
    return li;
  }));
}

async function selectQuery(i: number): Promise<void> {
  state.active = i;
  renderQueries();
  showStatus();
  await runSearch();
}

async function runSearch(): Promise<void> {
  const q = state.queries[state.active];
  if (!q) return;
  const limit = Number(ui.limit.value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    say(`Results must be a whole number from 1 to 1000, got "${ui.limit.value}"`);
    return;
  }
  const label = ui.label.value.trim();
  const t0 = performance.now();
  try {
    const r = await postSearch({ vector: Array.from(q.vector), limit, filter: filterOf(label) });
    state.timings.searchMs = performance.now() - t0;
    state.timings.rerankMs = undefined;
    state.results = fromHits(r.results, ui.mode.value);
    if (r.results.length === 0) say(`no results${label ? ` with label "${label}"` : ""}; is the collection ingested?`, "info");
  } catch (e) {
    say(errorText(e));
    return;
  }
  draw();
}

function filterOf(label: string): Record<string, unknown> | undefined {
  return label ? { must: [{ key: "label", match: { value: label } }] } : undefined;
}

/** Rank with the marks and the chosen strategy on the server; the marked results stay on top. */
async function applyFeedback(): Promise<void> {
  const q = state.queries[state.active];
  if (!state.results || !q) return;
  const marked = markedItems(state.results);
  if (marked.length === 0) return runSearch();
  const limit = Number(ui.limit.value);
  const strategy = ui.mode.value;
  const t0 = performance.now();
  const seq = ++state.feedbackSeq;
  state.busy++;
  try {
    const r = await postFeedback({
      vector: Array.from(q.vector), limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : 24, strategy,
      positives: marked.filter((it) => it.mark === "positive").map((it) => it.id),
      negatives: marked.filter((it) => it.mark === "negative").map((it) => it.id),
      filter: filterOf(ui.label.value.trim()),
    });
    // marks clicked in quick succession: only the latest answer is shown
    if (seq !== state.feedbackSeq) return;
    const ids = new Set(marked.map((it) => it.id));
    // a strategy given marks by id leaves them out already; a pool may not, so drop them here once
    const ranked = fromHits(r.results.filter((h) => !ids.has(h.id)), strategy, true);
    state.results = { ...ranked, items: [...marked, ...ranked.items] };
  } catch (e) {
    say(`feedback failed: ${errorText(e)}`);
    return;
  } finally {
    state.busy--;
  }
  state.timings.rerankMs = performance.now() - t0;
  draw();
}

function mark(id: string | number, m: Mark): void {
  const it = state.results?.items.find((x) => x.id === id);
  if (!it) return;
  it.mark = m;
  draw(); // the pressed state shows at once; the new ranking follows
  void applyFeedback();
}

function draw(): void {
  // Qdrant's Euclid and Manhattan scores are distances (lower is closer); Cosine and Dot are similarities
  const storeScore = state.card?.distance === "Euclid" || state.card?.distance === "Manhattan" ? "distance" : "similarity";
  if (state.results) renderResults(ui.results, state.results, { thumbnails: state.collection?.thumbnails ?? false, storeScore }, mark);
  showTimings();
  showStatus();
}

ui.files.addEventListener("change", () => {
  const files = Array.from(ui.files.files ?? []);
  ui.files.value = "";
  void addFiles(files);
});
for (const ev of ["dragenter", "dragover"] as const) {
  ui.drop.addEventListener(ev, (e) => { e.preventDefault(); ui.drop.classList.add("over"); });
}
ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
ui.drop.addEventListener("drop", (e) => {
  e.preventDefault();
  ui.drop.classList.remove("over");
  void addFiles(Array.from(e.dataTransfer?.files ?? []));
});
ui.options.addEventListener("submit", (e) => { e.preventDefault(); void runSearch(); });
ui.mode.replaceChildren(...STRATEGIES.map((s) => {
  const o = document.createElement("option");
  o.value = s;
  o.textContent = s === DEFAULT_STRATEGY ? `${s} (default)` : s;
  o.selected = s === DEFAULT_STRATEGY;
  return o;
}));
ui.rerank.addEventListener("click", () => void applyFeedback());
ui.mode.addEventListener("change", () => { if (state.results?.reranked) void applyFeedback(); });
ui.clear.addEventListener("click", () => {
  state.results?.items.forEach((it) => { it.mark = "none"; });
  void runSearch();
});

// after an adapter is shipped the collection holds adapted vectors: load its model, drop the old queries
const adaptPanel = mountAdaptPanel({
  say,
  onShipped: async () => {
    await loadModel();
    state.collection = await getCollection();
    state.queries = [];
    state.active = -1;
    state.results = undefined;
    renderQueries();
    ui.results.replaceChildren();
    showStatus();
  },
});

/** Test and benchmark hooks: read-only views of the state, and the embedding path. */
const ready = init();
Object.assign(window, {
  __margin: {
    ready,
    state: () => ({
      model: state.card?.name, backend: state.encoder?.backend, threads: state.encoder?.threads, crossOriginIsolated,
      query: state.queries[state.active] ? Array.from(state.queries[state.active]!.vector) : undefined,
      results: state.results?.items.map((i) => ({ id: i.id, score: i.score, storeScore: i.storeScore, label: i.label, mark: i.mark })),
      reranked: state.results?.reranked ?? false,
      strategy: state.results?.reranked ? state.results.mode : undefined,
      busy: state.busy,
      timings: { ...state.timings },
      messages: [...state.messages],
    }),
    embedPixels: (pixels: Pixels[]) => state.encoder!.embedPixels(pixels),
    adapt: () => adaptPanel.state(),
    trainAdapter: adaptPanel.train,
  },
});
