/** The one scroll: points in Qdrant's id order (integers, then UUIDs), from an id on, a filter applied, a page at a time. */

import type { PointId } from "../log/records.js";
import { type Collection, type Predicate, compareIds } from "../state/collection.js";

/** A page of rows in id order, and the id the next page starts at (null at the end). */
export interface ScrollPage {
  rows: number[];
  next: PointId | null;
}

/** Up to `limit` rows whose points pass `filter`, in id order, starting at the first id ≥ `from`. */
export function scroll(col: Collection, o: { filter: Predicate | null; from?: PointId; limit: number }): ScrollPage {
  const ids = col.sortedIds();
  let i = 0;
  if (o.from !== undefined) {
    let hi = ids.length;
    while (i < hi) {
      const mid = (i + hi) >> 1;
      if (compareIds(ids[mid]!, o.from) < 0) i = mid + 1;
      else hi = mid;
    }
  }
  const rows: number[] = [];
  for (; i < ids.length; i++) {
    const r = col.row(ids[i]!)!;
    if (o.filter && !o.filter(col.payloadAt(r), ids[i]!, col)) continue;
    if (rows.length === o.limit) return { rows, next: ids[i]! };
    rows.push(r);
  }
  return { rows, next: null };
}
