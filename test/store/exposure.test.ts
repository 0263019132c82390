/**
 * Who may talk to the embedded store (src/http/guard.ts): JSON bodies only
 * (a page's text/plain POST needs no preflight), Host a name of this server
 * (DNS rebinding), Origin refused unless listed with cors, reads included.
 * Raw node:http for headers fetch will not send (Host), the real client for
 * what must keep working, and real chromium for the cross-site page.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import command from "../../src/cli/store.js";
import { InputError } from "../../src/errors.js";
import { startEmbeddedStore } from "../../src/store/embedded-store.js";
import { CHROMIUM, CHROMIUM_ARGS, browserReady } from "../web/env.js";
import { rawHttp } from "../helpers/raw-http.js";
import { type Harness, harness, tempDir } from "./helpers.js";

let h: Harness;
let port: number;
const ids = async () => (await h.client.scroll("c", { limit: 100, with_payload: true })).points.map((p) => (p.payload?.v === p.id ? p.id : `${p.id} lost its payload`));

beforeAll(async () => {
  h = await harness("exposure", { cors: ["http://localhost:5173", "https://app.example"], allowHosts: ["vectors.lan"] });
  port = h.running.port;
  await h.client.createCollection("c", { vectors: { size: 2, distance: "Dot" } });
  await h.client.upsert("c", { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: [id, 1], payload: { v: id } })) });
});
afterAll(async () => {
  await h.stop();
});

describe("content type", () => {
  it("a write with a body that is not JSON-typed: 400 Content type error, nothing applied", async () => {
    const body = JSON.stringify({ points: [1] });
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const r = await rawHttp(h.running.url, {
        method: "POST", path: "/collections/c/points/delete?wait=true", body,
        headers: type === undefined ? { "content-length": String(body.length) } : { "content-type": type },
      });
      expect([type, r.status]).toEqual([type, 400]);
      expect(JSON.parse(r.body).status.error).toMatch(/^Content type error: POST \/collections\/c\/points\/delete takes a JSON body with Content-Type: application\/json/);
    }
    const put = await rawHttp(h.running.url, { method: "PUT", path: "/collections/c/points?wait=true", headers: { "content-type": "text/plain" }, body: '{"points":[{"id":9,"vector":[1,1]}]}' });
    expect(put.status).toBe(400);
    expect(await ids()).toEqual([1, 2, 3]);
    // JSON with parameters, and +json types, are JSON
    for (const type of ["application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"]) {
      const r = await rawHttp(h.running.url, { method: "POST", path: "/collections/c/points/count", headers: { "content-type": type }, body: "{}" });
      expect([type, r.status]).toEqual([type, 200]);
    }
  });
});

describe("Host (DNS rebinding)", () => {
  it("a foreign Host is refused with 403, reads and writes alike; our names pass", async () => {
    for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`, `10.0.0.1:${port}`, "[::1"]) {
      const r = await rawHttp(h.running.url, { path: "/collections", headers: { host } });
      expect([host, r.status]).toEqual([host, 403]);
      expect(JSON.parse(r.body).status.error).toMatch(/^Forbidden: .*--allow-host NAME/);
    }
    const w = await rawHttp(h.running.url, {
      method: "POST", path: "/collections/c/points/delete?wait=true", headers: { host: `rebound.example:${port}`, "content-type": "application/json" }, body: '{"points":[1]}',
    });
    expect(w.status).toBe(403);
    expect(await ids()).toEqual([1, 2, 3]);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, "vectors.lan", "vectors.lan:8443"]) {
      const r = await rawHttp(h.running.url, { path: "/collections", headers: { host } });
      expect([host, r.status]).toEqual([host, 200]);
    }
    // health checks answer any probe
    expect((await rawHttp(h.running.url, { path: "/healthz", headers: { host: "10.1.2.3:80" } })).status).toBe(200);
  });

  it("bound to every interface, IP literals pass (they cannot be re-bound) and names still need --allow-host", async () => {
    const s = await startEmbeddedStore({ path: tempDir("exposure-any"), port: 0, host: "0.0.0.0" });
    try {
      const url = `http://127.0.0.1:${s.port}`;
      expect((await rawHttp(url, { path: "/collections", headers: { host: `192.168.7.7:${s.port}` } })).status).toBe(200);
      expect((await rawHttp(url, { path: "/collections", headers: { host: `myhost.lan:${s.port}` } })).status).toBe(403);
    } finally {
      await s.close();
    }
  });

  it("bad --cors and --allow-host values are InputErrors naming them, before the folder is locked", async () => {
    await expect(startEmbeddedStore({ path: tempDir("exposure-bad"), port: 0, cors: "localhost:5173" })).rejects.toThrow(InputError);
    await expect(startEmbeddedStore({ path: tempDir("exposure-bad"), port: 0, cors: ["http://a.example/path"] })).rejects.toThrow(/cors: "http:\/\/a.example\/path" is not an origin; give scheme:\/\/host\[:port\]/);
    await expect(startEmbeddedStore({ path: tempDir("exposure-bad"), port: 0, allowHosts: ["http://x.lan"] })).rejects.toThrow(/allowHosts: "http:\/\/x.lan" is not a host name/);
  });
});

describe("Origin", () => {
  it("a foreign Origin is refused with 403 on reads and writes; listed origins get CORS headers", async () => {
    for (const [method, path, body] of [["GET", "/collections", undefined], ["GET", "/collections/c", undefined], ["POST", "/collections/c/points/scroll", "{}"], ["POST", "/collections/c/points/delete?wait=true", '{"points":[1]}']] as const) {
      for (const origin of ["http://evil.example", "null", "http://localhost:5174", `http://127.0.0.1:${port + 1}`]) {
        const r = await rawHttp(h.running.url, { method, path, body, headers: { origin, "content-type": "application/json" } });
        expect([method, path, origin, r.status]).toEqual([method, path, origin, 403]);
        expect(JSON.parse(r.body).status.error).toMatch(/^Forbidden: requests from pages of origin .* are refused; start the server with --cors/);
        expect(r.headers["access-control-allow-origin"]).toBeUndefined();
      }
    }
    expect(await ids()).toEqual([1, 2, 3]);
    const ok = await rawHttp(h.running.url, { path: "/collections", headers: { origin: "http://localhost:5173" } });
    expect([ok.status, ok.headers["access-control-allow-origin"], ok.headers.vary]).toEqual([200, "http://localhost:5173", "Origin"]);
    const pre = await rawHttp(h.running.url, {
      method: "OPTIONS", path: "/collections/c/points/query", headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect([pre.status, pre.headers["access-control-allow-origin"]]).toEqual([204, "https://app.example"]);
    expect(pre.headers["access-control-allow-methods"]).toMatch(/POST/);
    const badPre = await rawHttp(h.running.url, { method: "OPTIONS", path: "/collections/c/points/delete", headers: { origin: "http://evil.example" } });
    expect([badPre.status, badPre.headers["access-control-allow-origin"]]).toEqual([403, undefined]);
    // a same-origin page (served from this very address) passes; a no-Origin request marked cross-site does not
    expect((await rawHttp(h.running.url, { path: "/collections", headers: { origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
    expect((await rawHttp(h.running.url, { path: "/collections", headers: { "sec-fetch-site": "cross-site" } })).status).toBe(403);
    expect((await rawHttp(h.running.url, { path: "/collections", headers: { "sec-fetch-site": "none" } })).status).toBe(200);
  });

  it("the official client keeps working: no Origin, our Host", async () => {
    await h.client.upsert("c", { wait: true, points: [{ id: 4, vector: [4, 1], payload: { v: 4 } }] });
    expect((await h.client.query("c", { query: [1, 0], limit: 2 })).points.map((p) => p.id)).toEqual([4, 3]);
    await h.client.delete("c", { wait: true, points: [4] });
    expect(await ids()).toEqual([1, 2, 3]);
  });
});

describe("margin store flags", () => {
  it("--cors and --allow-host are repeatable and reach the server; a bad one is an InputError", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((m: string) => void lines.push(m));
    try {
      const done = command.run(["--path", tempDir("exposure-cli"), "--port", "0", "--json", "--cors", "http://a.example", "--cors", "http://b.example:8080", "--allow-host", "one.lan", "--allow-host", "two.lan"]);
      await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0), { timeout: 10_000 });
      const { url } = JSON.parse(lines[0]!) as { url: string };
      for (const origin of ["http://a.example", "http://b.example:8080"]) {
        const r = await rawHttp(url, { path: "/collections", headers: { origin } });
        expect([origin, r.status, r.headers["access-control-allow-origin"]]).toEqual([origin, 200, origin]);
      }
      expect((await rawHttp(url, { path: "/collections", headers: { origin: "http://c.example" } })).status).toBe(403);
      for (const host of ["one.lan", "two.lan:9000"]) expect((await rawHttp(url, { path: "/collections", headers: { host } })).status).toBe(200);
      expect((await rawHttp(url, { path: "/collections", headers: { host: "three.lan" } })).status).toBe(403);
      process.emit("SIGTERM");
      expect(await done).toBe(0);
    } finally {
      spy.mockRestore();
    }
    await expect(command.run(["--path", tempDir("exposure-cli"), "--port", "0", "--json", "--cors", "a.example"])).rejects.toThrow(InputError);
  });
});

describe.skipIf(browserReady())("a hostile page in chromium", () => {
  let site: Server;
  let siteUrl: string;
  beforeAll(async () => {
    // a page on another origin that tries what a malicious site would: no-preflight writes, reads, a form post
    site = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>evil</title>");
    });
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", () => r()));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => site.close(() => r())));

  it("cannot write (text/plain no-cors POST, form POST) nor read the store, and a re-bound name is refused", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.test 127.0.0.1"] });
    try {
      const page = await browser.newPage();
      await page.goto(siteUrl);
      const store = h.running.url;
      const outcome = await page.evaluate(async (store) => {
        const writes = [];
        for (const [path, body] of [["/collections/c/points/delete?wait=true", '{"points":[1,2,3]}'], ["/collections/c/points/batch?wait=true", '{"operations":[{"delete":{"points":[1]}}]}'], ["/collections/c/points/payload/clear?wait=true", '{"points":[1,2,3]}']]) {
          // no-cors + text/plain: a "simple" request, sent without a preflight; the answer is opaque
          const r = await fetch(store + path, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body }).then((r) => r.type, (e) => `error ${e}`);
          writes.push(r);
        }
        const read = await fetch(store + "/collections").then((r) => `status ${r.status}`, () => "blocked");
        // a form posted into a hidden frame
        const f = document.createElement("form");
        f.method = "POST";
        f.action = store + "/collections/c/points/delete?wait=true";
        f.enctype = "text/plain";
        f.target = "sink";
        const i = document.createElement("input");
        i.name = '{"points":[1,2,3],"x":"';
        i.value = '"}';
        f.appendChild(i);
        const frame = document.createElement("iframe");
        frame.name = "sink";
        document.body.append(frame, f);
        await new Promise<void>((done) => {
          frame.onload = () => done();
          f.submit();
        });
        return { writes, read };
      }, store);
      // "opaque": the request went out and was answered (a network error would reject the fetch)
      expect(outcome.writes).toEqual(["opaque", "opaque", "opaque"]);
      expect(outcome.read).toBe("blocked");
      expect(await ids()).toEqual([1, 2, 3]);
      // DNS rebinding: the browser believes rebind.test is the store's own origin; the Host header gives it away
      const rebound = await page.goto(`http://rebind.test:${port}/collections`);
      expect(rebound?.status()).toBe(403);
      const sameOrigin = await page.evaluate(() => fetch("/collections/c/points/delete?wait=true", { method: "POST", headers: { "content-type": "application/json" }, body: '{"points":[1]}' }).then((r) => r.status));
      expect(sameOrigin).toBe(403);
      expect(await ids()).toEqual([1, 2, 3]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
