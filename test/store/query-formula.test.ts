/**
 * Formula queries in the embedded store (Qdrant 1.19's `{"formula", "defaults"}`),
 * through the real client over real HTTP, every response checked against
 * Qdrant's schema. Every expected score is worked out by hand from Qdrant's
 * rules (rescore_formula/formula_scorer.rs, parsed_formula.rs) and written
 * here as a number; error texts are Qdrant's.
 *
 * Five Dot points (the prefetch test's), scored by A = [1, 0] and B = [0, 1]:
 *   id:      1       2       3       4       5
 *   vector: [3, 0]  [0, 3]  [2, 2]  [4, −1]  [−1, 5]
 *   A:       3       0       2       4      −1
 *   B:       0       3       2      −1       5
 *   x:       0       1       2      −3       4      (payload "x")
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datetimeSeconds, decay, decayLambda, haversine, rustFloat } from "../../src/store/embedded/engine/formula-functions.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness;
const A = [1, 0];
const B = [0, 1];
const X: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: -3, 5: 4 };
const payloads: Record<number, Record<string, unknown>> = {
  1: { x: 0, p: 2, flag: "y", nest: { v: 1.5 }, "a.b": 7, arr: [10, 20], one: [6], loc: { lon: 0, lat: 0 }, when: "2025-03-18T01:00:00Z", big: 1e39 },
  2: { x: 1, p: 4, flag: "n", nest: { v: -2 }, "a.b": 8, arr: [30, 40], one: [7], loc: { lon: 0, lat: 1 }, when: "2025-03-18T00:00:00+01:00" },
  3: { x: 2, p: 16, flag: "y", nest: { v: 0 }, "a.b": 9, arr: [50], one: 8, loc: { lon: 90, lat: 0 }, when: "2025-03-19" },
  4: { x: -3, p: 0, nest: { v: 3 }, a: { b: 100 }, arr: [1, 2], one: [9], loc: [{ lon: 0, lat: -1 }], when: "2025-03-18 00:00:30", many: [1, 2] },
  5: { x: 4, p: 1, flag: "y", nest: { v: 4 }, "a.b": 11, arr: [0, 5], one: [10], loc: { lon: -100.23881855976, lat: 25.628482424190565 }, when: "2025-03-18T00:00:00.5Z" },
};

beforeAll(async () => {
  h = await harness("query-formula");
  await h.client.createCollection("f", { vectors: { size: 2, distance: "Dot" } });
  const vs: Record<number, number[]> = { 1: [3, 0], 2: [0, 3], 3: [2, 2], 4: [4, -1], 5: [-1, 5] };
  await h.client.upsert("f", { wait: true, points: Object.entries(vs).map(([id, vector]) => ({ id: Number(id), vector, payload: payloads[Number(id)] })) });
});
afterAll(async () => {
  await h.stop();
});

type Scored = { points: Array<{ id: string | number; score: number }> };
/** The five points' prefetch (all of them by A), then the formula. */
const all = (formula: unknown, defaults?: Record<string, unknown>, ids?: number[]) => ({
  prefetch: { query: A, limit: 10, ...(ids ? { filter: { must: [{ has_id: ids }] } } : {}) },
  query: { formula, ...(defaults ? { defaults } : {}) } as never,
  limit: 10,
});
async function scores(body: unknown): Promise<Record<number, number>> {
  const r = (await h.client.query("f", body as never)) as Scored;
  return Object.fromEntries(r.points.map((p) => [Number(p.id), p.score]));
}
function expectScores(got: Record<number, number>, want: Record<number, number>, digits = 6) {
  expect(Object.keys(got).map(Number).sort()).toEqual(Object.keys(want).map(Number).sort());
  for (const [id, v] of Object.entries(want)) expect(got[Number(id)], `point ${id}`).toBeCloseTo(v, digits);
}
async function refused(body: unknown): Promise<{ status: number; error: string }> {
  const r = await h.raw("POST", "/collections/f/points/query", body);
  return { status: r.status, error: r.json.status?.error ?? "" };
}

