/**
 * The first non-empty line of an error's message, trimmed to `max`
 * characters: runtimes and image decoders write multi-line messages (native
 * stack traces, log prefixes) that would swamp the one line margin's own
 * message quotes.
 * @param e an Error, or any value (its string form is used).
 * @param max longest result. Default 300.
 */
export function firstLine(e: unknown, max = 300): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split("\n").find((l) => l.trim()) ?? m).trim().slice(0, max);
}
