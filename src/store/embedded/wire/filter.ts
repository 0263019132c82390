/** A filter as a request carries it: checked where it enters, a bad shape answered as Qdrant's 400 naming its place. */

import { compileFilter as compile, type Predicate } from "../engine/filter.js";
import { answering } from "./errors.js";

/**
 * Compile a filter object (or null/undefined for "everything").
 * @throws HttpError 400 for a filter or condition of unknown shape.
 */
export function compileFilter(filter: unknown, where = "filter"): Predicate | null {
  return answering(() => compile(filter, where));
}
