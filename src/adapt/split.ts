/**
 * The seeded split of sessions that `adapt` trains, chooses and gates on.
 * One function, so that a server judging an adapter trained elsewhere (the
 * page's upload) holds out exactly the sessions the trainer never saw.
 */

import { mulberry32, shuffleInPlace } from "../data/random.js";
import { InputError } from "../errors.js";
import type { MarkSession } from "./types.js";

/** The three parts, and how many sessions had no right or no wrong mark. */
export interface SessionSplit {
  train: MarkSession[];
  validation: MarkSession[];
  heldOut: MarkSession[];
  skipped: number;
}

function fraction(v: number, name: string): number {
  if (typeof v !== "number" || !(v > 0 && v < 1)) throw new InputError(`adapt: ${name} must be in (0, 1), got ${String(v)}`);
  return v;
}

/**
 * Shuffle the usable sessions (a right and a wrong mark) with `seed` and cut
 * `heldOutFraction` off for the gate, then `validationFraction` of the rest.
 * @throws InputError for a fraction outside (0, 1).
 */
export function splitSessions(
  sessions: readonly MarkSession[], seed: number, heldOutFraction = 0.2, validationFraction = 0.25,
): SessionSplit {
  const usable = sessions.filter((s) => s.right.length > 0 && s.wrong.length > 0);
  const order = shuffleInPlace([...usable], mulberry32(seed ^ 0x5eed));
  const nHeld = Math.round(order.length * fraction(heldOutFraction, "heldOutFraction"));
  const rest = order.slice(nHeld);
  const nVal = Math.round(rest.length * fraction(validationFraction, "validationFraction"));
  return { heldOut: order.slice(0, nHeld), validation: rest.slice(0, nVal), train: rest.slice(nVal), skipped: sessions.length - usable.length };
}
