/**
 * The steering experiment on a small committed labeled set (60 points, 4
 * overlapping clusters) in the embedded store over HTTP: the table's shape,
 * and plain / average-vector precisions recomputed by brute force with the
 * query and every marked item left out.
 */

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kernels, loadLabeledSet, QdrantStore, QDRANT_STRATEGIES, STEER_SETTINGS, STRATEGIES, steering, type LabeledSet, type SteeringResult } from "../../src/index.js";
import { harness, type Harness } from "../store/helpers.js";

const fixture = JSON.parse(readFileSync("test/fixtures/steer/points.json", "utf8")) as { points: Array<{ id: number; label: string; vector: number[] }> };
const K = 5;
let h: Harness;
let set: LabeledSet;
let result: SteeringResult;

beforeAll(async () => {
  h = await harness("steer");
  await h.client.createCollection("steer", { vectors: { size: 4, distance: "Euclid" } });
  await h.client.upsert("steer", { wait: true, points: fixture.points.map((p) => ({ id: p.id, vector: p.vector, payload: { label: p.label } })) });
  const store = await QdrantStore.connect({ url: h.running.url });
  set = await loadLabeledSet(store, "steer");
  const kernels = await Kernels.load();
  result = await steering({ store, collection: "steer", kernels, set, k: K, queries: Int32Array.from(set.labels, (_, i) => i), params: { pool: 40 } });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

const d2 = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
const vec = (r: number) => set.vectors.subarray(r * set.dim, (r + 1) * set.dim);
/** Rows by distance to v, leaving out `skip`. */
const nearest = (v: ArrayLike<number>, skip: Set<number>) =>
  Array.from(set.labels, (_, r) => r).filter((r) => !skip.has(r)).sort((a, b) => d2(v, vec(a)) - d2(v, vec(b)));

/** Brute-force precision@K of plain and of average-vector after one round of N+N marks: [steered, already right] means. */
function bruteForce(n: number, strategy: "plain" | "average-vector") {
  const steered: number[] = [];
  const right: number[] = [];
  for (let q = 0; q < set.labels.length; q++) {
    const label = set.labels[q]!;
    const page = nearest(vec(q), new Set([q])).slice(0, K);
    const pos = page.filter((r) => set.labels[r] === label).slice(0, n);
    const neg = page.filter((r) => set.labels[r] !== label).slice(0, n);
    const marked = new Set([q, ...pos, ...neg]);
    let target: ArrayLike<number> = vec(q);
    if (strategy === "average-vector") {
      const mean = (rs: number[]) => Array.from({ length: set.dim }, (_, d) => rs.reduce((s, r) => s + vec(r)[d]!, 0) / rs.length);
      const p = mean([q, ...pos]);
      const m = neg.length ? mean(neg) : null;
      target = m ? p.map((x, d) => 2 * x - m[d]!) : p;
    }
    const shown = nearest(target, marked).slice(0, K);
    (neg.length ? steered : right).push(shown.filter((r) => set.labels[r] === label).length / K);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { steered: mean(steered), right: mean(right), count: steered.length };
}

describe("steering", () => {
  it("reports every strategy for 1+1, 3+3 and two rounds of 3+3", () => {
    expect(result.k).toBe(K);
    expect(result.strategies).toEqual([...STRATEGIES]);
    expect(result.settings.map((s) => [s.name, s.examples, s.rounds])).toEqual(STEER_SETTINGS.map((s) => [s.name, s.examples, s.rounds]));
    for (const s of result.settings) {
      expect(s.queries + s.alreadyRight).toBe(60);
      expect(s.queries).toBeGreaterThan(10);
      expect(s.alreadyRight).toBeGreaterThan(5);
      expect(QDRANT_STRATEGIES).toContain(s.bestQdrant);
      for (const x of QDRANT_STRATEGIES) expect(s.precision[s.bestQdrant]!).toBeGreaterThanOrEqual(s.precision[x]!);
      expect(s.versusBestQdrant[s.bestQdrant]).toEqual({ mean: 0, low: 0, high: 0 });
      expect(s.alreadyRightVersusPlain.plain).toEqual({ mean: 0, low: 0, high: 0 });
      for (const x of STRATEGIES) {
        expect(s.precision[x]).toBeGreaterThanOrEqual(0);
        expect(s.precision[x]).toBeLessThanOrEqual(1);
        const d = s.versusBestQdrant[x]!;
        expect(d.mean).toBeCloseTo(s.precision[x]! - s.precision[s.bestQdrant]!, 12);
        expect(d.low).toBeLessThanOrEqual(d.mean + 1e-12);
        expect(d.high).toBeGreaterThanOrEqual(d.mean - 1e-12);
        expect(s.alreadyRightVersusPlain[x]!.mean).toBeCloseTo(s.alreadyRightPrecision[x]! - s.alreadyRightPrecision.plain!, 12);
      }
    }
  });

  it("the marked items never count: plain and average-vector equal a brute-force run that leaves them out", () => {
    for (const [si, n] of [[0, 1], [1, 3]] as const) {
      const s = result.settings[si]!;
      for (const strategy of ["plain", "average-vector"] as const) {
        const want = bruteForce(n, strategy);
        expect(s.queries).toBe(want.count);
        expect(s.precision[strategy]).toBeCloseTo(want.steered, 12);
        expect(s.alreadyRightPrecision[strategy]).toBeCloseTo(want.right, 12);
      }
    }
    // plain cannot change between rounds; the second round only adds marks
    expect(result.settings[2]!.precision.plain).toBeLessThanOrEqual(1);
  });

  it("is deterministic: the same queries and seed give the same table", async () => {
    const store = await QdrantStore.connect({ url: h.running.url });
    const again = await steering({
      store, collection: "steer", kernels: await Kernels.load(), set, k: K, queries: Int32Array.from(set.labels, (_, i) => i),
      params: { pool: 40 }, settings: [STEER_SETTINGS[1]], strategies: ["plain", "sum-scores", "kde"],
    });
    const s = again.settings[0]!;
    expect(s.precision.kde).toBe(result.settings[1]!.precision.kde);
    expect(s.bestQdrant).toBe("sum-scores");
    expect(s.precision["sum-scores"]).toBe(result.settings[1]!.precision["sum-scores"]);
  });
});
