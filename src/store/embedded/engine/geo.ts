/**
 * Qdrant's geo conditions (lib/segment/src/types.rs GeoBoundingBox,
 * GeoRadius, GeoPolygon and their `check_point`; payload_storage/
 * condition_checker.rs for the values): a payload value is a point when it
 * is an object whose `lon` and `lat` are numbers (not range-checked, as
 * Qdrant reads stored values); an array holds when one of its elements does.
 *
 *  - geo_bounding_box: strictly inside, edges excluded; when top_left.lon >
 *    bottom_right.lon the box crosses the antimeridian and keeps lon >
 *    top_left.lon or lon < bottom_right.lon;
 *  - geo_radius: haversine distance (R = 6371008.8 m) strictly below radius;
 *  - geo_polygon: strictly inside the exterior ring and outside every
 *    interior one (a point on any ring is not inside, as the geo crate's
 *    Polygon::contains), in plane lon / lat coordinates.
 *
 * The points of a condition are checked as Qdrant deserializes them: lon in
 * [-180, 180], lat in [-90, 90]; a ring needs at least 4 points and the
 * same first and last point.
 */

import { show, wrongInput } from "./errors.js";
import { type GeoPoint, haversine, rustFloat } from "./formula-functions.js";

/** A test of one geo point. */
export type GeoCheck = (p: GeoPoint) => boolean;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A geo point of a request (a condition, a formula's origin), checked as Qdrant's GeoPoint.
 * @throws EngineError (wrong input) for another shape, or Qdrant's "Wrong format of GeoPoint payload" out of range.
 */
export function parseGeoPoint(v: unknown, where: string): GeoPoint {
  if (!isObject(v) || typeof v.lon !== "number" || typeof v.lat !== "number") {
    throw wrongInput(`${where} must be a geo point {"lon": number, "lat": number}, got ${show(v)}`);
  }
  const { lon, lat } = v;
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
    throw wrongInput(`${where}: Wrong format of GeoPoint payload: expected \`lat\` = ${rustFloat(lat)} within [-90;90] and \`lon\` = ${rustFloat(lon)} within [-180;180]`);
  }
  return { lon, lat };
}

/** A stored payload value read as a point, as Qdrant's checker reads it (numbers only, no range check); undefined otherwise. */
export function payloadGeoPoint(v: unknown): GeoPoint | undefined {
  if (!isObject(v) || typeof v.lon !== "number" || typeof v.lat !== "number") return undefined;
  return { lon: v.lon, lat: v.lat };
}

/** `{"top_left", "bottom_right"}`. */
export function boundingBox(v: unknown, where: string): GeoCheck {
  if (!isObject(v)) throw wrongInput(`${where} must be {"top_left": {"lon", "lat"}, "bottom_right": {"lon", "lat"}}, got ${show(v)}`);
  const tl = parseGeoPoint(v.top_left, `${where}.top_left`);
  const br = parseGeoPoint(v.bottom_right, `${where}.bottom_right`);
  const wraps = tl.lon > br.lon;
  return (p) => (wraps ? p.lon > tl.lon || p.lon < br.lon : tl.lon < p.lon && p.lon < br.lon) && br.lat < p.lat && p.lat < tl.lat;
}

/** `{"center", "radius"}` (meters). */
export function radius(v: unknown, where: string): GeoCheck {
  if (!isObject(v)) throw wrongInput(`${where} must be {"center": {"lon", "lat"}, "radius": meters}, got ${show(v)}`);
  const center = parseGeoPoint(v.center, `${where}.center`);
  const r = v.radius;
  if (typeof r !== "number" || !Number.isFinite(r)) throw wrongInput(`${where}.radius must be a number of meters, got ${show(r)}`);
  return (p) => haversine(center, p) < r;
}

type Ring = GeoPoint[];

/** One GeoLineString of a polygon: `{"points": [...]}`, closed, at least 4 points (Qdrant's validate_line_string). */
function ring(v: unknown, where: string): Ring {
  if (!isObject(v) || !Array.isArray(v.points)) throw wrongInput(`${where} must be {"points": [{"lon", "lat"}, ...]}, got ${show(v)}`);
  const pts = v.points.map((p, i) => parseGeoPoint(p, `${where}.points[${i}]`));
  if (pts.length <= 3) throw wrongInput(`${where}: Validation failed: polygon invalid, the size must be at least 4, got ${pts.length}`);
  const a = pts[0]!;
  const b = pts[pts.length - 1]!;
  if (Math.abs(a.lat - b.lat) > Number.EPSILON || Math.abs(a.lon - b.lon) > Number.EPSILON) {
    throw wrongInput(`${where}: Validation failed: polygon invalid, the first and the last points should be the same to form a closed line`);
  }
  return pts;
}

/** Where a point lies against a closed ring: inside, outside or on it (winding number, a point on a segment is on the ring). */
function ringPosition(r: Ring, p: GeoPoint): "inside" | "outside" | "boundary" {
  let winding = 0;
  for (let i = 0; i + 1 < r.length; i++) {
    const a = r[i]!;
    const b = r[i + 1]!;
    const cross = (b.lon - a.lon) * (p.lat - a.lat) - (p.lon - a.lon) * (b.lat - a.lat);
    if (cross === 0 && Math.min(a.lon, b.lon) <= p.lon && p.lon <= Math.max(a.lon, b.lon) && Math.min(a.lat, b.lat) <= p.lat && p.lat <= Math.max(a.lat, b.lat)) {
      return "boundary";
    }
    if (a.lat <= p.lat) {
      if (b.lat > p.lat && cross > 0) winding++;
    } else if (b.lat <= p.lat && cross < 0) winding--;
  }
  return winding === 0 ? "outside" : "inside";
}

/** `{"exterior": {"points"}, "interiors"?: [{"points"}, ...]}`. */
export function polygon(v: unknown, where: string): GeoCheck {
  if (!isObject(v)) throw wrongInput(`${where} must be {"exterior": {"points": [...]}, "interiors"?: [{"points": [...]}, ...]}, got ${show(v)}`);
  const exterior = ring(v.exterior, `${where}.exterior`);
  const raw = v.interiors;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) throw wrongInput(`${where}.interiors must be a list of {"points": [...]}, got ${show(raw)}`);
  const holes = (raw ?? []).map((h, i) => ring(h, `${where}.interiors[${i}]`));
  return (p) => ringPosition(exterior, p) === "inside" && holes.every((h) => ringPosition(h, p) === "outside");
}

/** The geo condition kinds of a FieldCondition, with their parsers. */
export const GEO_CONDITIONS = { geo_bounding_box: boundingBox, geo_radius: radius, geo_polygon: polygon } as const;
