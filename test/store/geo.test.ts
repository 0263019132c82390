/**
 * Qdrant's geo conditions in the embedded store, through the real client over
 * real HTTP (responses schema-checked). Expectations by hand:
 *
 *   Berlin (13.405, 52.52) to Paris (2.3522, 48.8566)   877,464.5 m
 *                          to London (-0.1276, 51.5072)  931,561.9 m
 *                          to Madrid (-3.7038, 40.4168)  1,869,148.4 m
 *   (haversine, R = 6371008.8 m; the published great-circle figures are
 *   ≈ 878, 932 and 1,869 km)
 *
 *   box (0, 10)–(10, 0): strictly inside; a point on an edge is outside
 *   box (170, 10)–(-170, -10): crosses the antimeridian, lon > 170 or < -170
 *   square 0..10 with a hole 4..6: inside the square and outside the hole,
 *   a point on either ring is not inside
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, harness, tempDirs } from "./helpers.js";

const dirs = tempDirs();
const dir = dirs("geo");
let h: Harness;

const CITIES: Array<[number, string, unknown]> = [
  [1, "berlin", { lon: 13.405, lat: 52.52 }],
  [2, "paris", { lon: 2.3522, lat: 48.8566 }],
  [3, "london", { lon: -0.1276, lat: 51.5072 }],
  [4, "madrid", { lon: -3.7038, lat: 40.4168 }],
];
const PLANE: Array<[number, unknown]> = [
  [10, { lon: 5, lat: 5 }], // box: inside; polygon: in the hole
  [11, { lon: 5, lat: 0 }], // on the box's bottom edge
  [12, { lon: 0, lat: 5 }], // on the box's left edge, on the square's edge
  [13, { lon: 2, lat: 2 }], // inside both
  [14, { lon: 4, lat: 5 }], // on the hole's edge
  [15, { lon: 175, lat: 0 }],
  [16, { lon: -175, lat: 0 }],
  [17, { lon: 180, lat: 5 }],
  [18, [{ lon: 50, lat: 50 }, { lon: 3, lat: 8 }]], // an array: one element inside is enough
  [19, { lon: "5", lat: 5 }], // not a point
  [20, "5,5"],
];

beforeAll(async () => {
  h = await harness("geo", { path: dir });
  await h.client.createCollection("c", { vectors: { size: 1, distance: "Dot" } });
  await h.client.upsert("c", {
    wait: true,
    points: [
      ...CITIES.map(([id, name, loc]) => ({ id, vector: [1], payload: { name, loc } })),
      ...PLANE.map(([id, loc]) => ({ id, vector: [1], payload: { loc } })),
    ],
  });
});
afterAll(async () => {
  await h.stop();
});

const matching = async (cond: Record<string, unknown>) =>
  (await h.client.scroll("c", { filter: { must: [{ key: "loc", ...cond }] }, limit: 100 })).points.map((p) => p.id);
const BERLIN = { lon: 13.405, lat: 52.52 };
const SQUARE = { points: [{ lon: 0, lat: 0 }, { lon: 10, lat: 0 }, { lon: 10, lat: 10 }, { lon: 0, lat: 10 }, { lon: 0, lat: 0 }] };
const HOLE = { points: [{ lon: 4, lat: 4 }, { lon: 6, lat: 4 }, { lon: 6, lat: 6 }, { lon: 4, lat: 6 }, { lon: 4, lat: 4 }] };

describe("geo conditions", () => {
  it("geo_radius: haversine meters from the center, strictly below the radius", async () => {
    expect(await matching({ geo_radius: { center: BERLIN, radius: 877_465 } })).toEqual([1, 2]);
    expect(await matching({ geo_radius: { center: BERLIN, radius: 877_464 } })).toEqual([1]);
    expect(await matching({ geo_radius: { center: BERLIN, radius: 931_562 } })).toEqual([1, 2, 3]);
    expect(await matching({ geo_radius: { center: BERLIN, radius: 1_869_149 } })).toEqual([1, 2, 3, 4]);
    expect(await matching({ geo_radius: { center: BERLIN, radius: 0 } })).toEqual([]);
  });

  it("geo_bounding_box: edges excluded; a box whose top_left.lon > bottom_right.lon wraps the antimeridian", async () => {
    expect(await matching({ geo_bounding_box: { top_left: { lon: 0, lat: 10 }, bottom_right: { lon: 10, lat: 0 } } })).toEqual([10, 13, 14, 18]);
    expect(await matching({ geo_bounding_box: { top_left: { lon: 170, lat: 10 }, bottom_right: { lon: -170, lat: -10 } } })).toEqual([15, 16, 17]);
    // Europe: Berlin, Paris, London; Madrid is south of 45
    expect(await matching({ geo_bounding_box: { top_left: { lon: -5, lat: 55 }, bottom_right: { lon: 15, lat: 45 } } })).toEqual([1, 2, 3]);
  });

  it("geo_polygon: inside the exterior and outside every interior; a point on a ring is not inside", async () => {
    expect(await matching({ geo_polygon: { exterior: SQUARE } })).toEqual([10, 13, 14, 18]);
    expect(await matching({ geo_polygon: { exterior: SQUARE, interiors: [HOLE] } })).toEqual([13, 18]);
    // a concave exterior (an L, lon < 4.5 or lat < 4.5): (5, 5) is in its notch, (4, 5) and (3, 8) in its arm
    const L = { points: [{ lon: 0, lat: 0 }, { lon: 10, lat: 0 }, { lon: 10, lat: 4.5 }, { lon: 4.5, lat: 4.5 }, { lon: 4.5, lat: 10 }, { lon: 0, lat: 10 }, { lon: 0, lat: 0 }] };
    expect(await matching({ geo_polygon: { exterior: L } })).toEqual([13, 14, 18]);
  });

  it("combines with other conditions and works in must_not, count and delete (logged, replayed after a restart)", async () => {
    const europe = { key: "loc", geo_radius: { center: BERLIN, radius: 1_000_000 } };
    expect((await h.client.count("c", { filter: { must_not: [europe], must: [{ key: "name", match: { any: ["madrid", "paris"] } }] }, exact: true })).count).toBe(1);
    await h.client.delete("c", { wait: true, filter: { must: [europe] } });
    const left = async () => (await h.client.scroll("c", { filter: { must: [{ key: "name", match: { except: [] } }] }, limit: 10 })).points.map((p) => p.id);
    expect(await left()).toEqual([4]);
    await h.stop();
    h = await harness("geo", { path: dir });
    expect(await left()).toEqual([4]);
  });

  it("a geo payload index counts the points and is listed in payload_schema", async () => {
    await h.client.createPayloadIndex("c", { wait: true, field_name: "loc", field_schema: "geo" });
    const schema = (await h.client.getCollection("c")).payload_schema;
    // 4, 10..17 (8 points) and both elements of 18: 10 values; 19 and 20 are no geo points
    expect(schema.loc).toEqual({ data_type: "geo", points: 10 });
  });

  it("refuses invalid geo as Qdrant: points out of range, short or open rings (400)", async () => {
    const bad = async (cond: Record<string, unknown>) => {
      const r = await h.raw("POST", "/collections/c/points/scroll", { filter: { must: [{ key: "loc", ...cond }] } });
      expect(r.status).toBe(400);
      return r.json.status.error as string;
    };
    expect(await bad({ geo_radius: { center: { lon: 200, lat: 0 }, radius: 1 } })).toBe(
      "Wrong input: filter.must[0].geo_radius.center: Wrong format of GeoPoint payload: expected `lat` = 0 within [-90;90] and `lon` = 200 within [-180;180]",
    );
    expect(await bad({ geo_bounding_box: { top_left: { lon: 0, lat: 91 }, bottom_right: { lon: 1, lat: 0 } } })).toMatch(/top_left: Wrong format of GeoPoint payload: expected `lat` = 91/);
    expect(await bad({ geo_polygon: { exterior: { points: SQUARE.points.slice(0, 3) } } })).toBe(
      "Wrong input: filter.must[0].geo_polygon.exterior: Validation failed: polygon invalid, the size must be at least 4, got 3",
    );
    expect(await bad({ geo_polygon: { exterior: SQUARE, interiors: [{ points: HOLE.points.slice(0, 4) }] } })).toBe(
      "Wrong input: filter.must[0].geo_polygon.interiors[0]: Validation failed: polygon invalid, the first and the last points should be the same to form a closed line",
    );
    expect(await bad({ geo_radius: { center: BERLIN } })).toMatch(/geo_radius.radius must be a number of meters, got undefined/);
    expect(await bad({ geo_radius: { center: BERLIN, radius: 1 }, match: { value: "x" } })).toMatch(/needs exactly one of match, range, values_count, geo_bounding_box, geo_radius, geo_polygon; got match, geo_radius/);
  });
});
