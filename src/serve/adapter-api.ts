/**
 * The page's "improve for everyone": GET /api/marks hands the page the
 * recorded sessions (exactly what `margin adapt` reads), the page trains on
 * the same wasm kernels, and POST /api/adapter takes the trained adapter
 * back. The server does not trust the page's verdict: it splits the same
 * sessions with the uploaded seed and runs the gate on the held-out part
 * itself, then ships with the same library code as `margin adapt` (model +
 * card, re-embed, alias switch) and starts serving the adapted model. The
 * answer streams progress as NDJSON. Serve's exposure rules apply (Host,
 * Origin, JSON only); on top, an upload is refused from any page but the
 * server's own, even an origin allowed by --cors: it changes what everyone
 * searches.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError, MarginError } from "../errors.js";
import { ADAPTER_KINDS, adapterLayout, Kernels, type AdapterKind } from "../kernels/index.js";
import { gateAdapter } from "../adapt/gate.js";
import { shipAdapter } from "../adapt/ship.js";
import { splitSessions } from "../adapt/split.js";
import { markedSessions } from "../adapt/training-set.js";
import type { AdaptResult } from "../adapt/adapt.js";
import type { Adapter } from "../adapt/types.js";
import { loadModelCard } from "../model/session-node.js";
import type { AdapterProgressLine, MarksResponse } from "./api-types.js";
import type { ApiContext } from "./api.js";
import { ApiError, ISOLATION_HEADERS, readJson, sendJson } from "./http.js";

/** What serve needs to accept adapters, resolved by serve(). */
export interface AdaptContext {
  /** Where encoder + adapter models are written. */
  modelsDir: string;
  /** The gate's required mean held-out AUC gain. */
  minGain: number;
  /** The gate's fewest held-out sessions. */
  minHeldOut: number;
  /** An upload in progress (one at a time). */
  busy?: boolean;
}

/** The most parameters an upload may carry (an MLP of dim 1024 with 1024 hidden units). */
const MAX_PARAMS = 2 * 1024 * 1024 + 2048;

/**
 * Check an upload body.
 * @throws ApiError 400 naming the field, the value and what is expected.
 */
export function parseAdapterUpload(body: unknown, dim: number): { adapter: Adapter; seed: number; training?: Record<string, unknown> } {
  const bad = (what: string): never => {
    throw new ApiError(400, "E_INPUT", `POST /api/adapter: ${what}`);
  };
  if (!body || typeof body !== "object" || Array.isArray(body)) bad("the body must be a JSON object { kind, dim, hidden, params, seed, training? }");
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!["kind", "dim", "hidden", "params", "seed", "training"].includes(k)) bad(`unknown field ${JSON.stringify(k)}; expected kind, dim, hidden, params, seed, training`);
  }
  if (!ADAPTER_KINDS.includes(b.kind as AdapterKind)) bad(`kind must be one of ${ADAPTER_KINDS.map((k) => `"${k}"`).join(", ")}, got ${JSON.stringify(b.kind)}`);
  const kind = b.kind as AdapterKind;
  if (b.dim !== dim) bad(`dim must be ${dim}, the size of the collection's vectors, got ${JSON.stringify(b.dim)}`);
  const hidden = b.hidden;
  if (kind === "linear" ? hidden !== 0 : typeof hidden !== "number" || !Number.isInteger(hidden) || hidden < 1 || hidden > 1024) {
    bad(`hidden must be ${kind === "linear" ? "0 for a linear adapter" : "an integer in [1, 1024] for an MLP"}, got ${JSON.stringify(hidden)}`);
  }
  const want = adapterLayout({ kind, dim, hidden: hidden as number }).params;
  const params = b.params;
  if (!Array.isArray(params) || params.length !== want || want > MAX_PARAMS) {
    bad(`params must be an array of ${want} numbers for a ${kind} adapter of dim ${dim}${kind === "mlp" ? ` and hidden ${hidden}` : ""}, got ${Array.isArray(params) ? `${params.length} values` : typeof params}`);
  }
  const flat = new Float32Array(want);
  (params as unknown[]).forEach((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) bad(`params[${i}] must be a finite number, got ${JSON.stringify(x)}`);
    flat[i] = x as number;
  });
  const seed = b.seed;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) bad(`seed must be an integer in [0, 2147483647], got ${JSON.stringify(seed)}`);
  const training = b.training;
  if (training !== undefined && (training === null || typeof training !== "object" || Array.isArray(training))) {
    bad(`training must be an object (the page's training record), got ${JSON.stringify(training)?.slice(0, 80)}`);
  }
  return { adapter: { kind, dim, hidden: hidden as number, params: flat }, seed: seed as number, training: training as Record<string, unknown> | undefined };
}

