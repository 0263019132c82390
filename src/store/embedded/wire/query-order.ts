/** The Query API's `{"order_by": ...}` and `{"sample": "random"}` read into engine/order-by.ts plans. */

import { show } from "../engine/errors.js";
import { type OrderBy, rangeIndexKind } from "../engine/order-by.js";
import { parsePath } from "../engine/paths.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `"key"` or `{"key", "direction": "asc" | "desc", "start_from": number | datetime}`, on a key with a range index. */
export function parseOrderBy(col: Collection, v: unknown, where: string): OrderBy {
  const o = typeof v === "string" ? { key: v } : v;
  if (!isObject(o)) throw badRequest(`${where} must be a payload key or {"key", "direction", "start_from"}, got ${show(v)}`);
  const key = o.key;
  const steps = parsePath(key, `${where}.key`);
  const kind = rangeIndexKind(col.indexes[key as string]);
  if (!kind) {
    throw badRequest(
      `No range index for \`order_by\` key: \`${String(key)}\`. Please create one to use \`order_by\`. ` +
        `Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions`,
    );
  }
  const dir = o.direction ?? "asc";
  if (dir !== "asc" && dir !== "desc") throw badRequest(`${where}.direction ${show(dir)} is unknown. Should be one of: "asc", "desc"`);
  const ob: OrderBy = { key: key as string, steps, kind, desc: dir === "desc" };
  const s = o.start_from;
  if (s === undefined || s === null) return ob;
  if (typeof s === "number" && Number.isFinite(s)) {
    // compared with the index's own values, as Qdrant does: microseconds for a datetime index
    ob.startFrom = s;
  } else if (typeof s === "string" && !Number.isNaN(Date.parse(s))) {
    ob.startFrom = Date.parse(s) * 1000;
  } else {
    throw badRequest(`${where}.start_from must be a number or an RFC 3339 date-time, got ${show(s)}`);
  }
  return ob;
}

/** `"random"`, the one sampling Qdrant has. */
export function parseSample(v: unknown, where: string): true {
  if (v !== "random") throw badRequest(`${where} ${show(v)} is unknown. Should be one of: "random"`);
  return true;
}
