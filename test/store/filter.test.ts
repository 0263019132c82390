/** Qdrant filter semantics, on the compiled predicates. */

import { describe, expect, it } from "vitest";
import { compileFilter } from "../../src/store/embedded/wire/filter.js";
import { HttpError } from "../../src/store/embedded/wire/errors.js";

const P = {
  price: 499.9, amount: 10, rating: [3, 7, 9, 9], color: "red", has_delivery: true,
  parts: [], packaging: null, not_null: [null], text: "a quick brown fox",
  country: { name: "Germany", cities: [{ name: "Berlin", population: 3.7, sights: ["Reichstag"] }, { name: "Munich", population: 1.5 }] },
  shipped: "2020-02-15T00:00:00Z",
};

function check(filter: unknown, id: number | string = 1): boolean {
  return compileFilter(filter)!(P, id);
}
const must = (c: unknown) => check({ must: [c] });

describe("filter conditions", () => {
  it("match value / any / except / text", () => {
    expect(must({ key: "color", match: { value: "red" } })).toBe(true);
    expect(must({ key: "color", match: { value: "blue" } })).toBe(false);
    expect(must({ key: "amount", match: { value: 10 } })).toBe(true);
    expect(must({ key: "has_delivery", match: { value: true } })).toBe(true);
    expect(must({ key: "rating", match: { value: 7 } })).toBe(true); // any element of an array
    expect(must({ key: "color", match: { any: ["blue", "red"] } })).toBe(true);
    expect(must({ key: "color", match: { except: ["blue", "red"] } })).toBe(false);
    expect(must({ key: "color", match: { except: ["blue"] } })).toBe(true);
    expect(must({ key: "missing", match: { except: ["blue"] } })).toBe(false);
    expect(must({ key: "text", match: { text: "quick brown" } })).toBe(true);
    expect(must({ key: "text", match: { text: "slow" } })).toBe(false);
  });

  it("range on numbers and date-times, values_count", () => {
    expect(must({ key: "price", range: { gt: 400, lte: 499.9 } })).toBe(true);
    expect(must({ key: "price", range: { lt: 499.9 } })).toBe(false);
    expect(must({ key: "rating", range: { gte: 9 } })).toBe(true);
    expect(must({ key: "color", range: { gte: 0 } })).toBe(false);
    expect(must({ key: "shipped", datetime_range: { gt: "2020-01-01T00:00:00Z" } })).toBe(true);
    expect(must({ key: "rating", values_count: { gte: 4, lt: 5 } })).toBe(true);
    expect(must({ key: "color", values_count: { gt: 1 } })).toBe(false);
    expect(must({ key: "missing", values_count: { lt: 1 } })).toBe(true);
  });

  it("is_empty and is_null, as Qdrant defines them", () => {
    expect(must({ is_empty: { key: "price" } })).toBe(false);
    expect(must({ is_empty: { key: "missing" } })).toBe(true);
    expect(must({ is_empty: { key: "parts" } })).toBe(true);
    expect(must({ is_empty: { key: "packaging" } })).toBe(true);
    expect(must({ is_empty: { key: "not_null" } })).toBe(false);
    expect(must({ is_null: { key: "packaging" } })).toBe(true);
    expect(must({ is_null: { key: "missing" } })).toBe(false);
    expect(must({ is_null: { key: "parts" } })).toBe(false);
    expect(must({ is_null: { key: "not_null" } })).toBe(false);
  });

  it("has_id, nested keys a.b and a[].b, and nested filters", () => {
    expect(must({ has_id: [1, 2] })).toBe(true);
    expect(check({ must: [{ has_id: [2] }] }, 1)).toBe(false);
    expect(check({ must: [{ has_id: ["5C56C793-69F3-4FBF-87E6-C4BF54C28C26"] }] }, "5c56c793-69f3-4fbf-87e6-c4bf54c28c26")).toBe(true);
    expect(must({ key: "country.name", match: { value: "Germany" } })).toBe(true);
    expect(must({ key: "country.cities[].name", match: { value: "Munich" } })).toBe(true);
    expect(must({ key: "country.cities[].sights", match: { value: "Reichstag" } })).toBe(true);
    expect(must({ key: "country.cities[0].name", match: { value: "Berlin" } })).toBe(true);
    // a key steps into an object only (Qdrant's value_get): without [] an array of objects yields nothing
    expect(must({ key: "country.cities.name", match: { value: "Munich" } })).toBe(false);
    expect(must({ key: "country.cities.name", match: { except: ["Munich"] } })).toBe(false);
    expect(must({ is_empty: { key: "country.cities.name" } })).toBe(true);
    // the same element must pass the whole nested filter
    const nested = (name: string, pop: number) => must({
      nested: { key: "country.cities", filter: { must: [{ key: "name", match: { value: name } }, { key: "population", range: { gt: pop } }] } },
    });
    expect(nested("Berlin", 3)).toBe(true);
    expect(nested("Munich", 3)).toBe(false);
  });

  it("must / should / must_not / min_should combine as in Qdrant", () => {
    const red = { key: "color", match: { value: "red" } };
    const blue = { key: "color", match: { value: "blue" } };
    const ten = { key: "amount", match: { value: 10 } };
    expect(check({ should: [red, blue] })).toBe(true);
    expect(check({ should: [blue] })).toBe(false);
    expect(check({ must_not: [blue] })).toBe(true);
    expect(check({ must: [red], must_not: [ten] })).toBe(false);
    expect(check({ min_should: { conditions: [red, blue, ten], min_count: 2 } })).toBe(true);
    expect(check({ min_should: { conditions: [red, blue, ten], min_count: 3 } })).toBe(false);
    expect(check({ must: [{ should: [blue, { must_not: [blue] }] }] })).toBe(true);
    expect(check({ must: red })).toBe(true); // a single condition instead of a list
    expect(check({})).toBe(true);
    expect(check({ should: [] })).toBe(false); // as Qdrant's check_should: any() of nothing
  });
});

describe("filter shape errors", () => {
  const bad = (f: unknown) => {
    try {
      compileFilter(f);
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).status).toBe(400);
      return (e as Error).message;
    }
    throw new Error("accepted a bad filter");
  };
  it("names the place and the shapes it expects", () => {
    expect(bad({ must: [{ foo: 1 }] })).toMatch(/filter\.must\[0\]: condition \{"foo":1\} has an unknown shape/);
    expect(bad({ whatever: [] })).toMatch(/unknown clause "whatever"/);
    expect(bad({ must: [{ key: "a", match: { value: 1.5 } }] })).toMatch(/match\.value must be a string, an integer or a boolean/);
    expect(bad({ must: [{ key: "a", range: { gt: "x" } }] })).toMatch(/range\.gt must be an RFC 3339 date-time/);
    expect(bad({ must: [{ key: "", match: { value: 1 } }] })).toMatch(/non-empty string/);
    expect(bad({ must: [{ key: "a" }] })).toMatch(/needs exactly one of match, range, values_count/);
    expect(bad({ must: [{ has_id: [-1] }] })).toMatch(/neither an unsigned integer nor a UUID/);
    expect(bad({ must: [{ nested: { key: "a", filter: { must: [{ has_id: [1] }] } } }] })).toMatch(/has_id is not allowed inside a nested filter/);
    expect(bad([1])).toMatch(/must be an object/);
  });
});
