/**
 * The browser tests' world: real Fashion-MNIST PNGs ingested into the
 * embedded store, `serve()` on a free port, and Debian's chromium driven by
 * playwright-core with a fresh profile folder.
 */

import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ingest, QdrantStore, startEmbeddedStore } from "../../src/index.js";
import { serve, type ServeHandle } from "../../src/serve/index.js";
import { writeFashionPngs } from "./fixtures.js";

export const CHROMIUM = "/usr/bin/chromium";
export const MODEL = "models/fashion-mnist-triplet-64.json";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * Why the page cannot be tested here (chromium missing, page not built), or
 * undefined when it can. Under CI (CI set) a missing piece is a failure, not
 * a skip: .ci/run installs chromium and `npm test` builds the page.
 */
export function browserReady(): string | undefined {
  const why = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)`
    : !existsSync("dist/web/index.html") ? "dist/web is not built (npm run build:web)"
    : undefined;
  if (why && process.env.CI) throw new Error(`the browser tests cannot run: ${why}`);
  return why;
}

export interface WebEnv {
  tmp: string;
  imagesDir: string;
  images: string[];
  collection: string;
  storeUrl: string;
  store: QdrantStore;
  server: ServeHandle;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  browserErrors: string[];
  close(): Promise<void>;
}

/** Launch chromium with a fresh profile folder under `tmp`. */
export async function launch(tmp: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await mkdtemp(join(tmp, "profile-")), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 900 },
  });
}

/** Set up everything; `close()` undoes it in reverse order. */
export async function startWebEnv(o: { perClass: number; collection?: string }): Promise<WebEnv> {
  const tmp = await mkdtemp(join(tmpdir(), "margin-web-"));
  const cleanup: Array<() => Promise<unknown>> = [() => rm(tmp, { recursive: true, force: true })];
  const close = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
  };
  try {
    const imagesDir = join(tmp, "images");
    const images = await writeFashionPngs(imagesDir, o.perClass);
    const running = await startEmbeddedStore({ path: join(tmp, "store"), port: 0 });
    cleanup.push(() => running.close());
    const store = await QdrantStore.connect({ url: running.url });
    const collection = o.collection ?? "web-test";
    await ingest({ dir: imagesDir, collection, model: MODEL, store, device: "cpu", workers: 1, threads: 1 });
    const server = await serve({ port: 0, collection, store, modelCard: MODEL, imagesRoot: imagesDir });
    cleanup.push(() => server.close());
    const context = await launch(tmp);
    cleanup.push(() => context.close());
    const page = await context.newPage();
    const browserErrors: string[] = [];
    page.on("pageerror", (e) => browserErrors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") browserErrors.push(m.text()); });
    return { tmp, imagesDir, images, collection, storeUrl: running.url, store, server, context, page, browserErrors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Open the page and wait until the model and kernels have loaded (or failed). */
export async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as any).__margin !== undefined);
  await page.evaluate(() => (window as any).__margin.ready);
}

/** The page's state as its test hook reports it. */
export interface PageState {
  backend?: string;
  threads?: number;
  crossOriginIsolated: boolean;
  query?: number[];
  results?: Array<{ id: string | number; score: number; storeScore: number; label?: string; mark: string }>;
  reranked: boolean;
  /** The feedback strategy that ranked the shown list, when reranked. */
  strategy?: string;
  /** Feedback requests in flight. */
  busy: number;
  timings: Record<string, number | undefined>;
  messages: string[];
}

export const pageState = (page: Page): Promise<PageState> => page.evaluate(() => (window as any).__margin.state());
