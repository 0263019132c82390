/**
 * A property test of named and sparse vectors against a plain-TypeScript
 * model: seeded random writes (upserts of points carrying random subsets of
 * two dense vectors and a sparse one, update_vectors, delete_vectors, point
 * deletes) through the real client, then seeded random queries (each space,
 * with payload and has_vector filters) whose answers must be the model's
 * brute-force top 5. Every response is schema-checked by the harness.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import { type Harness, harness, rand } from "./helpers.js";

type Sparse = { indices: number[]; values: number[] };
type Point = { g: number; a?: number[]; b?: number[]; s?: Sparse };

let h: Harness;
beforeAll(async () => {
  h = await harness("named-property");
  await h.client.createCollection("p", { vectors: { a: { size: 3, distance: "Euclid" }, b: { size: 2, distance: "Dot" } }, sparse_vectors: { s: {} } });
});
afterAll(async () => {
  await h.stop();
});

const r = rand(20261202);
const pick = (n: number) => Math.floor(((r() + 1) / 2) * n);
const f32s = (n: number) => Array.from({ length: n }, () => Math.fround(r()));
function sparse(): Sparse {
  const idx = [...new Set(Array.from({ length: 1 + pick(4) }, () => pick(10)))];
  return { indices: idx, values: idx.map(() => Math.fround(r())) };
}
const gen = { a: () => f32s(3), b: () => f32s(2), s: sparse } as const;
type Name = keyof typeof gen;
const NAMES: Name[] = ["a", "b", "s"];

/** The model's score of a point in a space (null: no vector there, or no shared sparse index). */
function score(name: Name, q: number[] | Sparse, p: Point): number | null {
  const v = p[name];
  if (!v) return null;
  if (name === "a") return Math.sqrt((v as number[]).reduce((s, x, d) => s + (x - (q as number[])[d]!) ** 2, 0));
  if (name === "b") return (v as number[]).reduce((s, x, d) => s + x * (q as number[])[d]!, 0);
  const qs = q as Sparse;
  const vs = v as Sparse;
  let s = 0;
  let shared = false;
  vs.indices.forEach((i, k) => {
    const j = qs.indices.indexOf(i);
    if (j >= 0) {
      shared = true;
      s += vs.values[k]! * qs.values[j]!;
    }
  });
  return shared ? s : null;
}

it("answers every seeded query as the brute-force model does, after seeded writes", async () => {
  const model = new Map<number, Point>();
  let next = 0;
  for (let step = 0; step < 40; step++) {
    const known = [...model.keys()];
    const kind = known.length < 10 ? 0 : pick(4);
    if (kind === 0) {
      const points = Array.from({ length: 1 + pick(8) }, () => {
        const id = known.length && r() > 0.6 ? known[pick(known.length)]! : next++;
        const names = NAMES.filter(() => r() > -0.2);
        return { id, vector: Object.fromEntries(names.map((n) => [n, gen[n]()])), payload: { g: pick(3) } };
      });
      await h.client.upsert("p", { wait: true, points });
      for (const p of points) model.set(p.id, { g: p.payload.g, ...(p.vector as Partial<Point>) });
    } else if (kind === 1) {
      const ids = [...new Set(Array.from({ length: 1 + pick(4) }, () => known[pick(known.length)]!))];
      const points = ids.map((id) => ({ id, vector: { [NAMES[pick(3)]!]: undefined } as Record<string, unknown> }));
      for (const p of points) {
        const n = Object.keys(p.vector)[0] as Name;
        p.vector[n] = gen[n]();
      }
      await h.client.updateVectors("p", { wait: true, points: points as never });
      for (const p of points) Object.assign(model.get(p.id)!, p.vector);
    } else if (kind === 2) {
      const ids = [...new Set(Array.from({ length: 1 + pick(4) }, () => known[pick(known.length)]!))];
      const names = [NAMES[pick(3)]!];
      await h.client.deleteVectors("p", { wait: true, points: ids, vector: names });
      for (const id of ids) for (const n of names) delete model.get(id)![n];
    } else {
      const id = known[pick(known.length)]!;
      await h.client.delete("p", { wait: true, points: [id] });
      model.delete(id);
    }
  }
  expect(model.size).toBeGreaterThan(20);
  for (let t = 0; t < 60; t++) {
    const using = NAMES[pick(3)]!;
    const q = gen[using]();
    const g = pick(3);
    const other = NAMES[pick(3)]!;
    const filters: Array<[Record<string, unknown> | undefined, (p: Point) => boolean]> = [
      [undefined, () => true],
      [{ must: [{ key: "g", match: { value: g } }] }, (p) => p.g === g],
      [{ must: [{ has_vector: other }] }, (p) => p[other] !== undefined],
      [{ must_not: [{ has_vector: other }], should: [{ key: "g", match: { any: [g, (g + 1) % 3] } }] }, (p) => p[other] === undefined && (p.g === g || p.g === (g + 1) % 3)],
    ];
    const [filter, keep] = filters[pick(filters.length)]!;
    const want = [...model]
      .filter(([, p]) => keep(p))
      .map(([id, p]) => ({ id, s: score(using, q, p) }))
      .filter((x): x is { id: number; s: number } => x.s !== null)
      .sort((x, y) => (using === "a" ? x.s - y.s : y.s - x.s))
      .slice(0, 5);
    const got = await h.client.query("p", { query: q, using, limit: 5, ...(filter ? { filter } : {}) });
    expect([t, got.points.map((p) => p.id)]).toEqual([t, want.map((x) => x.id)]);
    got.points.forEach((p, i) => expect(p.score).toBeCloseTo(want[i]!.s, 4));
  }
  // and each point's vectors are the model's
  const all = await h.client.scroll("p", { limit: 1000, with_vector: true, with_payload: true });
  expect(all.points.length).toBe(model.size);
  for (const p of all.points) {
    const m = model.get(p.id as number)!;
    const v = p.vector as Record<string, number[] | Sparse>;
    expect(Object.keys(v).sort()).toEqual(NAMES.filter((n) => m[n]).sort());
    if (m.a) expect((v.a as number[]).map(Math.fround)).toEqual(m.a);
    if (m.b) expect((v.b as number[]).map(Math.fround)).toEqual(m.b);
    if (m.s) {
      const order = m.s.indices.map((_, k) => k).sort((x, y) => m.s!.indices[x]! - m.s!.indices[y]!);
      const vs = v.s as Sparse;
      expect({ indices: vs.indices, values: vs.values.map(Math.fround) }).toEqual({ indices: order.map((k) => m.s!.indices[k]), values: order.map((k) => m.s!.values[k]) });
    }
  }
});
