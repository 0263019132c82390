/**
 * Progress on stderr: a redrawn bar with rate and ETA on a TTY, a plain line
 * every few seconds otherwise (logs, CI), nothing on stdout.
 */

const PLAIN_EVERY_MS = 2000;

export interface Progress {
  /** `done` of `total` items (total unknown: undefined); `unit` names them. */
  update(done: number, total: number | undefined, unit: string, extra?: string): void;
  /** A message on its own line (ends a drawn bar first). */
  line(message: string): void;
  /** Finish the bar. */
  end(): void;
}

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function progress(out: NodeJS.WriteStream, label: string): Progress {
  const tty = Boolean(out.isTTY);
  let drawn = false;
  let lastPlain = 0;
  let phase = "";
  let start = performance.now();
  return {
    update(done, total, unit, extra) {
      if (unit !== phase) {
        phase = unit;
        start = performance.now();
      }
      const seconds = (performance.now() - start) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = total !== undefined && rate > 0 ? clock((total - done) / rate) : "--:--";
      const text = `${label}: ${done}/${total ?? "?"} ${unit}  ${rate.toFixed(0)}/s  ETA ${eta}${extra ? `  ${extra}` : ""}`;
      if (tty) {
        const width = 24;
        const fill = total ? Math.round((width * done) / Math.max(1, total)) : 0;
        out.write(`\r[${"#".repeat(fill)}${".".repeat(width - fill)}] ${text}\x1b[K`);
        drawn = true;
      } else if (performance.now() - lastPlain >= PLAIN_EVERY_MS || done === total) {
        lastPlain = performance.now();
        out.write(`${text}\n`);
      }
    },
    line(message) {
      if (drawn) out.write("\n");
      drawn = false;
      out.write(`${message}\n`);
    },
    end() {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