describe("decay functions at points computed by hand", () => {
  it("exp_decay, defaults (target 0, scale 1, midpoint 0.5): 0.5^|x|", async () => {
    expectScores(await scores(all({ exp_decay: { x: "x" } })), { 1: 1, 2: 0.5, 3: 0.25, 4: 0.125, 5: 0.0625 });
  });
  it("exp_decay, target 1, scale 2, midpoint 0.25: 0.25^(|x − 1| / 2)", async () => {
    // |x − 1| = 1, 0, 1, 4, 3
    expectScores(await scores(all({ exp_decay: { x: "x", target: 1, scale: 2, midpoint: 0.25 } })), { 1: 0.5, 2: 1, 3: 0.5, 4: 0.0625, 5: 0.125 });
  });
  it("gauss_decay, target 2, scale 2, midpoint 0.5: 0.5^((x − 2)² / 4)", async () => {
    // (x − 2)² / 4 = 1, 1/4, 0, 25/4, 1: 0.5, 2^−0.25, 1, 2^−6.25, 0.5
    expectScores(await scores(all({ gauss_decay: { x: "x", target: 2, scale: 2, midpoint: 0.5 } })), {
      1: 0.5, 2: 0.8408964152537145, 3: 1, 4: 0.013139006488339289, 5: 0.5,
    });
  });
  it("lin_decay, scale 4, midpoint 0.5: 1 − |x| / 8", async () => {
    expectScores(await scores(all({ lin_decay: { x: "x", scale: 4 } })), { 1: 1, 2: 0.875, 3: 0.75, 4: 0.625, 5: 0.5 });
  });
  it("lin_decay, scale 2, midpoint 0: 1 − |x| / 2, never below 0", async () => {
    expectScores(await scores(all({ lin_decay: { x: "x", scale: 2, midpoint: 0 } })), { 1: 1, 2: 0.5, 3: 0, 4: 0, 5: 0 });
  });
  it("a target given by an expression (the prefetch score): exp_decay of x around $score", async () => {
    // |x − A| = 3, 1, 0, 7, 5
    expectScores(await scores(all({ exp_decay: { x: "x", target: "$score" } })), { 1: 0.125, 2: 0.5, 3: 1, 4: 0.5 ** 7, 5: 0.5 ** 5 });
  });
  it("the lambdas (pure): lin (1 − m) / s, exp ln(m) / s, gauss ln(m) / s²", () => {
    expect(decayLambda("lin", 0.5, 4)).toBe(0.125);
    expect(decayLambda("exp", 0.5, 1)).toBe(-0.6931471805599453);
    expect(decayLambda("gauss", 0.5, 2)).toBe(-0.6931471805599453 / 4);
    expect(decay("lin", 10, 0, 0.125)).toBe(0);
    expect(decay("gauss", -1, 1, -0.6931471805599453 / 4)).toBeCloseTo(0.5, 15);
  });
});

