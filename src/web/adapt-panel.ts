/**
 * "Improve for everyone": train an adapter in this browser on every mark
 * recorded on the collection (GET /api/marks: the page's own marks are
 * recorded there as they are given), in a worker on the same wasm kernels
 * as `margin adapt`; show before / after on the marked queries and the
 * gate's verdict on held-out sessions; when the gate ships it, upload it
 * (POST /api/adapter), follow the server's progress as it checks the gate
 * itself, re-embeds and switches the collection, then load the adapted model.
 */

import type { AdapterProgressLine, ApiErrorBody, AdapterUpload, MarksResponse } from "../serve/api-types.js";
import type { TrainMessage, TrainRequest } from "./adapt-worker.js";

/** The panel's phases. */
export type AdaptPhase = "idle" | "fetching" | "training" | "uploading" | "shipped" | "refused" | "error";

/** What the panel shows, also read by the tests through `__margin.adapt()`. */
export interface AdaptPanelState {
  phase: AdaptPhase;
  /** The adapter trained in this page. */
  trained?: { kind: string; dim: number; hidden: number; params: number[]; seed: number };
  marked?: { sessions: number; before: number; after: number };
  gate?: { ship: boolean; reason: string; before: number; after: number; sessions: number };
  /** Milliseconds spent training (worker start to result). */
  trainMs?: number;
  /** The server's last progress line. */
  server?: AdapterProgressLine;
  message?: string;
}

/** What the panel needs from the page. */
export interface AdaptPanelHooks {
  say(text: string, kind?: "error" | "info"): void;
  /** The server now serves `model`: load it. */
  onShipped(model: string): Promise<void>;
}

