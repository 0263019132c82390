/**
 * Busy time per stage of an ingest run: the wall-clock seconds during which
 * at least one chunk was in that stage. Chunks overlap, so a stage's busy
 * time is the union of its chunks' intervals (not their sum), and the stages
 * together add up to more than the run's time. A stage that is busy for
 * nearly the whole run is the one that sets the pace.
 */

/** The stages of an ingest, in pipeline order. */
export const STAGES = ["read", "dedupe", "decode", "embed", "upsert"] as const;
/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** Accumulates each stage's busy time. */
export class StageClock {
  private readonly active = new Map<Stage, number>();
  private readonly since = new Map<Stage, number>();
  private readonly busy = new Map<Stage, number>(STAGES.map((s) => [s, 0]));

  /** Run `fn` as a chunk's turn in `stage`. */
  async time<T>(stage: Stage, fn: () => Promise<T>): Promise<T> {
    const n = this.active.get(stage) ?? 0;
    if (n === 0) this.since.set(stage, performance.now());
    this.active.set(stage, n + 1);
    try {
      return await fn();
    } finally {
      const left = this.active.get(stage)! - 1;
      this.active.set(stage, left);
      if (left === 0) this.busy.set(stage, this.busy.get(stage)! + performance.now() - this.since.get(stage)!);
    }
  }

  /** Busy seconds of every stage so far (a stage still running counts up to now). */
  seconds(): Record<Stage, number> {
    const t = performance.now();
    const out = {} as Record<Stage, number>;
    for (const s of STAGES) {
      const open = (this.active.get(s) ?? 0) > 0 ? t - this.since.get(s)! : 0;
      out[s] = (this.busy.get(s)! + open) / 1000;
    }
    return out;
  }
}