describe("every expression form", () => {
  it("a constant (an f32, as Qdrant reads it)", async () => {
    expectScores(await scores(all(2.5)), { 1: 2.5, 2: 2.5, 3: 2.5, 4: 2.5, 5: 2.5 });
    // 2^24 + 1 has no f32: it is read as 2^24, so the sum is 0 (1 in f64)
    const r = await scores(all({ sum: [16777217, -16777216] }, undefined, [1]));
    expect(r[1]).toBe(0);
  });
  it('"$score" and "$score[0]": the prefetch score', async () => {
    const want = { 1: 3, 2: 0, 3: 2, 4: 4, 5: -1 };
    expectScores(await scores(all("$score")), want);
    expectScores(await scores(all("$score[0]")), want);
  });
  it("payload keys: a number, a nested key, a quoted key with a dot, an index, an array of one value", async () => {
    expectScores(await scores(all("p")), { 1: 2, 2: 4, 3: 16, 4: 0, 5: 1 });
    expectScores(await scores(all("nest.v")), { 1: 1.5, 2: -2, 3: 0, 4: 3, 5: 4 });
    // "a.b" quoted is the key with a dot; point 4 has only the nested a.b
    expectScores(await scores(all('"a.b"', undefined, [1, 2, 3, 5])), { 1: 7, 2: 8, 3: 9, 5: 11 });
    expectScores(await scores(all("a.b", undefined, [4])), { 4: 100 });
    expectScores(await scores(all("arr[1]", undefined, [1, 2, 4, 5])), { 1: 20, 2: 40, 4: 2, 5: 5 });
    // an array of one number is that number (Qdrant flattens an array value)
    expectScores(await scores(all("one")), { 1: 6, 2: 7, 3: 8, 4: 9, 5: 10 });
    expectScores(await scores(all("arr", undefined, [3])), { 3: 50 });
    // a key does not reach into an array (Qdrant's value_get): point 4's loc is [{lon, lat}]
    expectScores(await scores(all("loc.lon", { "loc.lon": -1 }, [4])), { 4: -1 });
    expectScores(await scores(all("loc[].lat", undefined, [4])), { 4: -1 });
    expectScores(await scores(all("loc[0].lat", undefined, [4])), { 4: -1 });
  });
  it("conditions: 1 when they hold, else 0 (field, has_id, a filter)", async () => {
    expectScores(await scores(all({ key: "flag", match: { value: "y" } })), { 1: 1, 2: 0, 3: 1, 4: 0, 5: 1 });
    expectScores(await scores(all({ has_id: [2, 4] })), { 1: 0, 2: 1, 3: 0, 4: 1, 5: 0 });
    expectScores(await scores(all({ must_not: [{ key: "p", range: { gte: 4 } }] })), { 1: 1, 2: 0, 3: 0, 4: 1, 5: 1 });
    expectScores(await scores(all({ key: '"a.b"', range: { gt: 8 } })), { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 });
  });
  it("sum and mult (a boost: score + 10 · condition)", async () => {
    expectScores(await scores(all({ sum: ["$score", { mult: [10, { key: "flag", match: { value: "y" } }] }] })), { 1: 13, 2: 0, 3: 12, 4: 4, 5: 9 });
    expectScores(await scores(all({ mult: ["p", "x", 0.5] })), { 1: 0, 2: 2, 3: 16, 4: 0, 5: 2 });
    expectScores(await scores(all({ sum: [] })), { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });
    expectScores(await scores(all({ mult: [] })), { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
  });
  it("a product stops at a zero factor: a missing key after it is never read", async () => {
    expectScores(await scores(all({ mult: ["p", "missing"] }, undefined, [4])), { 4: 0 });
  });
  it("div, and division by zero with by_zero_default", async () => {
    expectScores(await scores(all({ div: { left: "p", right: 2 } })), { 1: 1, 2: 2, 3: 8, 4: 0, 5: 0.5 });
    // x = 0 for point 1: the default; 0 / anything is 0 without reading the divisor (point 4's p = 0)
    expectScores(await scores(all({ div: { left: "p", right: "x", by_zero_default: -1 } })), { 1: -1, 2: 4, 3: 8, 4: 0, 5: 0.25 });
    expectScores(await scores(all({ div: { left: 0, right: "missing" } }, undefined, [1])), { 1: 0 });
  });
  it("neg, abs, sqrt, pow, exp, log10, ln", async () => {
    expectScores(await scores(all({ neg: "x" })), { 1: 0, 2: -1, 3: -2, 4: 3, 5: -4 });
    expectScores(await scores(all({ abs: "x" })), { 1: 0, 2: 1, 3: 2, 4: 3, 5: 4 });
    expectScores(await scores(all({ sqrt: "p" })), { 1: Math.SQRT2, 2: 2, 3: 4, 4: 0, 5: 1 });
    expectScores(await scores(all({ pow: { base: 2, exponent: "x" } })), { 1: 1, 2: 2, 3: 4, 4: 0.125, 5: 16 });
    expectScores(await scores(all({ pow: { base: "p", exponent: 0.5 } })), { 1: Math.SQRT2, 2: 2, 3: 4, 4: 0, 5: 1 });
    expectScores(await scores(all({ exp: "x" }, undefined, [1, 2])), { 1: 1, 2: 2.718281828459045 });
    expectScores(await scores(all({ log10: { mult: ["p", 250] } }, undefined, [2, 3])), { 2: 3, 3: 3.6020599913279625 });
    expectScores(await scores(all({ ln: "p" }, undefined, [5])), { 5: 0 });
    expectScores(await scores(all({ ln: { exp: 3 } }, undefined, [5])), { 5: 3 });
  });
  it("geo_distance: haversine meters from the origin (R = 6371008.8 m)", async () => {
    const r = await scores(all({ geo_distance: { origin: { lon: 0, lat: 0 }, to: "loc" } }, undefined, [1, 2, 3, 4]));
    // 1°: R·π/180 = 111195.0802 m; a quarter circle R·π/2; point 4 holds an array of one point
    expectScores(r, { 1: 0, 2: 111195.08023353292, 3: 10007557.221017962, 4: 111195.08023353292 }, 0);
    // Qdrant's own test case (formula_scorer.rs): 21926.494151786308 m
    const q = await scores(all({ geo_distance: { origin: { lon: -100.43383200156751, lat: 25.717877679163667 }, to: "loc" } }, undefined, [5]));
    expect(q[5]).toBeCloseTo(21926.494151786308, 2);
    expect(haversine({ lon: -100.43383200156751, lat: 25.717877679163667 }, { lon: -100, lat: 25 })).toBeCloseTo(90951.29600298218, 8);
  });
  it("datetime and datetime_key: seconds since the epoch", async () => {
    // 2025-03-18T00:00:00Z = 1742256000 s; the keys differ from it by 1 h, −1 h, 1 day, 30 s, 0.5 s
    expectScores(await scores(all({ datetime: "2025-03-18T00:00:00Z" }, undefined, [1])), { 1: 1742256000 }, 0);
    expectScores(await scores(all({ sum: [{ datetime_key: "when" }, { neg: { datetime: "2025-03-18" } }] })), { 1: 3600, 2: -3600, 3: 86400, 4: 30, 5: 0.5 }, 3);
    expect(datetimeSeconds("2025-03-18T00:00:00.000001Z")).toBe(1742256000.000001);
    expect(datetimeSeconds("2025-02-30")).toBeUndefined();
    expect(datetimeSeconds("2025-03-18T00:00Z")).toBeUndefined();
  });
});

describe("$score[i], defaults, threshold", () => {
  // prefetch 0: A, best 3 = 4 (4), 1 (3), 3 (2); prefetch 1: B, best 3 = 5 (5), 2 (3), 3 (2)
  const two = (formula: unknown, defaults?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    prefetch: [{ query: A, limit: 3 }, { query: B, limit: 3 }],
    query: { formula, ...(defaults ? { defaults } : {}) } as never,
    ...extra,
  });
  it("a point absent from a prefetch scores 0 there", async () => {
    const r = (await h.client.query("f", two({ sum: ["$score[0]", "$score[1]"] }) as never)) as Scored;
    // 1: 3 + 0, 2: 0 + 3, 3: 2 + 2, 4: 4 + 0, 5: 0 + 5; ties by id
    expect(r.points.map((p) => [p.id, p.score])).toEqual([[5, 5], [3, 4], [4, 4], [1, 3], [2, 3]]);
  });
  it("...or its default", async () => {
    const r = (await h.client.query("f", two({ sum: ["$score[0]", "$score[1]"] }, { "$score[1]": -10 }) as never)) as Scored;
    expect(r.points.map((p) => [p.id, p.score])).toEqual([[5, 5], [3, 4], [2, 3], [4, -6], [1, -7]]);
  });
  it("a score index past the prefetches takes its default, else 0", async () => {
    expectScores(await scores(all("$score[7]")), { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });
    expectScores(await scores(all("$score[7]", { "$score[7]": 1.5 })), { 1: 1.5, 2: 1.5, 3: 1.5, 4: 1.5, 5: 1.5 });
  });
  it("payload defaults: a missing key takes it; a key written either way is one variable", async () => {
    expectScores(await scores(all({ sum: ["flagged", 1] }, { flagged: 2 })), { 1: 3, 2: 3, 3: 3, 4: 3, 5: 3 });
    // point 4 has no top-level "a.b": it takes the default; nest."missing" and nest.missing are one key
    expectScores(await scores(all('"a.b"', { '"a.b"': -5 }, [3, 4])), { 3: 9, 4: -5 });
    expectScores(await scores(all("nest.missing", { 'nest."missing"': 0.25 }, [1])), { 1: 0.25 });
  });
  it("score_threshold keeps formula scores at or above it; limit and offset cut the ranking", async () => {
    const r = (await h.client.query("f", two({ sum: ["$score[0]", "$score[1]"] }, undefined, { score_threshold: 4 }) as never)) as Scored;
    expect(r.points.map((p) => p.id)).toEqual([5, 3, 4]);
    const s = (await h.client.query("f", two({ sum: ["$score[0]", "$score[1]"] }, undefined, { limit: 2, offset: 1 }) as never)) as Scored;
    expect(s.points.map((p) => p.id)).toEqual([3, 4]);
  });
  it("a formula inside a prefetch, fused with rrf", async () => {
    const r = (await h.client.query("f", {
      prefetch: [{ prefetch: { query: A, limit: 10 }, query: { formula: "p" } as never, limit: 2 }, { query: B, limit: 2 }],
      query: { fusion: "rrf" },
    } as never)) as Scored;
    // formula p: 3 (16), 2 (4); B: 5, 2 → 2 is in both (rank 2 and 2): 2 = 1/3 + 1/3, 3 = 1/2, 5 = 1/2
    expect(r.points[0]!.id).toBe(2);
    expect(r.points[0]!.score).toBeCloseTo(2 / 3, 6);
    expect(r.points.slice(1).map((p) => p.id).sort()).toEqual([3, 5]);
  });
});

describe("refusals in Qdrant's words", () => {
  it("a variable with no value and no default", async () => {
    const r = await refused(all("missing"));
    expect(r.status).toBe(400);
    expect(r.error).toContain("Wrong input: Expected number value for missing in the payload and/or in the formula defaults. Error: No value found in a payload nor defaults");
  });
  it("a value that is not a number, or several of them", async () => {
    const a = await refused(all("flag", undefined, [2]));
    expect(a.error).toContain("Expected number value for flag in the payload and/or in the formula defaults. Error: Value is not a number");
    const b = await refused(all("many", undefined, [4]));
    expect(b.status).toBe(400);
    expect(b.error).toContain("Expected number value for many in the payload and/or in the formula defaults. Error: Value is not a number");
    const c = await refused(all({ geo_distance: { origin: { lon: 0, lat: 0 }, to: "p" } }));
    expect(c.error).toContain("Expected geo point value for p in the payload and/or in the formula defaults.");
  });
  it("non-finite steps and results", async () => {
    const cases: [unknown, string][] = [
      [{ div: { left: 1, right: 0 } }, "The expression 1/0 = inf produced a non-finite number"],
      [{ sqrt: -3 }, "The expression √-3 = NaN produced a non-finite number"],
      [{ log10: 0 }, "The expression log10(0) = -inf produced a non-finite number"],
      [{ ln: 0 }, "The expression ln(0) = -inf produced a non-finite number"],
      [{ pow: { base: -8, exponent: 0.5 } }, "The expression -8^0.5 = NaN produced a non-finite number"],
      [{ exp: 1000 }, "The expression exp(1000) = inf produced a non-finite number"],
      // the f64 value fits, its f32 does not
      ["big", "The expression 1000000000000000000000000000000000000000 as f32 = inf produced a non-finite number"],
    ];
    for (const [formula, text] of cases) {
      const r = await refused(all(formula, undefined, [1]));
      expect(r.status, JSON.stringify(formula)).toBe(400);
      expect(r.error).toContain(`Wrong input: ${text}`);
    }
  });
  it("malformed formulas", async () => {
    const cases: [unknown, string][] = [
      [{ foo: 1 }, 'query.formula {"foo":1} is not an expression'],
      [true, "query.formula true is not an expression"],
      ["$foo", "Validation failed: failed to parse variable ID $foo: Invalid reserved word: $foo"],
      ["$score[]", "Validation failed: failed to parse variable ID $score[]: Invalid reserved variable: $score[]"],
      ["$score.x", "Invalid reserved variable: $score.x"],
      ["a b", "Validation failed: failed to parse variable ID a b: Invalid payload variable: a b"],
      [{ exp_decay: { x: "x", midpoint: 1 } }, "Validation failed: Decay midpoint should be in the range (0.0, 1.0), got 1."],
      [{ gauss_decay: { x: "x", midpoint: 0 } }, "Decay midpoint should be in the range (0.0, 1.0), got 0."],
      [{ lin_decay: { x: "x", midpoint: 1.5 } }, "Linear decay midpoint should be in the range [0.0, 1.0], got 1.5."],
      [{ lin_decay: { x: "x", scale: 0 } }, "Decay scale should be non-zero positive, got 0."],
      [{ div: { left: 1 } }, "query.formula.div: missing field `right`"],
      [{ datetime: "yesterday" }, "failed to parse date-time yesterday"],
      [{ geo_distance: { origin: { lon: 200, lat: 0 }, to: "loc" } }, "Wrong format of GeoPoint payload: expected `lat` = 0 within [-90;90] and `lon` = 200 within [-180;180]"],
      [{ datetime_key: "a b" }, "Invalid json path: 'a b'"],
    ];
    for (const [formula, text] of cases) {
      const r = await refused(all(formula));
      expect(r.status, JSON.stringify(formula)).toBe(400);
      expect(r.error).toContain(text);
    }
  });
  it("422 where Qdrant's validator refuses: a condition with only a key, a bad default name, a $score default that is no number", async () => {
    const a = await refused(all({ sum: [1, { key: "p" }] }));
    expect(a).toEqual({ status: 422, error: "Validation error in JSON body: [query.sum[1]: Validation error: At least one field condition must be specified [{}]]" });
    const b = await refused(all(1, { "$nope": 1 }));
    expect(b).toEqual({ status: 422, error: "Validation error in JSON body: [query.defaults: Invalid reserved word: $nope]" });
    const c = await refused({ prefetch: [all({ div: { left: { key: "p" }, right: 1 } })] , query: { fusion: "rrf" } });
    expect(c.error).toBe("Validation error in JSON body: [prefetch[0].query.div.left: Validation error: At least one field condition must be specified [{}]]");
    const d = await refused(all(1, { "$score": "high" }));
    expect(d.error).toBe("Validation error in JSON body: [query.defaults: Validation error: Score default must be a number [{}]]");
  });
  it("a formula needs prefetches", async () => {
    const r = await refused({ query: { formula: 1 } });
    expect(r.status).toBe(400);
    expect(r.error).toContain("cannot apply Formula without prefetches");
  });
  it("Rust's float text (pure)", () => {
    expect([rustFloat(1), rustFloat(-0.5), rustFloat(1e21), rustFloat(1.5e-7), rustFloat(-0), rustFloat(NaN), rustFloat(-Infinity)])
      .toEqual(["1", "-0.5", "1000000000000000000000", "0.00000015", "-0", "NaN", "-inf"]);
  });
});
