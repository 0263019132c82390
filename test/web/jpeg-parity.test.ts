/**
 * JPEG photos embed in the page as in Node within a stated tolerance. Both
 * shrink a large photo to the same size first ({@link decodeSize}: twice the
 * card's resolution) and then run the same preprocess(), but the shrink
 * itself is the browser's filter in the page and libvips' (shrink-on-load +
 * a linear reduce) in Node, and the two JPEG decoders round differently. The
 * tolerance: the largest difference of any embedding component is at most 3%
 * of the embedding's largest component. A small PNG (no shrink) stays within
 * 1e-4, as the page test checks. The photos are seeded scenes with noise
 * (bench/photos.js), not flat colours.
 */

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFile, Encoder } from "../../src/index.js";
import { makePhoto } from "../../bench/photos.js";
import { browserReady, MODEL, openPage, pageState, startWebEnv, type WebEnv } from "./env.js";

const skip = browserReady();
if (skip) console.warn(`test/web/jpeg-parity.test.ts skipped: ${skip}`);

/** The stated JPEG tolerance, relative to the embedding's largest component. */
const JPEG_TOLERANCE = 0.03;

describe.skipIf(skip)("JPEG parity, Node vs the page", () => {
  let env: WebEnv;
  beforeAll(async () => {
    env = await startWebEnv({ perClass: 1 });
    await openPage(env.page, env.server.url);
  });
  afterAll(async () => {
    await env?.close();
  });

  it(`embeds 4000 × 3000 and 1600 × 1200 JPEG photos within ${JPEG_TOLERANCE * 100}% of Node`, async () => {
    const enc = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
    try {
      for (const [width, height, seed] of [[4000, 3000, 31], [1600, 1200, 32]] as const) {
        const path = join(env.tmp, `photo-${seed}.jpg`);
        await writeFile(path, await makePhoto({ width, height, seed }));
        const before = await env.page.evaluate(() => document.querySelectorAll("#queries button").length);
        const previous = JSON.stringify((await pageState(env.page)).query ?? null);
        await env.page.setInputFiles("#files", path);
        await env.page.waitForFunction((n) => document.querySelectorAll("#queries button").length === n, before + 1);
        // the new photo is the active query once its embedding replaces the previous one
        await env.page.waitForFunction((p) => JSON.stringify((window as any).__margin.state().query ?? null) !== p, previous);
        const s = await pageState(env.page);
        const node = await enc.embed([enc.preprocess(await decodeFile(path, { input: enc.card.input }))]);
        const scale = Math.max(...Array.from(node, Math.abs));
        const diff = Math.max(...s.query!.map((x, i) => Math.abs(x - node[i]!)));
        console.log(`jpeg parity ${width}×${height}: max |page − node| = ${diff.toExponential(2)} (${(100 * diff / scale).toFixed(2)}% of the largest component)`);
        expect(s.query).toHaveLength(node.length);
        expect(diff / scale).toBeLessThan(JPEG_TOLERANCE);
        expect(s.messages).toEqual([]);
      }
    } finally {
      await enc.close();
    }
  }, 180_000);
});
