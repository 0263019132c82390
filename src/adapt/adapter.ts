/**
 * Adapters as values: creation at the identity, application on the kernels
 * (re-embedding stored vectors) and a plain TypeScript reference that tests
 * and the ONNX export check against.
 */

import { InputError } from "../errors.js";
import { mulberry32 } from "../data/random.js";
import { ADAPTER_KINDS, WasmAdapter, adapterLayout, type AdapterKind, type Kernels } from "../kernels/index.js";
import type { Adapter } from "./types.js";

/** Rows per block when applying an adapter to many vectors. */
const APPLY_BLOCK = 4096;

/**
 * A new adapter that is exactly the identity map: the linear Δ is zero; the
 * MLP's W2 and biases are zero and W1 is Gaussian (He scale, seeded) so the
 * hidden units start with different directions.
 */
export function identityAdapter(o: { kind: AdapterKind; dim: number; hidden?: number; seed?: number }): Adapter {
  if (!ADAPTER_KINDS.includes(o.kind)) {
    throw new InputError(`identityAdapter: unsupported kind ${JSON.stringify(o.kind)}. Should be one of: "linear", "mlp"`);
  }
  if (!Number.isInteger(o.dim) || o.dim < 1) throw new InputError(`identityAdapter: dim must be a positive integer, got ${o.dim}`);
  const hidden = o.kind === "mlp" ? (o.hidden ?? 64) : 0;
  if (o.kind === "mlp" && (!Number.isInteger(hidden) || hidden < 1)) {
    throw new InputError(`identityAdapter: hidden must be a positive integer, got ${hidden}`);
  }
  const layout = adapterLayout({ kind: o.kind, dim: o.dim, hidden });
  const params = new Float32Array(layout.params);
  if (o.kind === "mlp") {
    const r = mulberry32(o.seed ?? 1);
    const std = Math.sqrt(2 / o.dim);
    for (let i = 0; i < o.dim * hidden; i++) {
      const u = Math.max(r(), 1e-12);
      params[layout.w1 + i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
    }
  }
  return { kind: o.kind, dim: o.dim, hidden, params };
}

/** Checks an adapter value from outside (a file, an upload): kind, sizes, finite parameters. */
export function checkAdapter(a: Adapter, where = "adapter"): Adapter {
  if (!a || !ADAPTER_KINDS.includes(a.kind)) {
    throw new InputError(`${where}: unsupported kind ${JSON.stringify(a?.kind)}. Should be one of: "linear", "mlp"`);
  }
  if (!Number.isInteger(a.dim) || a.dim < 1) throw new InputError(`${where}: dim must be a positive integer, got ${a.dim}`);
  const want = adapterLayout(a).params;
  if (!(a.params instanceof Float32Array) || a.params.length !== want) {
    throw new InputError(`${where}: a ${a.kind} adapter of dim ${a.dim} (hidden ${a.hidden}) has ${want} parameters, got ${a.params?.length}`);
  }
  for (let i = 0; i < want; i++) {
    if (!Number.isFinite(a.params[i]!)) throw new InputError(`${where}: params[${i}] is ${a.params[i]}; every parameter must be finite`);
  }
  return a;
}

/**
 * Map `[n, dim]` frozen-encoder vectors through the adapter on the kernels.
 * @example
 * const adapted = applyAdapter(kernels, result.adapter, storedVectors);
 */
export function applyAdapter(kernels: Kernels, adapter: Adapter, vectors: Float32Array): Float32Array {
  checkAdapter(adapter, "applyAdapter");
  if (vectors.length % adapter.dim !== 0) {
    throw new InputError(`applyAdapter: ${vectors.length} values are not whole rows of dim ${adapter.dim}; the adapter expects vectors of size ${adapter.dim}`);
  }
  const w = new WasmAdapter(kernels, adapter, Math.max(1, Math.min(APPLY_BLOCK, vectors.length / adapter.dim)));
  try {
    w.setParams(adapter.params);
    return w.apply(vectors);
  } finally {
    w.free();
  }
}

/** The adapter in plain TypeScript with f64 sums: the reference for tests and the ONNX export. */
export function applyAdapterReference(adapter: Adapter, vectors: Float32Array): Float32Array {
  const { dim, hidden: h, params: p } = adapter;
  const L = adapterLayout(adapter);
  const n = vectors.length / dim;
  const out = new Float32Array(n * dim);
  const hid = new Float64Array(h);
  for (let r = 0; r < n; r++) {
    const x = vectors.subarray(r * dim, (r + 1) * dim);
    for (let j = 0; j < dim; j++) {
      let s = x[j]!;
      if (adapter.kind === "linear") for (let i = 0; i < dim; i++) s += x[i]! * p[L.w1 + i * dim + j]!;
      out[r * dim + j] = s;
    }
    if (adapter.kind === "mlp") {
      for (let u = 0; u < h; u++) {
        let s = p[L.b1 + u]!;
        for (let i = 0; i < dim; i++) s += x[i]! * p[L.w1 + i * h + u]!;
        hid[u] = Math.max(0, s);
      }
      for (let j = 0; j < dim; j++) {
        let s = p[L.b2 + j]!;
        for (let u = 0; u < h; u++) s += hid[u]! * p[L.w2 + u * dim + j]!;
        out[r * dim + j] = out[r * dim + j]! + s;
      }
    }
  }
  return out;
}
