/**
 * "Improve for everyone" in real chromium: the page trains the adapter on
 * the collection's recorded marks (its own included) on the same wasm
 * kernels, and gets the same parameters as Node's `adapt()` (what `margin
 * adapt` runs) on the same sessions and seed; the upload is gated again by
 * the server, re-embeds, switches the alias, and the page then searches
 * with the adapted model. POST /api/adapter refuses a foreign page, a
 * non-JSON body and a malformed upload, naming the field.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adapt, applyAdapter, collectionModel, decodeFile, Encoder, ingest, Kernels, markedSessions, QdrantStore, recordMarks,
  startEmbeddedStore, type AdaptResult,
} from "../../src/index.js";
import { serve, type ServeHandle } from "../../src/serve/index.js";
import { browserReady, launch, MODEL, openPage, pageState } from "./env.js";
import { writeFashionPngs } from "./fixtures.js";
import { rng } from "../helpers/random.js";

const skip = browserReady();
if (skip) console.warn(`test/web/adapt-page.test.ts skipped: ${skip}`);

const COLLECTION = "adapt-web";
const GATE = { minGain: 0, minHeldOut: 20 };
const BASE = "fashion-mnist-triplet-64";

describe.skipIf(skip)("improve for everyone: the adapter trained in the page", () => {
  let tmp: string, imagesDir: string, images: string[];
  let closeStore: () => Promise<void>;
  let store: QdrantStore;
  let server: ServeHandle;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "margin-adapt-web-"));
    imagesDir = join(tmp, "images");
    images = await writeFashionPngs(imagesDir, 6);
    const running = await startEmbeddedStore({ path: join(tmp, "store"), port: 0 });
    closeStore = () => running.close();
    store = await QdrantStore.connect({ url: running.url });
    await ingest({ dir: imagesDir, collection: COLLECTION, model: MODEL, store, device: "cpu", workers: 1, threads: 1 });
    // simulated users before this one: page 1 of a stored query, up to 3 right and 3 wrong marks by label
    const points = [];
    for await (const p of store.scroll(COLLECTION)) points.push(...p);
    const r = rng(11);
    for (let s = 0; s < 160; s++) {
      const q = points[Math.floor(r() * points.length)]!;
      const hits = await store.nearest({ collection: COLLECTION, id: q.id, limit: 10 });
      const right = hits.filter((h) => h.payload!.label === q.payload!.label).slice(0, 3).map((h) => h.id);
      const wrong = hits.filter((h) => h.payload!.label !== q.payload!.label).slice(0, 3).map((h) => h.id);
      await recordMarks(store, { collection: COLLECTION, query: { id: q.id }, right, wrong, model: BASE });
    }
    server = await serve({
      port: 0, collection: COLLECTION, store, modelCard: MODEL, imagesRoot: imagesDir, cors: ["http://friend.example"],
      adapt: { modelsDir: join(tmp, "models"), ...GATE },
    });
    context = await launch(tmp);
    page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await openPage(page, server.url);
  }, 240_000);
  afterAll(async () => {
    await context?.close();
    await server?.close();
    await closeStore?.();
    await rm(tmp, { recursive: true, force: true });
  });

  const post = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(`${server.url}/api/adapter`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("refuses a foreign page, a CORS-allowed one, a non-JSON body and malformed uploads, naming the field", async () => {
    const good = { kind: "linear", dim: 64, hidden: 0, params: new Array(64 * 64).fill(0), seed: 1 };
    const foreign = await post(good, { "content-type": "application/json", origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    const friend = await post(good, { "content-type": "application/json", origin: "http://friend.example" });
    expect(friend.status).toBe(403);
    expect(((await friend.json()) as { error: { message: string } }).error.message).toContain("only from this server's own page");
    const ok = await fetch(`${server.url}/api/collection`, { headers: { origin: "http://friend.example" } });
    expect(ok.status).toBe(200); // the friend may search, not upload
    expect((await post(JSON.stringify(good), { "content-type": "text/plain" })).status).toBe(415);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, kind: "deep" }, /kind must be one of "linear", "mlp", got "deep"/],
      [{ ...good, dim: 32 }, /dim must be 64, .* got 32/],
      [{ ...good, params: [1, 2] }, /params must be an array of 4096 numbers .* got 2 values/],
      [{ ...good, params: [...good.params.slice(1), "x"] }, /params\[4095\] must be a finite number, got "x"/],
      [{ ...good, kind: "mlp", hidden: 0 }, /hidden must be an integer in \[1, 1024\] for an MLP, got 0/],
      [{ ...good, seed: -1 }, /seed must be an integer .* got -1/],
      [{ ...good, extra: 1 }, /unknown field "extra"/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect(await store.aliasTarget(COLLECTION)).toMatch(new RegExp(`^${COLLECTION}-v[0-9a-f]{8}$`)); // nothing shipped
  });

  let node: AdaptResult;
  let before: string;
  it("trains in the page exactly as Node does on the same marks and seed (within 1e-4)", async () => {
    // this user's own marks, given in the page, are recorded with the others
    await page.setInputFiles("#files", join(imagesDir, images[3]!));
    await page.waitForFunction(() => ((window as any).__margin.state().results?.length ?? 0) > 0);
    // one mark at a time, each chosen from the list as it stands (a mark re-ranks the rest)
    const query = (await pageState(page)).results![0]!;
    for (const [want, button] of [[true, "positive"], [false, "negative"], [true, "positive"]] as const) {
      const shown = (await pageState(page)).results!;
      const x = shown.find((r) => r.mark === "none" && r.id !== query.id && (r.label === query.label) === want)!;
      await page.click(`li[data-id="${x.id}"] button.mark.${button}`);
      await page.waitForFunction(() => (window as any).__margin.state().busy === 0);
    }
    // Node: the sessions margin adapt reads, the same options (the server's gate figures) and seed
    const m = await markedSessions(store, COLLECTION, BASE);
    expect(m.records.length).toBeGreaterThan(160);
    const kernels = await Kernels.load();
    node = adapt({ kernels, set: m.set, seed: 1, ...GATE });
    before = (await store.aliasTarget(COLLECTION))!;

    await page.click("#improve");
    await page.waitForFunction(() => ["shipped", "refused", "error"].includes((window as any).__margin.adapt().phase), undefined, { timeout: 180_000 });
    const a = await page.evaluate(() => (window as any).__margin.adapt());
    expect(a.phase, `${a.message} ${(await pageState(page)).messages.join("; ")}`).toBe("shipped");
    expect(a.trained.kind).toBe(node.kind);
    expect(a.trained.params).toHaveLength(node.adapter.params.length);
    const diff = Math.max(...a.trained.params.map((x: number, i: number) => Math.abs(x - node.adapter.params[i]!)));
    expect(diff).toBeLessThan(1e-4);
    expect(a.gate.reason).toBe(node.gate.reason);
    expect(a.marked.after).toBeGreaterThan(a.marked.before);
    expect(await page.textContent("#adapt-result")).toContain("marked queries");
    expect(errors).toEqual([]);
  }, 240_000);

  it("the upload ends with the alias switched, the points adapted, and the page searching with the adapted model", async () => {
    const after = await store.aliasTarget(COLLECTION);
    expect(after).not.toBe(before);
    const model = (await collectionModel(store, COLLECTION))!;
    expect(model.name).toMatch(new RegExp(`^${BASE}\\.${COLLECTION}-a[0-9a-f]{8}$`));
    const kernels = await Kernels.load();
    const ids: Array<string | number> = [];
    for await (const p of store.scroll(before, { withVector: true, pageSize: 6 })) {
      const old = Float32Array.from(p.flatMap((x) => x.vector!));
      const want = applyAdapter(kernels, node.adapter, old);
      const got = await store.retrieve(after!, p.map((x) => x.id), { withVector: true });
      const byId = new Map(got.map((g) => [g.id, g.vector!]));
      p.forEach((x, i) => {
        const v = byId.get(x.id)!;
        for (let j = 0; j < 64; j++) expect(Math.abs(v[j]! - want[i * 64 + j]!)).toBeLessThan(1e-4);
      });
      ids.push(...p.map((x) => x.id));
      break; // a few points
    }
    expect(ids).toHaveLength(6);
    // the page now embeds with the adapted model and searches the switched collection
    await page.waitForFunction((name) => (window as any).__margin.state().model === name, model.name);
    const img = join(imagesDir, images[8]!);
    await page.setInputFiles("#files", img);
    await page.waitForFunction(() => ((window as any).__margin.state().results?.length ?? 0) > 0);
    const s = await pageState(page);
    const enc = await Encoder.load({ model: join(tmp, "models", `${model.name}.json`), device: "cpu", threads: 1 });
    let v: Float32Array;
    try {
      v = await enc.embed([enc.preprocess(await decodeFile(img))]);
    } finally {
      await enc.close();
    }
    expect(Math.max(...s.query!.map((x, i) => Math.abs(x - v[i]!)))).toBeLessThan(1e-4);
    const want = await store.nearest({ collection: COLLECTION, vector: v, limit: s.results!.length });
    expect(s.results!.map((r) => r.id)).toEqual(want.map((h) => h.id));
    // marks given now are recorded on the adapted model, under the same alias
    expect((await fetch(`${server.url}/api/collection`).then((r) => r.json()) as { model: string }).model).toBe(model.name);
  }, 120_000);
});
