import { beforeAll, describe, expect, it } from "vitest";
import {
  InputError, Kernels, adapt, applyAdapter, exactRankings, gateAdapter, rankingMetrics, trainAdapter,
  type AdaptProgress, type MarkSession, type SessionSet,
} from "../../src/index.js";
import { gaussian, rng } from "../helpers/random.js";

const DIM = 4;

/** Unit vector at `deg` degrees in the (e0, e1) plane. */
const dir = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0, 0];

/**
 * Ten classes spaced 0.15 apart along the direction `u` (a rotation of
 * e0), with noise 0.01 along u and 1 across it: the frozen space ranks by
 * the noise, the labels live along u.
 */
function classSpace(n: number, u: number[], seed: number, spacing = 0.15) {
  const noise = gaussian(n * DIM, seed);
  const r = rng(seed + 1);
  const labels = new Int32Array(n);
  const vectors = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 10);
    labels[i] = c;
    const x = Array.from(noise.subarray(i * DIM, (i + 1) * DIM), (v) => v);
    const along = x.reduce((s, v, j) => s + v * u[j]!, 0);
    for (let j = 0; j < DIM; j++) vectors[i * DIM + j] = x[j]! + (spacing * c - along + 0.01 * along) * u[j]!;
  }
  return { vectors, labels };
}

/** Simulated users: a random query, its frozen top 10, up to 3 right and 3 wrong marks by label. */
function sessions(vectors: Float32Array, labels: Int32Array, count: number, seed: number): MarkSession[] {
  const n = labels.length;
  const r = rng(seed);
  const out: MarkSession[] = [];
  for (let s = 0; s < count; s++) {
    const q = Math.floor(r() * n);
    const d = Array.from({ length: n }, (_, i) => {
      let acc = 0;
      for (let j = 0; j < DIM; j++) acc += (vectors[q * DIM + j]! - vectors[i * DIM + j]!) ** 2;
      return [acc, i] as const;
    }).filter(([, i]) => i !== q).sort((a, b) => a[0] - b[0]).slice(0, 10).map(([, i]) => i);
    out.push({ query: q, right: d.filter((i) => labels[i] === labels[q]).slice(0, 3), wrong: d.filter((i) => labels[i] !== labels[q]).slice(0, 3) });
  }
  return out;
}

const p1 = (k: Kernels, vectors: Float32Array, labels: Int32Array) =>
  rankingMetrics(exactRankings({ kernels: k, vectors, dim: DIM, labels, labelsOnly: true })).precisionAt1;

