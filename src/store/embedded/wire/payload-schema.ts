/**
 * Payload indexes as Qdrant lists them: `field_schema` checked where it
 * enters (a type name, or `{ "type": ..., params }`), and `payload_schema`
 * entries `{ data_type, params, points }` where `points` is the number of
 * points holding a value of the index's type at the field (what Qdrant's
 * index would hold). The exact scan does not need the index.
 */

import { show } from "../engine/errors.js";
import { parsePath } from "../engine/paths.js";
import type { Collection } from "../state/collection.js";
import { valuesAt } from "../state/payload.js";
import { badRequest } from "./errors.js";

/** Qdrant's PayloadSchemaType names. */
export const FIELD_TYPES = ["keyword", "integer", "float", "geo", "text", "bool", "datetime", "uuid"] as const;
type FieldType = (typeof FIELD_TYPES)[number];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Check a `field_schema`: absent means keyword (as the store always took it).
 * @throws HttpError 400 naming the value and the accepted types.
 */
export function parseFieldSchema(v: unknown, where: string): string | Record<string, unknown> {
  if (v === undefined || v === null) return "keyword";
  const t = isObject(v) ? v.type : v;
  if (typeof t !== "string" || !FIELD_TYPES.includes(t as FieldType)) {
    throw badRequest(`${where} must be one of ${FIELD_TYPES.map((x) => `"${x}"`).join(", ")} or {"type": ..., params}, got ${show(v)}`);
  }
  return isObject(v) ? structuredClone(v) : t;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Whether one value is one Qdrant would index under `type`. */
function fits(type: FieldType, v: unknown): boolean {
  switch (type) {
    case "keyword": case "text": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "float": return typeof v === "number";
    case "bool": return typeof v === "boolean";
    case "uuid": return typeof v === "string" && UUID.test(v);
    case "datetime": return typeof v === "string" && !Number.isNaN(Date.parse(v));
    case "geo": return isObject(v) && typeof v.lon === "number" && typeof v.lat === "number";
  }
}

/** The number of points that hold at least one value of `type` at `field` (arrays count by their elements). */
export function indexedPoints(col: Collection, field: string, type: FieldType): number {
  const steps = parsePath(field, "field_name");
  return col.rowsWhere((p) => valuesAt(p, steps).some((v) => (Array.isArray(v) ? v.some((e) => fits(type, e)) : fits(type, v)))).length;
}

/** The collection's `payload_schema` as Qdrant answers it. */
export function payloadSchema(col: Collection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(col.indexes)) {
    const named = isObject(schema) ? schema.type : schema;
    // indexes recorded before field_schema was checked may name no known type: they were taken as keyword
    const type: FieldType = FIELD_TYPES.includes(named as FieldType) ? (named as FieldType) : "keyword";
    const entry: Record<string, unknown> = { data_type: type };
    if (isObject(schema)) entry.params = schema;
    entry.points = indexedPoints(col, field, type);
    out[field] = entry;
  }
  return out;
}