/** The split, initialisation and batch-order seed: `margin adapt`'s default. */
export const PAGE_SEED = 1;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Wire the panel's button; returns a read-only view of its state, and the training step alone (for bench/browser.js). */
export function mountAdaptPanel(hooks: AdaptPanelHooks): {
  state(): AdaptPanelState;
  train(marks: MarksResponse): Promise<{ ms: number; kind: string; params: number[] } | undefined>;
} {
  const ui = {
    button: $<HTMLButtonElement>("improve"),
    progress: $<HTMLProgressElement>("adapt-progress"),
    status: $<HTMLParagraphElement>("adapt-status"),
    result: $<HTMLDListElement>("adapt-result"),
  };
  let state: AdaptPanelState = { phase: "idle" };
  const show = (text: string, done?: number, total?: number) => {
    ui.status.textContent = text;
    ui.progress.hidden = total === undefined;
    if (total !== undefined) {
      ui.progress.max = Math.max(1, total);
      ui.progress.value = done ?? 0;
    }
  };
  const fail = (text: string) => {
    state = { ...state, phase: "error", message: text };
    show("");
    hooks.say(text);
  };

  async function run(): Promise<void> {
    ui.button.disabled = true;
    state = { phase: "fetching" };
    ui.result.replaceChildren();
    try {
      show("reading the recorded marks…");
      const res = await fetch("/api/marks");
      const json = (await res.json()) as MarksResponse | ApiErrorBody;
      if (!res.ok) return fail(`improve for everyone: ${(json as ApiErrorBody).error?.message ?? `HTTP ${res.status}`}`);
      const marks = json as MarksResponse;
      state = { ...state, phase: "training" };
      const trained = await train(marks);
      if (!trained) return;
      const { kind, dim, hidden, params, seed } = trained.upload;
      state = { ...state, trained: { kind, dim, hidden, params, seed }, marked: trained.marked, gate: trained.gate, trainMs: trained.ms };
      showResult(trained.marked, trained.gate);
      if (!trained.gate.ship) {
        state = { ...state, phase: "refused", message: trained.gate.reason };
        show(`the adapter is not uploaded: ${trained.gate.reason}`);
        return;
      }
      state = { ...state, phase: "uploading" };
      await upload(trained.upload);
    } catch (e) {
      fail(`improve for everyone failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      ui.button.disabled = false;
    }
  }

  function train(marks: MarksResponse) {
    return new Promise<{ upload: AdapterUpload; marked: NonNullable<AdaptPanelState["marked"]>; gate: NonNullable<AdaptPanelState["gate"]>; ms: number } | undefined>((done) => {
      const t0 = performance.now();
      const worker = new Worker(new URL("./adapt-worker.ts", import.meta.url), { type: "module" });
      const epochs = { n: 0 };
      show(`training on ${marks.sessions.length} recorded session(s) in this browser…`, 0, 1);
      worker.onmessage = (e: MessageEvent<TrainMessage>) => {
        const m = e.data;
        if (m.type === "progress") {
          const ev = m.event;
          if (ev.status === "epoch") show(`training the ${ev.kind} adapter: epoch ${ev.epoch} of ${ev.epochs}, loss ${ev.loss.toFixed(4)}`, ++epochs.n, ev.epochs * 3);
          else if (ev.status === "split") show(`${ev.train} training, ${ev.validation} validation, ${ev.heldOut} held-out sessions`, 0, 1);
          return;
        }
        worker.terminate();
        if (m.type === "error") {
          fail(`training failed: ${m.message}`);
          done(undefined);
          return;
        }
        const upload: AdapterUpload = {
          kind: m.kind, dim: m.dim, hidden: m.hidden, params: Array.from(m.params), seed: PAGE_SEED,
          training: { ...m.training, validation: m.validation, trainedIn: "page" } as unknown as Record<string, unknown>,
        };
        done({ upload, marked: m.marked, gate: { ship: m.gate.ship, reason: m.gate.reason, before: m.gate.before, after: m.gate.after, sessions: m.gate.sessions }, ms: performance.now() - t0 });
      };
      worker.onerror = (e) => {
        worker.terminate();
        fail(`training failed: ${e.message}`);
        done(undefined);
      };
      const req: TrainRequest = { wasmUrl: new URL("/build/margin.wasm", location.href).href, marks, seed: PAGE_SEED };
      worker.postMessage(req);
    });
  }

  function showResult(marked: NonNullable<AdaptPanelState["marked"]>, gate: NonNullable<AdaptPanelState["gate"]>): void {
    const row = (term: string, text: string) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = text;
      return [dt, dd];
    };
    ui.result.replaceChildren(
      ...row(`marked queries (${marked.sessions})`, `right ranked above wrong: ${marked.before.toFixed(3)} → ${marked.after.toFixed(3)} (AUC)`),
      ...row(`held-out sessions (${gate.sessions})`, `${gate.before.toFixed(3)} → ${gate.after.toFixed(3)}`),
      ...row("gate", gate.reason),
    );
  }

  async function upload(body: AdapterUpload): Promise<void> {
    show("uploading the adapter; the server checks it on held-out sessions…", 0, 1);
    const res = await fetch("/api/adapter", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok || !res.body) {
      const err = (await res.json().catch(() => ({}))) as Partial<ApiErrorBody>;
      return fail(`the upload was refused: ${err.error?.message ?? `HTTP ${res.status}`}`);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let last: AdapterProgressLine | undefined;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        last = JSON.parse(buffered.slice(0, nl)) as AdapterProgressLine;
        buffered = buffered.slice(nl + 1);
        state = { ...state, server: last };
        if (last.status === "points") show(`re-embedding the collection: ${last.done} of ${last.total} points`, last.done, last.total);
        else if (last.status === "gate") show(`the server's gate: ${last.reason}`, 0, 1);
      }
    }
    if (last?.status === "done") {
      await hooks.onShipped(last.model);
      state = { ...state, phase: "shipped" };
      show(`shipped: "${last.collection}" now uses ${last.model} (${last.points} points re-embedded in ${last.seconds.toFixed(2)} s); drop an image to search with it`);
      hooks.say(`the collection now uses the adapted model ${last.model}`, "info");
    } else if (last?.status === "refused") {
      state = { ...state, phase: "refused", message: last.reason };
      show(`the server did not ship the adapter: ${last.reason}`);
    } else {
      fail(`the upload failed: ${last?.status === "error" ? last.error.message : "the server closed the answer early"}`);
    }
  }

  ui.button.addEventListener("click", () => void run());
  ui.button.disabled = false;
  return {
    state: () => structuredClone(state),
    train: async (marks) => {
      const t = await train(marks);
      return t && { ms: t.ms, kind: t.upload.kind, params: t.upload.params };
    },
  };
}
