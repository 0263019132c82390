/**
 * Nested key paths in set / delete payload and in with_payload include /
 * exclude, as Qdrant's JSON paths behave (lib/segment/src/json_path): each
 * expectation is worked out by hand from those rules, over the real client.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const base = () => ({ a: { b: [{ c: 1, d: 2 }, { c: 3 }] }, x: [{ y: 1, z: 2 }, { y: 3 }], s: 5 });

beforeAll(async () => {
  h = await harness("payload-paths");
  await h.client.createCollection("p", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("p", { wait: true, points: [{ id: 1, vector: [1, 0], payload: base() }] });
});
afterAll(async () => {
  await h.stop();
});

async function reset() {
  await h.client.overwritePayload("p", { points: [1], payload: base(), wait: true });
}
async function payload(withPayload: unknown = true) {
  const [p] = await h.client.retrieve("p", { ids: [1], with_payload: withPayload as never });
  return p!.payload;
}

describe("set payload at a key", () => {
  const cases: [string, Record<string, unknown>, unknown][] = [
    // an index descends into that element only
    ["a.b[0]", { e: 9 }, { ...base(), a: { b: [{ c: 1, d: 2, e: 9 }, { c: 3 }] } }],
    // [] descends into every element
    ["x[]", { w: 0 }, { ...base(), x: [{ y: 1, z: 2, w: 0 }, { y: 3, w: 0 }] }],
    // an index past the end changes nothing
    ["a.b[5]", { e: 1 }, base()],
    // a key through a number replaces it with an object
    ["s.t", { u: 1 }, { ...base(), s: { t: { u: 1 } } }],
    // [] on a missing key leaves an empty array
    ["fresh[]", { k: 1 }, { ...base(), fresh: [] }],
    // the end of the path is a number: replaced by the payload object
    ["x[0].y", { q: 1 }, { ...base(), x: [{ y: { q: 1 }, z: 2 }, { y: 3 }] }],
    // plain nested keys create objects on the way
    ["m.n", { o: true }, { ...base(), m: { n: { o: true } } }],
  ];
  for (const [key, value, expected] of cases) {
    it(`key ${key}`, async () => {
      await reset();
      await h.client.setPayload("p", { points: [1], payload: value, key, wait: true });
      expect(await payload()).toEqual(expected);
    });
  }
});

describe("delete payload keys", () => {
  const cases: [string, unknown][] = [
    ["x[].y", { ...base(), x: [{ z: 2 }, {}] }],
    ["a.b", { ...base(), a: {} }],
    // a key does not reach into an array (that is x[].y)
    ["x.y", base()],
    // deleting an index is not idempotent: Qdrant does nothing
    ["a.b[0]", base()],
    // a final [] empties the array
    ["x[]", { ...base(), x: [] }],
    ["a.b[1].c", { ...base(), a: { b: [{ c: 1, d: 2 }, {}] } }],
  ];
  for (const [key, expected] of cases) {
    it(`key ${key}`, async () => {
      await reset();
      await h.client.deletePayload("p", { points: [1], keys: [key], wait: true });
      expect(await payload()).toEqual(expected);
    });
  }
});

describe("with_payload include / exclude paths", () => {
  beforeAll(reset);
  const cases: [unknown, unknown][] = [
    [{ include: ["x[].y"] }, { x: [{ y: 1 }, { y: 3 }] }],
    // elements are walked as [], which is not [0]: the array stays, emptied
    [{ include: ["a.b[0].c"] }, { a: { b: [] } }],
    [{ include: ["x.y"] }, { x: [] }],
    // a scalar on the way to a longer pattern is kept whole
    [{ include: ["s.t"] }, { s: 5 }],
    [["a", "s"], { a: base().a, s: 5 }],
    [{ exclude: ["x[].y"] }, { ...base(), x: [{ z: 2 }, {}] }],
    [{ exclude: ["x.y"] }, base()],
    [{ exclude: ["a.b", "s"] }, { a: {}, x: base().x }],
  ];
  for (const [sel, expected] of cases) {
    it(JSON.stringify(sel), async () => {
      expect(await payload(sel)).toEqual(expected);
      // the query API applies the same selector
      const q = await h.client.query("p", { query: [1, 0], with_payload: sel as never });
      expect(q.points[0]!.payload).toEqual(expected);
    });
  }
});
