/**
 * The search page in a real browser (Debian's chromium via playwright-core):
 * browser embeddings equal Node's, results equal `margin search --json`,
 * marks rank as `margin search` does with each feedback strategy, bad input gives messages and the
 * page keeps working.
 */

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFile, DEFAULT_STRATEGY, Encoder, STRATEGIES } from "../../src/index.js";
import { writeNotAnImage } from "./fixtures.js";
import { browserReady, MODEL, openPage, pageState, startWebEnv, type WebEnv } from "./env.js";

const skip = browserReady();
if (skip) console.warn(`test/web/page.test.ts skipped: ${skip}`);

describe.skipIf(skip)("the search page in chromium", () => {
  let env: WebEnv;
  let queryPath: string;
  let queryVector: Float32Array;
  const LIMIT = 24;

  beforeAll(async () => {
    env = await startWebEnv({ perClass: 5 });
    queryPath = join(env.imagesDir, env.images[7]!);
    await openPage(env.page, env.server.url);
  });
  afterAll(async () => {
    await env?.close();
  });

  it("loads with cross-origin isolation and wasm threads", async () => {
    const s = await pageState(env.page);
    expect(s.crossOriginIsolated).toBe(true);
    expect(s.backend).toBe("wasm");
    expect(s.threads).toBeGreaterThanOrEqual(1);
    expect(s.messages).toEqual([]);
  });

  it("embeds a chosen image exactly as the Node Encoder does", async () => {
    await env.page.setInputFiles("#files", queryPath);
    await env.page.waitForFunction(() => ((window as any).__margin.state().results?.length ?? 0) > 0);
    const s = await pageState(env.page);
    const enc = await Encoder.load({ model: MODEL, device: "cpu", threads: 1 });
    try {
      queryVector = await enc.embed([enc.preprocess(await decodeFile(queryPath))]);
    } finally {
      await enc.close();
    }
    expect(s.query).toHaveLength(queryVector.length);
    const diff = Math.max(...s.query!.map((x, i) => Math.abs(x - queryVector[i]!)));
    expect(diff).toBeLessThan(1e-4);
    expect(s.timings.embedMs).toBeGreaterThanOrEqual(0);
    expect(s.timings.searchMs).toBeGreaterThanOrEqual(0);
  });

  it("shows the same results as `margin search --json`", async () => {
    const s = await pageState(env.page);
    const shown = s.results!.map((r) => r.id);
    expect(shown).toHaveLength(LIMIT);
    const cli = "dist/cli/search.js";
    let expected: Array<{ id: string | number; score: number }>;
    if (existsSync(cli)) {
      const { stdout } = await promisify(execFile)(process.execPath, [
        "bin/margin.js", "search", queryPath, "--collection", env.collection, "-k", String(LIMIT), "--device", "cpu", "--json",
      ], { env: { ...process.env, QDRANT_URL: env.storeUrl } });
      expected = (JSON.parse(stdout) as { hits: Array<{ id: string | number; score: number }> }).hits;
    } else {
      // without the built CLI: the store's own answer for Node's vector
      console.warn("dist/cli/search.js is not built; comparing with QdrantStore.nearest instead of `margin search --json`");
      expected = await env.store.nearest({ collection: env.collection, vector: queryVector, limit: LIMIT });
    }
    expect(shown).toEqual(expected.map((h) => h.id));
    s.results!.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i]!.score, 4));
    // the query image is in the collection: it comes first, at distance 0
    expect(s.results![0]!.score).toBeCloseTo(0, 4);
  });

  it("ranks marked results with each feedback strategy exactly as `margin search --json` does", async () => {
    const page = env.page;
    const before = (await pageState(page)).results!.map((r) => r.id);
    const pos = [before[5]!, before[9]!];
    const neg = [before[1]!];
    for (const id of pos) await page.click(`li[data-id="${id}"] button.mark.positive`);
    for (const id of neg) await page.click(`li[data-id="${id}"] button.mark.negative`);
    await page.waitForFunction(() => (window as any).__margin.state().busy === 0);
    expect(await page.getAttribute(`li[data-id="${neg[0]}"] button.mark.negative`, "aria-pressed")).toBe("true");
    const marked = new Set([...pos, ...neg]);
    const options = await page.$$eval("#mode option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual([...STRATEGIES]);
    for (const strategy of [DEFAULT_STRATEGY, "average-vector", "relevance-feedback", "triplet"]) {
      if (strategy !== DEFAULT_STRATEGY) await page.selectOption("#mode", strategy);
      await page.waitForFunction((st) => {
        const s = (window as any).__margin.state();
        return s.busy === 0 && s.strategy === st;
      }, strategy);
      const s = await pageState(page);
      // the marked results stay on top, marked; the rest is the strategy's ranking
      expect(s.results!.slice(0, 3).map((r) => r.id).sort()).toEqual([...marked].sort());
      const shown = s.results!.filter((r) => r.mark === "none");
      const { stdout } = await promisify(execFile)(process.execPath, [
        "bin/margin.js", "search", "--vector", JSON.stringify(s.query), "--collection", env.collection, "-k", String(LIMIT), "--json",
        "--strategy", strategy, ...pos.flatMap((id) => ["--positive", String(id)]), ...neg.flatMap((id) => ["--negative", String(id)]),
      ], { env: { ...process.env, QDRANT_URL: env.storeUrl } });
      const cli = (JSON.parse(stdout) as { strategy: string; hits: Array<{ id: string | number; score: number }> });
      expect(cli.strategy).toBe(strategy);
      const want = cli.hits.filter((h) => !marked.has(h.id));
      expect(shown.map((r) => r.id), strategy).toEqual(want.map((h) => h.id));
      shown.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 4));
    }
    await mkdir("test-results", { recursive: true });
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
    await page.screenshot({ path: "test-results/web-page.png", fullPage: true });
  });

  it("marks by keyboard, keeping focus on the pressed button", async () => {
    const page = env.page;
    await page.click("#clear-marks");
    const ids = (await pageState(page)).results!.map((r) => r.id);
    const sel = `li[data-id="${ids[4]}"] button.mark.positive`;
    await page.focus(sel);
    await page.keyboard.press("Space");
    await page.waitForFunction((id) => (window as any).__margin.state().results.find((r: any) => r.id === id)?.mark === "positive", ids[4]);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.key)).toBe(`positive:${ids[4]}`);
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => (window as any).__margin.state().results.find((r: any) => r.id === id)?.mark === "none", ids[4]);
  });

  it("takes several dropped images at once, one query each", async () => {
    const page = env.page;
    const files = [env.images[12]!, env.images[25]!].map((rel) => join(env.imagesDir, rel));
    const payload = await Promise.all(files.map(async (f) => ({ name: f.split("/").pop()!, b64: (await readFile(f)).toString("base64") })));
    const before = await page.locator("#queries button").count();
    const dt = await page.evaluateHandle((fs) => {
      const d = new DataTransfer();
      for (const f of fs) d.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: "image/png" }));
      return d;
    }, payload);
    await page.dispatchEvent("#drop", "drop", { dataTransfer: dt });
    await page.waitForFunction((n) => document.querySelectorAll("#queries button").length === n, before + 2);
    // the first dropped image is the active query and it finds itself first
    expect(await page.getAttribute(`#queries li:nth-child(${before + 1}) button`, "aria-pressed")).toBe("true");
    await page.waitForFunction(() => (window as any).__margin.state().results?.[0]?.score < 1e-4);
  });

  it("says so for a non-image file, an undecodable one and too-large ones, and keeps working", async () => {
    const page = env.page;
    const txt = join(env.tmp, "notes.txt");
    const fake = join(env.tmp, "fake.png");
    await writeNotAnImage(txt);
    await writeNotAnImage(fake);
    const queriesBefore = await page.locator("#queries button").count();
    await page.setInputFiles("#files", txt);
    await page.waitForSelector("#messages li.error >> text=/notes\\.txt is not an image/");
    await page.setInputFiles("#files", fake);
    await page.waitForSelector("#messages li.error >> text=/fake\\.png is not an image this browser can decode/");
    // too many pixels (4100 × 4100 > 4096²), and too many bytes (over 20 MB)
    const wide = join(env.tmp, "wide.png");
    await sharp({ create: { width: 4100, height: 4100, channels: 3, background: "#808080" } }).png().toFile(wide);
    await page.setInputFiles("#files", wide);
    await page.waitForSelector("#messages li.error >> text=/wide\\.png is too large \\(4100 × 4100 pixels\\)/");
    const heavy = join(env.tmp, "heavy.png");
    await writeFile(heavy, Buffer.alloc(21 * 1024 * 1024, 1));
    await page.setInputFiles("#files", heavy);
    await page.waitForSelector("#messages li.error >> text=/heavy\\.png is too large \\(21\\.0 MB\\)/");
    // a good image afterwards still searches
    expect(await page.locator("#queries button").count()).toBe(queriesBefore);
    const rel = env.images[30]!;
    await page.setInputFiles("#files", join(env.imagesDir, rel));
    await page.waitForFunction((n) => document.querySelectorAll("#queries button").length === n, queriesBefore + 1);
    const label = rel.split("/")[0];
    await page.waitForFunction((l) => {
      const r = (window as any).__margin.state().results?.[0];
      return r && r.score < 1e-4 && r.label === l;
    }, label);
    expect((await pageState(page)).results!.length).toBe(LIMIT);
    await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete));
    await page.screenshot({ path: "test-results/web-page-messages.png" });
  });

  it("says so when the server does not answer, and when the model fails to load", async () => {
    const page = env.page;
    await page.route("**/api/search", (r) => r.abort("connectionrefused"));
    await page.click("#search");
    await page.waitForSelector("#messages li.error >> text=/the server did not answer POST \\/api\\/search/");
    await page.unroute("**/api/search");

    const fresh = await env.context.newPage();
    try {
      await fresh.route("**/api/model.onnx", (r) => r.fulfill({ status: 404, body: "gone" }));
      await openPage(fresh, env.server.url);
      await fresh.waitForSelector("#messages li.error >> text=/the model failed to load/");
      expect(await fresh.isDisabled("#search")).toBe(true);
      await fresh.setInputFiles("#files", queryPath);
      await fresh.waitForSelector("#messages li.error >> text=/the model is not loaded/");
    } finally {
      await fresh.close();
    }
  });

  it("logs no browser errors on the way", () => {
    // aborted and refused requests log a network error in the console; anything else is a bug
    expect(env.browserErrors.filter((m) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(m))).toEqual([]);
  });
});
