/**
 * Sessions of marks as triplets. In a session with query q, rights R and
 * wrongs W, the anchors are q and every right; each anchor's positives are
 * the other members of {q} ∪ R and its negatives every wrong. So a session
 * gives the triplets (q, r, w) and the in-session pushes (r, q, w) and
 * (r, r', w): |A|·(|A| − 1)·|W| with A = {q} ∪ R. A session without a
 * right or without a wrong gives none.
 */

import { InputError } from "../errors.js";
import type { MarkSession, SessionSet } from "./types.js";

/** A session's rows (query first, then rights, then wrongs) and its triplets over them. */
export interface SessionTriplets {
  rows: Int32Array;
  /** (anchor, positive, negative) indices into `rows`. */
  triplets: Int32Array;
}

/** The triplets of one session, over its own rows. */
export function sessionTriplets(s: MarkSession): SessionTriplets {
  const rows = Int32Array.from([s.query, ...s.right, ...s.wrong]);
  const a = 1 + s.right.length;
  const w = s.wrong.length;
  const triplets = new Int32Array(a * (a - 1) * w * 3);
  let t = 0;
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < a; j++) {
      if (i === j) continue;
      for (let k = 0; k < w; k++) {
        triplets[t++] = i;
        triplets[t++] = j;
        triplets[t++] = a + k;
      }
    }
  }
  return { rows, triplets };
}

/**
 * Checks a session set where it enters: sizes, finite vectors, every row
 * index in range, no row both right and wrong.
 * @throws InputError naming the session and the bad value.
 */
export function checkSessionSet(set: SessionSet, where = "adapt"): SessionSet {
  const { vectors, dim } = set;
  if (!Number.isInteger(dim) || dim < 1) throw new InputError(`${where}: dim must be a positive integer, got ${dim}`);
  if (!(vectors instanceof Float32Array) || vectors.length % dim !== 0) {
    throw new InputError(`${where}: vectors must be a Float32Array of whole rows of dim ${dim}, got ${vectors?.length} values`);
  }
  const n = vectors.length / dim;
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i]!)) {
      throw new InputError(`${where}: vectors[row ${Math.floor(i / dim)}, col ${i % dim}] is ${vectors[i]}; every value must be finite`);
    }
  }
  if (!Array.isArray(set.sessions)) throw new InputError(`${where}: sessions must be an array of { query, right, wrong }`);
  set.sessions.forEach((s, si) => {
    const rowOk = (r: unknown) => typeof r === "number" && Number.isInteger(r) && r >= 0 && r < n;
    if (!rowOk(s.query)) throw new InputError(`${where}: session ${si} has query row ${String(s.query)}; rows must be integers in [0, ${n - 1}]`);
    for (const key of ["right", "wrong"] as const) {
      const list = s[key];
      if (!Array.isArray(list)) throw new InputError(`${where}: session ${si}: ${key} must be an array of rows`);
      for (const r of list) {
        if (!rowOk(r)) throw new InputError(`${where}: session ${si} has ${key} row ${String(r)}; rows must be integers in [0, ${n - 1}]`);
      }
    }
    const right = new Set(s.right);
    for (const r of s.wrong) {
      if (right.has(r)) throw new InputError(`${where}: session ${si} marks row ${r} both right and wrong; keep one mark`);
    }
  });
  return set;
}