let kernels: Promise<Kernels> | undefined;
function kernelsOf(ctx: ApiContext): Promise<Kernels> {
  kernels ??= Kernels.load({ wasm: pathToFileURL(ctx.wasmPath) });
  kernels.catch(() => { kernels = undefined; });
  return kernels;
}

/** GET /api/marks. */
export async function getMarks(ctx: ApiContext, res: ServerResponse): Promise<void> {
  const a = adaptContext(ctx);
  let m;
  try {
    m = await markedSessions(ctx.store, ctx.collection, ctx.card.name);
  } catch (e) {
    // no marks yet is a state of the collection, not a bad request
    if (e instanceof InputError) throw new ApiError(409, "E_INPUT", e.message);
    throw e;
  }
  const body: MarksResponse = {
    collection: ctx.collection, model: ctx.card.name, dim: m.set.dim, vectors: Array.from(m.set.vectors),
    sessions: m.set.sessions.map((s) => ({ query: s.query, right: [...s.right], wrong: [...s.wrong] })),
    otherModels: m.otherModels, gate: { minGain: a.minGain, minHeldOut: a.minHeldOut },
  };
  sendJson(res, 200, body);
}

function adaptContext(ctx: ApiContext): AdaptContext {
  if (!ctx.adapt) throw new ApiError(403, "E_INPUT", "adapter uploads are off on this server; start it with margin serve (or serve({ adapt: { modelsDir } }))");
  return ctx.adapt;
}

/** POST /api/adapter: gate, ship, switch, stream progress. */
export async function postAdapter(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const a = adaptContext(ctx);
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${(req.headers.host ?? "").toLowerCase()}`) {
    throw new ApiError(403, "E_INPUT", `Forbidden: an adapter is uploaded only from this server's own page, not from origin ${JSON.stringify(origin.slice(0, 100))}`);
  }
  const up = parseAdapterUpload(await readJson(req, Math.max(ctx.maxBodyBytes, 64 << 20)), ctx.card.output.dim);
  if (a.busy) throw new ApiError(409, "E_INPUT", "another adapter is being shipped; try again when it is done");
  a.busy = true;
  res.writeHead(200, { ...ISOLATION_HEADERS, "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" });
  const line = (l: AdapterProgressLine) => res.write(`${JSON.stringify(l)}\n`);
  try {
    const k = await kernelsOf(ctx);
    const { set } = await markedSessions(ctx.store, ctx.collection, ctx.card.name);
    const { heldOut } = splitSessions(set.sessions, up.seed);
    const gate = gateAdapter(k, set, up.adapter, heldOut, { minGain: a.minGain, minSessions: a.minHeldOut, seed: up.seed });
    line({ status: "gate", ship: gate.ship, reason: gate.reason, before: gate.before, after: gate.after, sessions: gate.sessions });
    if (!gate.ship) {
      line({ status: "refused", reason: gate.reason });
      return;
    }
    let last = 0;
    const r = await shipAdapter({
      store: ctx.store, kernels: k, adapter: up.adapter, collection: ctx.collection, baseCard: ctx.cardPath, modelsDir: a.modelsDir,
      result: { gate, validation: {}, training: { ...(up.training ?? {}), trainedIn: "page", seed: up.seed } as unknown as AdaptResult["training"] },
      onProgress: (e) => {
        if (e.done - last >= 1000 || e.done === e.total) line({ status: "points", done: e.done, total: e.total });
        last = e.done;
      },
    });
    if (r.switched) {
      // from now on the page embeds with the adapted model and marks are recorded on it
      ctx.card = await loadModelCard(r.model.cardPath);
      ctx.cardPath = r.model.cardPath;
      ctx.onnxPath = resolve(dirname(r.model.cardPath), ctx.card.onnx ?? `${ctx.card.name}.onnx`);
    }
    line({
      status: "done", model: r.model.name, collection: r.collection, target: r.target, ...(r.previous ? { previous: r.previous } : {}),
      points: r.points, seconds: r.reembedSeconds,
    });
  } catch (e) {
    line({ status: "error", error: { code: e instanceof MarginError ? e.code : "E_INTERNAL", message: e instanceof Error ? e.message : String(e) } });
  } finally {
    a.busy = false;
    res.end();
  }
}
