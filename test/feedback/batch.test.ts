/**
 * rankWithFeedbackMany: many requests' store calls in a few batch requests
 * give the answers of one request at a time, and a pool whose vectors come
 * from the caller (`vectorOf`, with points it does not know retrieved from
 * the store) ranks exactly like a pool fetched with its vectors.
 */

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, Kernels, loadLabeledSet, QdrantStore, rankWithFeedback, STRATEGIES, type FeedbackOptions, type LabeledSet, type PointId } from "../../src/index.js";
import { rankWithFeedbackMany } from "../../src/feedback/index.js";
import { rng } from "../helpers/random.js";
import { harness, type Harness } from "../store/helpers.js";

const fixture = JSON.parse(readFileSync("test/fixtures/steer/points.json", "utf8")) as { points: Array<{ id: number; label: string; vector: number[] }> };
let h: Harness;
let store: QdrantStore;
let kernels: Kernels;
let set: LabeledSet;

beforeAll(async () => {
  h = await harness("feedback-batch");
  await h.client.createCollection("steer", { vectors: { size: 4, distance: "Euclid" } });
  await h.client.upsert("steer", { wait: true, points: fixture.points.map((p) => ({ id: p.id, vector: p.vector, payload: { label: p.label } })) });
  store = await QdrantStore.connect({ url: h.running.url });
  set = await loadLabeledSet(store, "steer");
  kernels = await Kernels.load();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const ex = (r: number) => ({ vector: set.vectors.subarray(r * set.dim, (r + 1) * set.dim), ref: set.ids[r]! });

/** Seeded requests: a random query row, 0–3 right and 0–3 wrong marks (distinct rows), k 3–12, pool 8–40. */
function requests(n: number, seed: number, extra: Partial<FeedbackOptions> = {}): FeedbackOptions[] {
  const r = rng(seed);
  const rows = set.labels.length;
  return Array.from({ length: n }, () => {
    const picked = new Set<number>();
    const pick = () => {
      let x: number;
      do x = Math.floor(r() * rows); while (picked.has(x));
      picked.add(x);
      return x;
    };
    const q = pick();
    const pos = Array.from({ length: Math.floor(r() * 4) }, pick);
    const neg = Array.from({ length: Math.floor(r() * 4) }, pick);
    return {
      store, collection: "steer", kernels, k: 3 + Math.floor(r() * 10), strategies: STRATEGIES, withPayload: false,
      params: { pool: 8 + Math.floor(r() * 33) }, query: ex(q), positives: pos.map(ex), negatives: neg.map(ex), ...extra,
    };
  });
}

/** The rankings without their kernel timings. */
const hitsOf = (r: Awaited<ReturnType<typeof rankWithFeedback>>) => Object.fromEntries(Object.entries(r).map(([s, x]) => [s, x!.hits]));

describe("rankWithFeedbackMany", () => {
  it("gives every request the answers it gets alone (40 seeded requests, every strategy)", async () => {
    const reqs = requests(40, 7);
    const many = await rankWithFeedbackMany(reqs);
    expect(many).toHaveLength(reqs.length);
    for (let i = 0; i < reqs.length; i++) {
      const alone = await rankWithFeedback(reqs[i]!);
      expect(hitsOf(many[i]!)).toEqual(hitsOf(alone));
      for (const s of STRATEGIES) expect(many[i]![s]!.hits.length).toBe(Math.min(reqs[i]!.k, set.labels.length - 1 - reqs[i]!.positives.length - reqs[i]!.negatives.length));
    }
  });

  it("ranks a pool from vectorOf like a pool fetched with vectors, retrieving the points vectorOf does not know", async () => {
    const known = (id: PointId) => {
      const r = set.ids.findIndex((x) => String(x) === String(id));
      // every third point unknown: those come from the store
      return r % 3 === 0 ? undefined : set.vectors.subarray(r * set.dim, (r + 1) * set.dim);
    };
    const fetched = await rankWithFeedbackMany(requests(12, 11));
    const looked = await rankWithFeedbackMany(requests(12, 11, { vectorOf: known }));
    expect(looked.map(hitsOf)).toEqual(fetched.map(hitsOf));
  });

  it("refuses a vectorOf vector of the wrong length, naming the point", async () => {
    const [req] = requests(1, 3, { vectorOf: () => new Float32Array(3), strategies: ["kde"] });
    await expect(rankWithFeedbackMany([req!])).rejects.toThrow(InputError);
    await expect(rankWithFeedbackMany([req!])).rejects.toThrow(/point \d+ came back without its 4-d vector/);
  });

  it("refuses a bad request before any store call", async () => {
    const [good] = requests(1, 5);
    await expect(rankWithFeedbackMany([good!, { ...good!, k: 0 }])).rejects.toThrow(/k must be an integer in \[1, 10000\], got 0/);
  });
});
