/**
 * The page's adapter training, off the main thread: the same `adapt()` as
 * `margin adapt` (src/adapt/adapt.ts) on the same wasm kernels (the
 * server's /build/margin.wasm), on the sessions GET /api/marks handed over.
 * Same sessions, options and seed as Node: the same parameters.
 */

import { adapt, type AdaptResult } from "../adapt/adapt.js";
import { adaptedRows, sessionAucs } from "../adapt/gate.js";
import type { AdaptProgress } from "../adapt/types.js";
import { Kernels } from "../kernels/index.js";
import type { MarksResponse } from "../serve/api-types.js";

/** What the panel sends. */
export interface TrainRequest {
  wasmUrl: string;
  marks: MarksResponse;
  seed: number;
}

/** What the worker answers: progress events, then one result or one error. */
export type TrainMessage =
  | { type: "progress"; event: AdaptProgress }
  | {
    type: "result"; kind: AdaptResult["kind"]; dim: number; hidden: number; params: Float32Array; gate: AdaptResult["gate"];
    validation: AdaptResult["validation"]; training: AdaptResult["training"];
    /** Mean right-over-wrong AUC of every marked session, without and with the adapter. */
    marked: { sessions: number; before: number; after: number };
  }
  | { type: "error"; message: string };

const scope = self as unknown as { onmessage: ((e: MessageEvent<TrainRequest>) => void) | null; postMessage(m: TrainMessage, transfer?: Transferable[]): void };

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

scope.onmessage = (e) => {
  void (async () => {
    try {
      const { marks, seed } = e.data;
      const kernels = await Kernels.load({ wasm: new URL(e.data.wasmUrl) });
      const set = { vectors: Float32Array.from(marks.vectors), dim: marks.dim, sessions: marks.sessions };
      const r = adapt({
        kernels, set, seed, minGain: marks.gate.minGain, minHeldOut: marks.gate.minHeldOut,
        onProgress: (event) => scope.postMessage({ type: "progress", event }),
      });
      const before = mean(sessionAucs(set.vectors, set.dim, set.sessions));
      const after = mean(sessionAucs(adaptedRows(kernels, r.adapter, set, set.sessions), set.dim, set.sessions));
      const params = r.adapter.params;
      scope.postMessage({
        type: "result", kind: r.kind, dim: r.adapter.dim, hidden: r.adapter.hidden, params, gate: r.gate, validation: r.validation,
        training: r.training, marked: { sessions: set.sessions.length, before, after },
      }, [params.buffer]);
    } catch (err) {
      scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
    }
  })();
};
