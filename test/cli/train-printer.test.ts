/**
 * `margin train`'s progress goes through the commands' one progress bar
 * (src/cli/progress.ts): redrawn on a TTY, plain lines otherwise; the
 * figures are lines of their own on stdout.
 */

import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { trainPrinter } from "../../src/cli/train.js";
import type { EpochRecord, TrainProgress } from "../../src/index.js";

/** A real stream that keeps what is written to it, posing as a terminal or not. */
function sink(tty: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  const chunks: string[] = [];
  s.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  Object.assign(s, { isTTY: tty });
  return { out: s as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

const record: EpochRecord = {
  epoch: 1, mining: "batch-all", lr: 0.001, loss: 0.25, activeFraction: 0.5, easy: 0.5, semiHard: 0.25, hard: 0.25,
  meanPositiveDistance: 0.5, meanNegativeDistance: 1.25, spread: 1, validationPrecisionAt1: 0.75, seconds: 3,
};
const metrics = { precisionAt1: 0.5, rPrecision: 0.25, mapAtR: 0.125 };
const events: TrainProgress[] = [
  { status: "baseline", validation: { precisionAt1: 0.125 }, test: metrics },
  { status: "batch", epoch: 1, batch: 1, batches: 3, loss: 0.5 },
  { status: "batch", epoch: 1, batch: 2, batches: 3, loss: 0.375 },
  { status: "batch", epoch: 1, batch: 3, batches: 3, loss: 0.25 },
  { status: "epoch", record },
  { status: "collapse", epoch: 1, message: "the logger prints this" },
  { status: "test", metrics },
];
const LOG = [
  "untrained baseline: validation P@1 0.1250; test P@1 0.5000 R-precision 0.2500 MAP@R 0.1250",
  "epoch 1 batch-all lr 1.00e-3 loss 0.2500 active 50.0% easy/semi/hard 50.0/25.0/25.0% d(a,p) 0.500 d(a,n) 1.250 val P@1 0.7500 3 s",
  "test: P@1 0.5000 R-precision 0.2500 MAP@R 0.1250",
];

async function play(tty: boolean): Promise<{ err: string; log: string[] }> {
  const { out, text } = sink(tty);
  const log: string[] = [];
  const print = trainPrinter(out, (line) => log.push(line));
  for (const e of events) print(e);
  await new Promise((r) => setImmediate(r));
  return { err: text(), log };
}

describe("margin train's progress printer", () => {
  it("on a terminal: one redrawn bar per epoch with the batch loss, ended before the epoch's figures", async () => {
    const { err, log } = await play(true);
    expect(log).toEqual(LOG);
    const draws = err.split("\r").filter(Boolean);
    expect(draws).toHaveLength(3);
    expect(draws[0]).toMatch(/^\[#{8}\.{16}\] train: 1\/3 batches \(epoch 1\)  \d+\/s  ETA [\d:-]+  loss 0\.5000\x1b\[K$/);
    expect(draws[1]).toMatch(/^\[#{16}\.{8}\] train: 2\/3 batches \(epoch 1\) .* loss 0\.3750\x1b\[K$/);
    // the last draw is full and ends its line once, before anything else is printed
    expect(draws[2]).toMatch(/^\[#{24}\] train: 3\/3 batches \(epoch 1\) .* loss 0\.2500\x1b\[K\n$/);
    expect(err).not.toMatch(/collapse|logger/);
  });

  it("elsewhere (logs, CI): plain lines, no redraws, the epoch's last batch always printed", async () => {
    const { err, log } = await play(false);
    expect(log).toEqual(LOG);
    expect(err).not.toContain("\r");
    expect(err).not.toContain("\x1b");
    const lines = err.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.at(-1)).toMatch(/^train: 3\/3 batches \(epoch 1\)  \d+\/s  ETA 00:00  loss 0\.2500$/);
    for (const l of lines) expect(l).toMatch(/^train: [123]\/3 batches \(epoch 1\) /);
  });
});
