/**
 * The numeric functions of Qdrant's formulas (rescore_formula/parsed_formula.rs,
 * formula_scorer.rs): the decays and their lambda, the haversine distance,
 * geo points and date-times read from payload values, Rust's pow, and the
 * text Rust gives floats in Qdrant's messages. Pure functions; formula.ts
 * evaluates the tree with them.
 */

/** Qdrant's decay shapes: linear, gaussian, exponential. */
export type DecayKind = "lin" | "gauss" | "exp";

/** A longitude / latitude pair in degrees. */
export interface GeoPoint {
  lon: number;
  lat: number;
}

const MEAN_EARTH_RADIUS_M = 6371008.8; // the geo crate's Haversine radius, which Qdrant uses

/**
 * Qdrant's lambda of a decay (parsed_formula.rs decay_params_to_lambda), from
 * midpoint (default 0.5) and scale (default 1.0), both f32 in Qdrant's API.
 * Returns the error text for a midpoint or scale out of range.
 */
export function decayLambda(kind: DecayKind, midpoint = 0.5, scale = 1): number | string {
  if (kind === "lin" ? !(midpoint >= 0 && midpoint <= 1) : !(midpoint > 0 && midpoint < 1)) {
    return kind === "lin"
      ? `Linear decay midpoint should be in the range [0.0, 1.0], got ${rustFloat(midpoint)}.`
      : `Decay midpoint should be in the range (0.0, 1.0), got ${rustFloat(midpoint)}.`;
  }
  if (!(scale > 0)) return `Decay scale should be non-zero positive, got ${rustFloat(scale)}.`;
  if (kind === "lin") return (1 - midpoint) / scale;
  return kind === "exp" ? Math.log(midpoint) / scale : Math.log(midpoint) / (scale * scale);
}

/** Qdrant's decays of x around target (formula_scorer.rs): each is 1 at the target and `midpoint` at a distance `scale`. */
export function decay(kind: DecayKind, x: number, target: number, lambda: number): number {
  const d = x - target;
  if (kind === "exp") return Math.exp(lambda * Math.abs(d));
  if (kind === "gauss") return Math.exp(lambda * d * d);
  return Math.max(-lambda * Math.abs(d) + 1, 0);
}

/** The haversine distance in meters between two points, as Qdrant's `geo_distance` (the geo crate's Haversine). */
export function haversine(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const t1 = a.lat * rad;
  const t2 = b.lat * rad;
  const dt = (b.lat - a.lat) * rad;
  const dl = (b.lon - a.lon) * rad;
  const h = Math.sin(dt / 2) ** 2 + Math.cos(t1) * Math.cos(t2) * Math.sin(dl / 2) ** 2;
  return MEAN_EARTH_RADIUS_M * 2 * Math.asin(Math.sqrt(h));
}

/** A float as Rust's `{}` writes it (Qdrant's messages): shortest digits, no exponent, `inf`, `NaN`, `-0`. */
export function rustFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, e] = x.toExponential().split("e") as [string, string];
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const point = Number(e) + 1; // digits before the decimal point
  const body = point <= 0 ? `0.${"0".repeat(-point)}${digits}`
    : point >= digits.length ? digits + "0".repeat(point - digits.length)
    : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? "-" : "") + body;
}

export function toGeo(v: unknown): GeoPoint | string {
  let lon: unknown, lat: unknown;
  if (Array.isArray(v)) {
    if (v.length !== 2) return `invalid length ${v.length}, expected struct GeoPointShadow with 2 elements`;
    [lon, lat] = v;
  } else if (typeof v === "object" && v !== null) {
    ({ lon, lat } = v as Record<string, unknown>);
    if (lon === undefined) return "missing field `lon`";
    if (lat === undefined) return "missing field `lat`";
  } else return `invalid type: ${v === null ? "null" : typeof v === "string" ? `string ${JSON.stringify(v)}` : String(v)}, expected struct GeoPointShadow`;
  if (typeof lon !== "number" || typeof lat !== "number") return "invalid type: expected f64 for `lon` and `lat`";
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) {
    return `Wrong format of GeoPoint payload: expected \`lat\` = ${rustFloat(lat)} within [-90;90] and \`lon\` = ${rustFloat(lon)} within [-180;180]`;
  }
  return { lon, lat };
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?: ?(Z|z|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Seconds since the epoch of a date-time as Qdrant reads one
 * (DateTimePayloadType): RFC 3339, or without a zone (UTC), with `T` or a
 * space, seconds optional, or a date alone; microsecond precision.
 */
export function datetimeSeconds(s: string): number | undefined {
  const m = DATETIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", sec, frac = "", zone] = m;
  if (zone && sec === undefined) return undefined; // a zone needs the seconds (RFC 3339)
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(d) || back.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return undefined;
  let offsetMin = 0;
  if (zone && zone !== "Z" && zone !== "z") {
    const z = zone.replace(":", "");
    offsetMin = (zone[0] === "-" ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5) || 0));
  }
  const micros = (ms - offsetMin * 60_000) * 1000 + Number(frac.padEnd(6, "0").slice(0, 6)); // digits past µs are dropped
  return micros / 1e6;
}

/** Rust's f64::powf: as Math.pow, except that 1^x and x^0 are 1 even for NaN / infinite x (IEEE pow; JS answers NaN for 1^∞). */
export function rustPow(b: number, x: number): number {
  if (b === 1 || x === 0) return 1;
  if (b === -1 && !Number.isFinite(x) && !Number.isNaN(x)) return 1;
  return Math.pow(b, x);
}
