/** POST /points/query/groups: a Query API body plus group_by, group_size and with_lookup, answered as Qdrant's GroupsResult. */

import { show } from "../engine/errors.js";
import { groupHits } from "../engine/groups.js";
import { parseId } from "../engine/ids.js";
import { parsePath } from "../engine/paths.js";
import { runStage } from "../engine/prefetch.js";
import type { Engine } from "../engine/store.js";
import type { Collection } from "../state/collection.js";
import { badRequest } from "./errors.js";
import { parseQuery } from "./query.js";
import { type PointView, type VectorSelector, parseWithVector, pointView } from "./views.js";
import { type PayloadSelector, parseWithPayload } from "./with-payload.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function int(v: unknown, dflt: number, where: string): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw badRequest(`${where} must be an integer >= 1, got ${show(v)}`);
  return v;
}

interface Lookup {
  col: Collection;
  withPayload: PayloadSelector;
  withVector: VectorSelector;
}

/** `"collection"` or `{"collection", "with_payload" (default true), "with_vectors" (default false)}`; an unknown collection is a 404. */
function parseLookup(store: Engine, v: unknown, where: string): Lookup | undefined {
  if (v === undefined || v === null) return undefined;
  const o = typeof v === "string" ? { collection: v } : v;
  if (!isObject(o) || typeof o.collection !== "string") throw badRequest(`${where} must be a collection name or {"collection", "with_payload", "with_vectors"}, got ${show(v)}`);
  const lc = store.get(o.collection);
  return {
    col: lc,
    withPayload: parseWithPayload(o.with_payload, true, `${where}.with_payload`),
    withVector: parseWithVector(lc, o, `${where}.with_vectors`),
  };
}

/** Run a groups body: `{"groups": [{"id", "hits", "lookup"?}, ...]}`. */
export function queryGroups(store: Engine, col: Collection, body: Record<string, unknown>): { groups: Array<{ id: string | number; hits: PointView[]; lookup?: PointView }> } {
  const steps = parsePath(body.group_by, "body.group_by");
  const groupSize = int(body.group_size, 3, "body.group_size");
  const limit = int(body.limit, 10, "body.limit");
  const lookup = parseLookup(store, body.with_lookup, "body.with_lookup");
  const q = parseQuery(col, { ...body, limit: undefined, offset: undefined }, "body", (n) => store.get(n));
  // every candidate, best first: the groups are cut from the whole answer, not from its first page
  q.limit = Math.max(1, col.count);
  q.offset = 0;
  const hits = runStage(col, q.stage!);
  const groups = groupHits(col, hits, steps, groupSize, limit);
  return {
    groups: groups.map((g) => {
      const out: { id: string | number; hits: PointView[]; lookup?: PointView } = {
        id: g.id,
        hits: g.hits.map((h) => pointView(col, h.row, q.withPayload, q.withVector, h.score)),
      };
      if (lookup) {
        let row: number | undefined;
        try {
          row = lookup.col.row(parseId(g.id, "group id"));
        } catch {
          row = undefined; // a key that is not a point id looks up nothing
        }
        if (row !== undefined) out.lookup = pointView(lookup.col, row, lookup.withPayload, lookup.withVector);
      }
      return out;
    }),
  };
}
