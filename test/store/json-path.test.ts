/**
 * Qdrant's JSON path grammar (lib/segment/src/json_path/parse.rs) in the
 * embedded store: quoted keys (`a."b.c"[0]`), several indices after a key,
 * and what it refuses, read by the one path parser; then quoted keys through
 * the real client in set / delete payload, with_payload include / exclude and
 * filters. Expectations are worked out by hand from Qdrant's rules.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grammarPath, needsQuotes, readPath, showPath, splitPath } from "../../src/store/embedded/state/payload.js";
import { type Harness, harness } from "./helpers.js";

describe("the grammar (pure)", () => {
  it("reads Qdrant's own example: indices, a dash, [] and a quoted key holding [ . ]", () => {
    expect(readPath('foo[1][50].bar-baz[]."qux[.]quux"')).toEqual([
      { key: "foo", indices: [1, 50] },
      { key: "bar-baz", indices: ["all"] },
      { key: "qux[.]quux" },
    ]);
  });
  it("a quoted first key, an empty quoted key, Unicode letters and digits unquoted", () => {
    expect(splitPath('"a.b"')).toEqual([{ key: "a.b" }]);
    expect(splitPath('"x y".z[0]')).toEqual([{ key: "x y" }, { key: "z", indices: [0] }]);
    expect(splitPath('a.""')).toEqual([{ key: "a" }, { key: "" }]);
    expect(splitPath("préfixe.日本_2")).toEqual([{ key: "préfixe" }, { key: "日本_2" }]);
    expect(splitPath("a[007]")).toEqual([{ key: "a", indices: [7] }]);
  });
  it("refuses, saying where it stops: empty, spaces, a dot alone, an unclosed quote, a backslash, bad brackets, a leading index", () => {
    const cases: [string, number][] = [
      ["", 0], ["a b", 1], ["a..b", 1], ["a.", 1], [".a", 0], ['a."b', 1], ['"a\\b"', 0], ['a."b\\"c"', 1],
      ["a[x]", 1], ["a[", 1], ["a[-1]", 1], ["[0]", 0], ["$x", 0], ["a]", 1], ["a[0]b", 4], ["a:b", 1],
    ];
    for (const [p, at] of cases) {
      expect(readPath(p), p).toBe(at);
      expect(grammarPath(p), p).toBeNull();
    }
  });
  it("a key logged before the grammar (a space, a colon) still replays as the dotted split read it then", () => {
    expect(splitPath("my key.x[0]")).toEqual([{ key: "my key" }, { key: "x", indices: [0] }]);
    expect(splitPath("a:b")).toEqual([{ key: "a:b" }]);
    expect(splitPath("a..b")).toBeNull();
    expect(splitPath('a."b.c"')).toEqual([{ key: "a" }, { key: "b.c" }]);
  });
  it("writes a path back as Qdrant displays it, quoting keys that need it", () => {
    for (const k of ["f", "foo", "foo_123-bar"]) expect(needsQuotes(k), k).toBe(false);
    for (const k of ["", " foo", "foo ", "foo bar", "foo.bar.baz", "foo[]", "foo[0]"]) expect(needsQuotes(k), k).toBe(true);
    const p = 'a."b.c"[0][]."x y".d';
    expect(showPath(splitPath(p)!)).toBe(p);
    expect(showPath(splitPath('"a".b')!)).toBe("a.b");
  });
});

describe("quoted keys over HTTP", () => {
  let h: Harness;
  const base = () => ({ "a.b": 1, a: { b: 2, "b.c": 3 }, "x.y": [{ k: 0 }, { k: 1 }], m: [[{ n: 1 }, { n: 2 }]], "sp ace": { v: 4 } });
  beforeAll(async () => {
    h = await harness("json-path");
    await h.client.createCollection("j", { vectors: { size: 2, distance: "Dot" } });
    await h.client.upsert("j", {
      wait: true,
      points: [
        { id: 1, vector: [1, 0], payload: base() },
        { id: 2, vector: [0, 1], payload: { a: { b: 1 }, g: [[4, 5], [6]], n: { "x y": "hit" } } },
      ],
    });
  });
  afterAll(async () => {
    await h.stop();
  });
  async function reset() {
    await h.client.overwritePayload("j", { points: [1], payload: base(), wait: true });
  }
  async function payload(withPayload: unknown = true) {
    const [p] = await h.client.retrieve("j", { ids: [1], with_payload: withPayload as never });
    return p!.payload;
  }

  describe("set payload at a quoted key", () => {
    const cases: [string, Record<string, unknown>, unknown][] = [
      // a."b.c" is the key "b.c" inside a, not a.b.c
      ['a."b.c"', { z: 9 }, { ...base(), a: { b: 2, "b.c": { z: 9 } } }],
      // "a.b" is the top-level key with a dot: its number becomes an object
      ['"a.b"', { z: 9 }, { ...base(), "a.b": { z: 9 } }],
      ['"x.y"[1]', { z: 9 }, { ...base(), "x.y": [{ k: 0 }, { k: 1, z: 9 }] }],
      // two indices in a row
      ["m[0][1]", { z: 9 }, { ...base(), m: [[{ n: 1 }, { n: 2, z: 9 }]] }],
      ['"sp ace"', { w: 5 }, { ...base(), "sp ace": { v: 4, w: 5 } }],
    ];
    for (const [key, value, expected] of cases) {
      it(`key ${key}`, async () => {
        await reset();
        await h.client.setPayload("j", { points: [1], payload: value, key, wait: true });
        expect(await payload()).toEqual(expected);
      });
    }
  });

  describe("delete quoted keys", () => {
    const cases: [string, unknown][] = [
      ['"a.b"', (() => { const { "a.b": _, ...rest } = base(); return rest; })()],
      ["a.b", { ...base(), a: { "b.c": 3 } }],
      ['a."b.c"', { ...base(), a: { b: 2 } }],
      ['"x.y"[].k', { ...base(), "x.y": [{}, {}] }],
      ["m[0][]", { ...base(), m: [[]] }],
    ];
    for (const [key, expected] of cases) {
      it(`key ${key}`, async () => {
        await reset();
        await h.client.deletePayload("j", { points: [1], keys: [key], wait: true });
        expect(await payload()).toEqual(expected);
      });
    }
  });

  describe("with_payload include / exclude with quoted keys", () => {
    beforeAll(reset);
    const cases: [unknown, unknown][] = [
      [{ include: ['"a.b"'] }, { "a.b": 1 }],
      [{ include: ["a.b"] }, { a: { b: 2 } }],
      [{ include: ['a."b.c"'] }, { a: { "b.c": 3 } }],
      [['"x.y"[].k', '"sp ace"'], { "x.y": [{ k: 0 }, { k: 1 }], "sp ace": { v: 4 } }],
      [{ exclude: ['"a.b"', "m", '"x.y"', '"sp ace"'] }, { a: { b: 2, "b.c": 3 } }],
      [{ exclude: ['a."b.c"', "m", '"x.y"', '"sp ace"', '"a.b"'] }, { a: { b: 2 } }],
    ];
    for (const [sel, expected] of cases) {
      it(JSON.stringify(sel), async () => {
        expect(await payload(sel)).toEqual(expected);
      });
    }
  });

  describe("filters on quoted keys", () => {
    const hits = async (filter: unknown) => {
      const r = await h.client.scroll("j", { filter: filter as never, with_payload: false });
      return r.points.map((p) => p.id);
    };
    beforeAll(reset);
    it('"a.b" is the top-level key; a.b the nested one', async () => {
      expect(await hits({ must: [{ key: '"a.b"', match: { value: 1 } }] })).toEqual([1]);
      expect(await hits({ must: [{ key: "a.b", match: { value: 1 } }] })).toEqual([2]);
      expect(await hits({ must: [{ key: 'a."b.c"', range: { gte: 3 } }] })).toEqual([1]);
    });
    it("several indices, and a quoted key with a space", async () => {
      expect(await hits({ must: [{ key: "g[0][1]", match: { value: 5 } }] })).toEqual([2]);
      expect(await hits({ must: [{ key: "g[1][0]", match: { value: 5 } }] })).toEqual([]);
      expect(await hits({ must: [{ key: 'n."x y"', match: { value: "hit" } }] })).toEqual([2]);
      expect(await hits({ must: [{ is_empty: { key: '"sp ace".v' } }] })).toEqual([2]);
    });
  });

  describe("refusals", () => {
    const refused = async (path: string, body: unknown) => {
      const r = await h.raw("POST", `/collections/j${path}`, body);
      expect(r.status).toBe(400);
      return r.json.status.error as string;
    };
    it("a key outside the grammar is refused wherever it enters, saying how to quote it", async () => {
      const a = await refused("/points/payload?wait=true", { points: [1], payload: { v: 1 }, key: "a b" });
      expect(a).toContain("Invalid json path: 'a b'");
      expect(a).toContain('a."b.c"[0]');
      expect(await refused("/points/payload/delete?wait=true", { points: [1], keys: ['a."b'] })).toContain(`Invalid json path: 'a."b'`);
      expect(await refused("/points/scroll", { filter: { must: [{ key: "a..b", match: { value: 1 } }] } })).toContain("Invalid json path: 'a..b'");
      expect(await refused("/points", { ids: [1], with_payload: { include: ["x[y]"] } })).toContain("Invalid json path: 'x[y]'");
    });
  });
});
