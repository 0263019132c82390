/**
 * `margin serve` against a hostile client: a folder under --images swapped
 * for a symlink to the outside while thumbnails are read (8 parallel
 * readers for 8 s against a swapping child process: the outside file is never
 * served), and the exposure checks (foreign Host, foreign Origin, a JSON
 * endpoint fed text/plain) shared with the store.
 */

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QdrantStore, startEmbeddedStore, type RunningStore } from "../../src/index.js";
import { serve, type ServeHandle } from "../../src/serve/index.js";
import { rawHttp } from "../helpers/raw-http.js";
import { MODEL } from "./env.js";

const DIM = 64;
const ID = "00000000-0000-4000-8000-000000000001";
const INSIDE = Buffer.from("inside: the picture the user ingested");
const OUTSIDE = Buffer.from("OUTSIDE: a file the server must never send");

let tmp: string;
let images: string;
let running: RunningStore;
let store: QdrantStore;
let server: ServeHandle;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "margin-serve-exposure-"));
  images = join(tmp, "images");
  await mkdir(join(images, "bag"), { recursive: true });
  await mkdir(join(tmp, "outside"));
  await writeFile(join(images, "bag", "a.png"), INSIDE);
  await writeFile(join(tmp, "outside", "a.png"), OUTSIDE);
  running = await startEmbeddedStore({ path: join(tmp, "store"), port: 0 });
  store = await QdrantStore.connect({ url: running.url });
  await store.ensureCollection({ name: "c", size: DIM, distance: "Euclid" });
  await store.upsert("c", [{ id: ID, vector: new Array(DIM).fill(0.5), payload: { path: "bag/a.png", label: "bag" } }]);
  server = await serve({ port: 0, collection: "c", store, modelCard: MODEL, imagesRoot: images, allowHosts: ["photos.lan"], cors: "http://localhost:5173" });
});
afterAll(async () => {
  await server?.close();
  await running?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("thumbnails under a swapping folder", () => {
  it("8 readers for 8 s while a child process swaps bag/ for a symlink to the outside: the outside file is never served", async () => {
    // the swapper runs in its own process, so the swaps race the server for real
    const swapper = spawn(process.execPath, ["-e", `
      const fs = require("node:fs");
      const [dir, outside] = process.argv.slice(1);
      const real = dir + "-real", end = Date.now() + 8000;
      let n = 0;
      while (Date.now() < end) {
        fs.renameSync(dir, real);
        fs.symlinkSync(outside, dir);
        fs.unlinkSync(dir);
        fs.renameSync(real, dir);
        n++;
      }
      console.log(n);
    `, join(images, "bag"), join(tmp, "outside")], { stdio: ["ignore", "pipe", "inherit"] });
    let swaps = "";
    swapper.stdout.on("data", (c) => (swaps += c));
    const done = new Promise<number | null>((r) => swapper.on("exit", r));
    const tally = { inside: 0, outside: 0, refused: 0 };
    const statuses = new Set<number>();
    let running = true;
    void done.then(() => (running = false));
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (running) {
        const r = await fetch(`${server.url}/api/thumb/${ID}`);
        const body = Buffer.from(await r.arrayBuffer());
        statuses.add(r.status);
        if (r.status === 200 && body.equals(INSIDE)) tally.inside++;
        else if (body.includes(OUTSIDE)) tally.outside++;
        else tally.refused++;
      }
    }));
    expect(await done).toBe(0);
    expect(Number(swaps)).toBeGreaterThan(100);
    expect(tally.outside).toBe(0);
    // the race was run: readers saw the folder both ways (served, and refused or missing)
    expect(tally.inside).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
    expect([...statuses].every((s) => [200, 403, 404].includes(s))).toBe(true);
  }, 30_000);

  it("a FIFO under the folder is refused at once, not waited on", async () => {
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [join(images, "bag", "pipe.png")]);
    await store.upsert("c", [{ id: "00000000-0000-4000-8000-000000000002", vector: new Array(DIM).fill(0.25), payload: { path: "bag/pipe.png" } }]);
    const r = await fetch(`${server.url}/api/thumb/00000000-0000-4000-8000-000000000002`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(404);
    expect((await r.json()).error.message).toMatch(/"bag\/pipe.png" is not a file/);
  });
});

describe("exposure of margin serve", () => {
  it("a foreign Host gets 403; ours and --allow-host names pass", async () => {
    const port = server.port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`]) {
      for (const path of ["/", "/api/collection", `/api/thumb/${ID}`]) {
        const r = await rawHttp(server.url, { path, headers: { host } });
        expect([host, path, r.status]).toEqual([host, path, 403]);
        expect(JSON.parse(r.body).error.message).toMatch(/^Forbidden: Host .* is not a name of this server.*--allow-host NAME/);
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "photos.lan:443"]) {
      expect((await rawHttp(server.url, { path: "/api/collection", headers: { host } })).status).toBe(200);
    }
  });

  it("a foreign Origin gets 403; the page's own origin and --cors origins pass; text/plain searches get 415", async () => {
    const search = JSON.stringify({ vector: new Array(DIM).fill(0.5), limit: 1 });
    const post = (headers: Record<string, string>) => rawHttp(server.url, { method: "POST", path: "/api/search", headers, body: search });
    const foreign = await post({ "content-type": "application/json", origin: "http://evil.example" });
    expect([foreign.status, JSON.parse(foreign.body).error.message]).toEqual([403, expect.stringMatching(/origin "http:\/\/evil.example" are refused; start the server with --cors/)]);
    expect((await rawHttp(server.url, { path: "/api/collection", headers: { origin: "http://evil.example" } })).status).toBe(403);
    expect((await post({ "content-type": "application/json", origin: server.url })).status).toBe(200);
    const listed = await post({ "content-type": "application/json", origin: "http://localhost:5173" });
    expect([listed.status, listed.headers["access-control-allow-origin"]]).toEqual([200, "http://localhost:5173"]);
    const plain = await post({ "content-type": "text/plain", origin: server.url });
    expect(plain.status).toBe(415);
  });
});