describe("adapter training", () => {
  let k: Kernels;
  const u = dir(30);
  const space = classSpace(600, u, 1);
  const set: SessionSet = { vectors: space.vectors, dim: DIM, sessions: sessions(space.vectors, space.labels, 300, 2) };
  const fresh = classSpace(400, u, 3);
  beforeAll(async () => {
    k = await Kernels.load();
  });

  it("learns the direction the marks reveal: it stretches u = e0 rotated by 30° over the directions across it", () => {
    const before = p1(k, fresh.vectors, fresh.labels);
    const { adapter, losses } = trainAdapter(k, set, { kind: "linear", seed: 4 });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    // the adapter's map A = I + Δ, from its action on the basis
    const eye = new Float32Array(DIM * DIM);
    for (let i = 0; i < DIM; i++) eye[i * DIM + i] = 1;
    const A = applyAdapter(k, adapter, eye); // row i = A e_i
    const apply = (v: number[]) => Array.from({ length: DIM }, (_, j) => v.reduce((s, vi, i) => s + vi * A[i * DIM + j]!, 0));
    const norm = (v: number[]) => Math.hypot(...v);
    const across = [dir(120), [0, 0, 1, 0], [0, 0, 0, 1]];
    const stretch = norm(apply(u)) / Math.max(...across.map((v) => norm(apply(v))));
    expect(stretch).toBeGreaterThan(3);
    // and the unmarked fresh points of the same space are now ranked by their labels
    const after = p1(k, applyAdapter(k, adapter, fresh.vectors), fresh.labels);
    expect(before).toBeLessThan(0.6);
    expect(after).toBeGreaterThan(0.9);
  });

  it("is reproducible: the same seed gives the same bytes, another seed another adapter", () => {
    for (const kind of ["linear", "mlp"] as const) {
      const a = trainAdapter(k, set, { kind, seed: 9, epochs: 5 });
      const b = trainAdapter(k, set, { kind, seed: 9, epochs: 5 });
      const c = trainAdapter(k, set, { kind, seed: 10, epochs: 5 });
      expect(Buffer.from(a.adapter.params.buffer).equals(Buffer.from(b.adapter.params.buffer))).toBe(true);
      expect(Buffer.from(a.adapter.params.buffer).equals(Buffer.from(c.adapter.params.buffer))).toBe(false);
    }
  });

  it("adapt chooses a kind on validation sessions, ships when held-out sessions gain, and reports progress", () => {
    const events: AdaptProgress[] = [];
    const r = adapt({ kernels: k, set, seed: 5, minHeldOut: 50, onProgress: (e) => events.push(e) });
    expect(r.gate.ship).toBe(true);
    expect(r.gate.reason).toMatch(/^shipped: held-out session AUC [01]\.\d{3} with the adapter vs 0\.\d{3} without over \d+ sessions/);
    expect(r.gate.gain).toBeGreaterThan(0.1);
    expect(r.validation.none).toBeLessThan(r.validation[r.kind]!);
    expect(Object.keys(r.validation).sort()).toEqual(["linear", "mlp", "none"]);
    expect(events[0]).toEqual({ status: "split", train: 160, validation: 54, heldOut: 54, skipped: 32 });
    expect(events.filter((e) => e.status === "epoch")).toHaveLength(90);
    expect(events.filter((e) => e.status === "validated").map((e) => e.status === "validated" && e.kind)).toEqual(["linear", "mlp"]);
    expect(events.at(-1)!.status).toBe("done");
    expect(r.training).toMatchObject({ kind: r.kind, seed: 5, sessions: { train: 160, validation: 54, heldOut: 54, skipped: 32 } });
  });

  it("the gate refuses an adapter where adapting must hurt: held-out users rank by the direction the training users ignore", () => {
    const { adapter } = trainAdapter(k, set, { kind: "linear", seed: 4 });
    // other users, whose labels live across u: the adapter shrinks exactly what they need
    const other = classSpace(300, dir(120), 7, 1);
    const otherSet: SessionSet = { vectors: other.vectors, dim: DIM, sessions: sessions(other.vectors, other.labels, 200, 8) };
    const g = gateAdapter(k, otherSet, adapter, otherSet.sessions);
    expect(g.ship).toBe(false);
    expect(g.gain).toBeLessThan(0);
    expect(g.interval[1]).toBeLessThan(0);
    expect(g.reason).toMatch(/^not shipped: held-out session AUC .* over \d{3} sessions \(gain -0\.\d{3}, 95% interval .*\) is below the required \+0\.030$/);
  });

  it("the gate does not judge on fewer than 100 held-out sessions", () => {
    const r = adapt({ kernels: k, set, seed: 5 });
    expect(r.gate.ship).toBe(false);
    expect(r.gate.reason).toMatch(/over 54 sessions .*: the gate needs at least 100 held-out sessions to judge; record more marks \(about 500 sessions in all\)$/);
  });

  it("the gate refuses an adapter trained on marks that are noise", () => {
    const r = rng(21);
    const n = space.labels.length;
    const pick = () => Math.floor(r() * n);
    const noise: MarkSession[] = Array.from({ length: 300 }, () => {
      const rows = [...new Set(Array.from({ length: 7 }, pick))];
      return { query: rows[0]!, right: rows.slice(1, 3), wrong: rows.slice(3) };
    });
    const res = adapt({ kernels: k, set: { ...set, sessions: noise }, seed: 2, minHeldOut: 50 });
    expect(res.gate.ship).toBe(false);
    expect(res.gate.reason).toMatch(/^not shipped: .*(is below the required \+0\.030|the interval reaches 0)/);
  });

  it("rejects bad sessions and options where they enter", () => {
    const bad = (sessions: unknown) => () => adapt({ kernels: k, set: { ...set, sessions: sessions as MarkSession[] } });
    expect(bad([{ query: 600, right: [1], wrong: [2] }])).toThrow(new InputError("adapt: session 0 has query row 600; rows must be integers in [0, 599]"));
    expect(bad([{ query: 0, right: [1.5], wrong: [2] }])).toThrow(/session 0 has right row 1.5/);
    expect(bad([{ query: 0, right: [1], wrong: [1] }])).toThrow(/session 0 marks row 1 both right and wrong; keep one mark/);
    expect(bad([{ query: 0, right: [], wrong: [1] }])).toThrow(/0 usable sessions .* too few to train; record more marks/);
    expect(() => adapt({ kernels: k, set, epochs: 0 })).toThrow(/epochs must be a positive integer, got 0/);
    expect(() => adapt({ kernels: k, set, heldOutFraction: 1 })).toThrow(/heldOutFraction must be in \(0, 1\), got 1/);
    expect(() => adapt({ kernels: k, set, kinds: ["deep" as never] })).toThrow(/kinds must be a non-empty list/);
    const nan = Float32Array.from(set.vectors);
    nan[9] = NaN;
    expect(() => adapt({ kernels: k, set: { ...set, vectors: nan } })).toThrow(/vectors\[row 2, col 1\] is NaN/);
  });
});
