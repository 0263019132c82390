/** Shared helpers of the store tests: a store on a temp folder, a client, naive search. */

import { mkdtempSync, rmSync } from "node:fs";
import { afterAll, expect } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QdrantClient } from "@qdrant/js-client-rest";
import { type EmbeddedStoreOptions, type RunningStore, startEmbeddedStore } from "../../src/store/embedded-store.js";
import { mulberry32 } from "../../src/data/random.js";
import { type Exchange, recordingProxy, responseValidator } from "../helpers/qdrant-openapi.js";

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `margin-store-${tag}-`));
}

/** A maker of temp folders for one test file: each folder it makes is removed after the file's tests. */
export function tempDirs(): (tag: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return (tag) => {
    const d = tempDir(tag);
    dirs.push(d);
    return d;
  };
}

export interface Harness {
  dir: string;
  running: RunningStore;
  client: QdrantClient;
  /** Raw HTTP for what the client cannot express (straight to the store, not through the proxy). */
  raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }>;
  /** Stop the store; fails when any response seen (client or raw) does not match Qdrant's OpenAPI schema. */
  stop(): Promise<void>;
}

export async function harness(tag: string, o: EmbeddedStoreOptions = {}): Promise<Harness> {
  const dir = o.path ?? tempDir(tag);
  const running = await startEmbeddedStore({ ...o, path: dir, port: 0 });
  // the client talks through a recording proxy, so every response it gets is checked against Qdrant's schema
  const proxy = await recordingProxy(running.url);
  const client = new QdrantClient({ url: proxy.url, checkCompatibility: false, ...(o.apiKey ? { apiKey: o.apiKey } : {}) });
  const rawSeen: Exchange[] = [];
  return {
    dir,
    running,
    client,
    async raw(method, path, body, headers = {}) {
      const res = await fetch(running.url + path, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      rawSeen.push({ method, path: new URL(path, "http://x").pathname, status: res.status, contentType: res.headers.get("content-type") ?? "", body: text });
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // plain text (healthz)
      }
      return { status: res.status, json, headers: res.headers };
    },
    async stop() {
      await proxy.close();
      await running.close();
      if (!o.path) rmSync(dir, { recursive: true, force: true });
      const v = responseValidator();
      const bad = proxy.violations();
      for (const x of rawSeen) {
        if (!x.contentType.startsWith("application/json") || !v.templateOf(x.method, x.path)) continue;
        const errors = v.check(x.method, x.path, x.status, JSON.parse(x.body));
        if (errors.length) bad.push({ method: x.method, path: x.path, status: x.status, errors });
      }
      if (bad.length) {
        throw new Error(`${bad.length} responses do not match Qdrant's OpenAPI schema:\n` +
          bad.slice(0, 10).map((b) => `${b.method} ${b.path} -> ${b.status}: ${b.errors.join("; ")}`).join("\n"));
      }
    },
  };
}

/** Seeded uniform numbers in [-1, 1). */
export function rand(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r() * 2 - 1;
}

export function vectors(n: number, dim: number, seed: number): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(r())));
}

export type Dist = "Cosine" | "Euclid" | "Dot" | "Manhattan";

/** Qdrant's score of a stored vector for a query, computed naively in f64. */
export function naiveScore(dist: Dist, q: number[], x: number[]): number {
  if (dist === "Cosine") {
    const nq = Math.hypot(...q), nx = Math.hypot(...x);
    return q.reduce((s, v, i) => s + (v / nq) * (x[i]! / nx), 0);
  }
  if (dist === "Dot") return q.reduce((s, v, i) => s + v * x[i]!, 0);
  if (dist === "Euclid") return Math.sqrt(q.reduce((s, v, i) => s + (v - x[i]!) ** 2, 0));
  return q.reduce((s, v, i) => s + Math.abs(v - x[i]!), 0);
}

/** Ids of the k best points by the naive score. */
export function naiveTop(dist: Dist, q: number[], xs: number[][], k: number, keep: (i: number) => boolean = () => true): number[] {
  const asc = dist === "Euclid" || dist === "Manhattan";
  return xs
    .map((x, i) => ({ i, s: naiveScore(dist, q, x) }))
    .filter(({ i }) => keep(i))
    .sort((a, b) => (asc ? a.s - b.s : b.s - a.s))
    .slice(0, k)
    .map(({ i }) => i);
}

/** A query answer's points, as the client returns them. */
export type Scored = { points: Array<{ id: string | number; score: number }> };

/** The ids of a query answer, in order. */
export const ids = (r: Scored) => r.points.map((p) => p.id);

/** The answer ranks exactly `want`'s ids, each with its score to `digits` decimals. */
export function expectScores(r: Scored, want: Array<[number, number]>, digits = 5): void {
  expect(ids(r)).toEqual(want.map(([id]) => id));
  r.points.forEach((p, i) => expect(p.score).toBeCloseTo(want[i]![1], digits));
}
