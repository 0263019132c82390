/**
 * Hostile bodies against every endpoint of the embedded store: seeded
 * mutations of valid requests (deep nesting, numbers beyond f32 and f64,
 * wrong types, huge strings and arrays, bad UTF-8 and other encodings,
 * duplicated keys, prototype keys, wrong content types, truncation). After
 * each one: no 5xx, no crash (the server answers), and the collection equals
 * a plain model: unchanged after a 4xx, the request applied whole after a 2xx.
 * What must be refused (beyond f32, nested past 127, non-finite payload
 * numbers, non-JSON types, bad UTF-8) is checked to be refused.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng } from "../helpers/random.js";
import { rawHttp } from "../helpers/raw-http.js";
import { type Harness, harness } from "./helpers.js";

const DIM = 3;
const SEED = 1313;
const BODIES = 560;

type Payload = Record<string, unknown>;
interface Point { vector: number[]; payload: Payload }
type Model = Map<string, Point>;

/** Set an own key: "__proto__" stays a plain key, as JSON.parse makes it. */
function define(o: Payload, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

/** JSON with sorted keys, for comparing payloads whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Payload)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

function snapshot(m: Model): string[] {
  return [...m.entries()].map(([id, p]) => `${id} ${p.vector.map((x) => Math.fround(x)).join(",")} ${canonical(p.payload)}`).sort();
}

const key = (id: unknown) => String(id);

/** The plain model of one accepted write: what Qdrant's semantics say it does. */
function applyWrite(m: Model, kind: string, b: any): void {
  const ids = (sel: any): string[] => (sel.points as unknown[]).map(key).filter((id) => m.has(id));
  if (kind === "noop") return; // a read, another collection, or a filter that matches no point (tags are strings, x never is one)
  if (kind === "upsert_batch") {
    const bb = b.batch;
    bb.ids.forEach((id: unknown, i: number) => m.set(key(id), { vector: bb.vectors[i], payload: bb.payloads?.[i] ?? {} }));
  } else if (kind === "upsert") {
    for (const p of b.points) m.set(key(p.id), { vector: p.vector, payload: p.payload ?? {} });
  } else if (kind === "delete") {
    for (const id of ids(b)) m.delete(id);
  } else if (kind === "set_payload") {
    for (const id of ids(b)) {
      const next: Payload = {};
      for (const [k, v] of Object.entries(m.get(id)!.payload)) define(next, k, v);
      for (const [k, v] of Object.entries(b.payload as Payload)) define(next, k, v);
      m.get(id)!.payload = next;
    }
  } else if (kind === "overwrite_payload") {
    for (const id of ids(b)) m.get(id)!.payload = b.payload;
  } else if (kind === "clear_payload") {
    for (const id of ids(b)) m.get(id)!.payload = {};
  } else if (kind === "delete_payload") {
    for (const id of ids(b)) {
      const next: Payload = {};
      for (const [k, v] of Object.entries(m.get(id)!.payload)) if (!(b.keys as string[]).includes(k)) define(next, k, v);
      m.get(id)!.payload = next;
    }
  } else if (kind === "batch") {
    for (const op of b.operations) {
      const [k, inner] = Object.entries(op)[0]!;
      applyWrite(m, k, inner);
    }
  }
}

/** A generated request: raw bytes, headers, and what must happen. */
interface Case {
  what: string;
  method: string;
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  /** The write kind the model applies on a 2xx ("noop" for reads and what changes no point). */
  write: string;
  mustReject: boolean;
}

function generator(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const id = () => (r() < 0.8 ? String(1 + int(30)) : `"00000000-0000-4000-8000-${String(int(30)).padStart(12, "0")}"`);
  const num = () => String(Math.round((r() * 2 - 1) * 1000) / 100);
  const vec = () => `[${Array.from({ length: DIM }, num).join(",")}]`;
  const payload = () => pick([`{"tag":"t${int(5)}","n":${int(100)}}`, `{"n":${int(10)},"list":[1,2,{"x":"y"}]}`, "{}", `{"tag":"t${int(5)}"}`]);
  const filter = () => pick([`{"must":[{"key":"tag","match":{"value":"t${int(5)}"}}]}`, `{"should":[{"key":"n","range":{"gte":${int(50)}}}]}`, `{"must_not":[{"has_id":[${id()}]}]}`]);

  // hostile fragments: [json text, must the request be refused if it lands in a vector / a payload / anywhere]
  const deep = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
  const deepArr = (n: number) => "[".repeat(n) + "]".repeat(n);
  const HOSTILE: { text: () => string; vector: boolean; payload: boolean; any: boolean; tag: string }[] = [
    { tag: "deep-128", text: () => deep(128), vector: true, payload: true, any: true },
    { tag: "deep-5000", text: () => deep(5000), vector: true, payload: true, any: true },
    { tag: "deep-arrays-100k", text: () => deepArr(100_000), vector: true, payload: true, any: true },
    { tag: "1e39", text: () => "1e39", vector: true, payload: false, any: false },
    { tag: "f32-max-up", text: () => "3.4028236e38", vector: true, payload: false, any: false },
    { tag: "-1e200", text: () => "-1e200", vector: true, payload: false, any: false },
    { tag: "1e400", text: () => "1e400", vector: true, payload: true, any: false },
    { tag: "-1e999", text: () => "-1e999", vector: true, payload: true, any: false },
    { tag: "big-int", text: () => "123456789012345678901234567890", vector: false, payload: false, any: false },
    { tag: "tiny", text: () => "1e-400", vector: false, payload: false, any: false },
    { tag: "neg-zero", text: () => "-0", vector: false, payload: false, any: false },
    { tag: "null", text: () => "null", vector: true, payload: false, any: false },
    { tag: "true", text: () => "true", vector: true, payload: true, any: false },
    { tag: "string", text: () => '"x"', vector: true, payload: true, any: false },
    { tag: "empty-array", text: () => "[]", vector: true, payload: true, any: false },
    { tag: "empty-object", text: () => "{}", vector: true, payload: false, any: false },
    { tag: "nested-array", text: () => "[[1,2,3]]", vector: true, payload: true, any: false },
    { tag: "huge-string", text: () => JSON.stringify("ü".repeat(300_000)), vector: true, payload: true, any: false },
    { tag: "huge-array", text: () => `[${"7,".repeat(150_000)}7]`, vector: true, payload: true, any: false },
    { tag: "proto", text: () => '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}', vector: true, payload: false, any: false },
    { tag: "dup-keys", text: () => '{"tag":"first","tag":"second","n":1,"n":2}', vector: true, payload: false, any: false },
    { tag: "unicode", text: () => '{"s":"\\ud800 \\u0000 é😀 \\u2028"}', vector: true, payload: false, any: false },
    { tag: "long-key", text: () => `{${JSON.stringify("k".repeat(100_000))}:1}`, vector: true, payload: false, any: false },
  ];

  // templates: [what, method, path, write kind, slots → body]; slot 0 is where a vector goes, 1 a payload, 2 anything else
  type T = [string, string, string, string, string, (s: [string, string, string]) => string];
  const TEMPLATES: T[] = [
    ["upsert", "PUT", "/collections/c/points?wait=true", "upsert", "vpx", ([v, p, x]) => `{"points":[{"id":${id()},"vector":${v},"payload":${p}},{"id":${x},"vector":${vec()}}]}`],
    ["upsert-batch-form", "PUT", "/collections/c/points?wait=true", "upsert_batch", "vpx", ([v, p, x]) => `{"batch":{"ids":[${id()},${x}],"vectors":[${v},${vec()}],"payloads":[${p},null]}}`],
    ["delete", "POST", "/collections/c/points/delete?wait=true", "delete", "x", ([, , x]) => `{"points":[${id()},${x}]}`],
    ["set_payload", "POST", "/collections/c/points/payload?wait=true", "set_payload", "px", ([, p, x]) => `{"points":[${id()}, ${x}],"payload":${p}}`],
    ["overwrite_payload", "PUT", "/collections/c/points/payload?wait=true", "overwrite_payload", "p", ([, p]) => `{"points":[${id()}],"payload":${p}}`],
    ["delete_payload", "POST", "/collections/c/points/payload/delete?wait=true", "delete_payload", "x", ([, , x]) => `{"points":[${id()}],"keys":["tag",${x}]}`],
    ["clear_payload", "POST", "/collections/c/points/payload/clear?wait=true", "clear_payload", "x", ([, , x]) => `{"points":[${x}]}`],
    ["batch", "POST", "/collections/c/points/batch?wait=true", "batch", "vpx", ([v, p, x]) =>
      `{"operations":[{"upsert":{"points":[{"id":${id()},"vector":${vec()},"payload":${payload()}}]}},{"set_payload":{"points":[${id()}],"payload":${p}}},` +
      `{"upsert":{"points":[{"id":${id()},"vector":${v}}]}},{"delete":{"points":[${x}]}}]}`],
    ["delete-filter", "POST", "/collections/c/points/delete?wait=true", "noop", "x", ([, , x]) => `{"filter":{"must":[{"key":"tag","match":{"value":${x}}}]}}`],
    ["query", "POST", "/collections/c/points/query", "noop", "vx", ([v, , x]) => `{"query":${v},"limit":${x},"filter":${filter()}}`],
    ["query-filter", "POST", "/collections/c/points/query", "noop", "vp", ([v, p]) => `{"query":${v},"filter":{"must":[{"key":"tag","match":${p}}]}}`],
    ["query-batch", "POST", "/collections/c/points/query/batch", "noop", "vx", ([v, , x]) => `{"searches":[{"query":${v}},{"query":${vec()},"limit":${x}}]}`],
    ["recommend-query", "POST", "/collections/c/points/query", "noop", "vx", ([v, , x]) => `{"query":{"recommend":{"positive":[${v}],"negative":[${x}],"strategy":"best_score"}}}`],
    ["scroll", "POST", "/collections/c/points/scroll", "noop", "px", ([, p, x]) => `{"limit":5,"offset":${x},"with_payload":${p},"filter":${filter()}}`],
    ["count", "POST", "/collections/c/points/count", "noop", "p", ([, p]) => `{"filter":{"must":[{"key":"n","range":${p}}]}}`],
    ["retrieve", "POST", "/collections/c/points", "noop", "px", ([, p, x]) => `{"ids":[${x}],"with_payload":${p},"with_vector":true}`],
    ["create", "PUT", "/collections/z", "noop", "vx", ([v, , x]) => `{"vectors":{"size":${x},"distance":"Dot"},"optimizers_config":${v}}`],
    ["index", "PUT", "/collections/c/index?wait=true", "noop", "px", ([, p, x]) => `{"field_name":${x},"field_schema":${p}}`],
  ];
  const DEFAULT_X = () => id();
  // where the store must refuse a hostile vector (slot v) or payload (slot p): a vector or payload it checks
  const VECTOR_CHECKED = new Set(["upsert", "upsert-batch-form", "batch", "recommend-query"]);
  const PAYLOAD_CHECKED = new Set(["upsert", "upsert-batch-form", "set_payload", "overwrite_payload", "batch"]);

  return function next(): Case {
    const [what, method, path, write, uses, make] = pick(TEMPLATES);
    const slots: [string, string, string] = [vec(), payload(), DEFAULT_X()];
    let mustReject = false;
    const tags: string[] = [];
    const hostileSlots = int(3) === 0 ? 0 : 1 + int(2);
    const chosen = new Map<number, (typeof HOSTILE)[number]>();
    for (let k = 0; k < hostileSlots; k++) chosen.set(int(3), pick(HOSTILE)); // a slot picked twice keeps the last
    for (const [slot, h] of chosen) {
      slots[slot] = h.text();
      tags.push(`${["vector", "payload", "x"][slot]}=${h.tag}`);
      const used = uses.includes("vpx"[slot]!);
      if (used && h.any) mustReject = true;
      if (used && slot === 0 && h.vector && VECTOR_CHECKED.has(what)) mustReject = true;
      if (used && slot === 1 && h.payload && PAYLOAD_CHECKED.has(what)) mustReject = true;
    }
    let body = Buffer.from(make(slots), "utf8");
    const headers: Record<string, string> = { "content-type": "application/json" };
    const enc = int(12);
    if (enc === 0) {
      // a byte that is never UTF-8, inside a string
      const at = body.indexOf('"') + 1;
      body = Buffer.concat([body.subarray(0, at), Buffer.from([0xff, 0xfe]), body.subarray(at)]);
      tags.push("bad-utf8");
      mustReject = true;
    } else if (enc === 1) {
      body = Buffer.concat([Buffer.from([0xc0, 0xaf]), body]); // an overlong "/"
      tags.push("overlong");
      mustReject = true;
    } else if (enc === 2) {
      body = Buffer.from(body.toString("utf8"), "utf16le");
      headers["content-type"] = "application/json; charset=utf-16";
      tags.push("utf16");
      mustReject = true;
    } else if (enc === 3) {
      body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
      tags.push("bom");
      mustReject = true;
    } else if (enc === 4) {
      body = body.subarray(0, int(body.length));
      tags.push("truncated");
    } else if (enc === 5) {
      headers["content-type"] = pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/jsonx"]);
      tags.push(headers["content-type"]);
      mustReject = true;
    } else if (enc === 6) {
      headers["content-encoding"] = "gzip"; // not compressed: the store does not decode, the JSON is read as is
      tags.push("gzip-header");
    }
    return { what: `${what} [${tags.join(" ")}]`, method, path, body, headers, write, mustReject };
  }
}

let h: Harness;
beforeAll(async () => {
  h = await harness("hostile", { maxBodyBytes: 4 * 2 ** 20 });
  await h.client.createCollection("c", { vectors: { size: DIM, distance: "Dot" } });
});
afterAll(async () => {
  await h.stop();
});

/** The collection as the store shows it, in the model's form. */
async function stored(): Promise<string[]> {
  const r = await h.client.scroll("c", { limit: 1000, with_payload: true, with_vector: true });
  return r.points.map((p) => `${p.id} ${(p.vector as number[]).map((x) => Math.fround(x)).join(",")} ${canonical(p.payload)}`).sort();
}

describe("hostile bodies", () => {
  it(`${BODIES} seeded bodies: no 5xx, no crash, never half-applied, what must be refused is refused`, async () => {
    const model: Model = new Map();
    for (let i = 1; i <= 30; i += 3) model.set(String(i), { vector: [i, 1, 0], payload: { tag: `t${i % 5}`, n: i } });
    await h.client.upsert("c", { wait: true, points: [...model].map(([id, p]) => ({ id: Number(id), vector: p.vector, payload: p.payload })) });
    const next = generator(SEED);
    const tally: Record<string, number> = {};
    for (let i = 0; i < BODIES; i++) {
      const c = next();
      const r = await rawHttp(h.running.url, { method: c.method, path: c.path, headers: { ...c.headers, "content-length": String(c.body.length) }, body: c.body });
      const label = `#${i} ${c.method} ${c.path} ${c.what} -> ${r.status} ${r.body.slice(0, 200)}`;
      expect(r.status < 500, label).toBe(true);
      if (c.mustReject) expect(r.status >= 400, label).toBe(true);
      tally[r.status] = (tally[r.status] ?? 0) + 1;
      if (r.status < 300 && c.write !== "noop") applyWrite(model, c.write, JSON.parse(c.body.toString("utf8")));
      if (r.status < 300 && c.path.startsWith("/collections/z")) await h.client.deleteCollection("z");
      expect(await stored(), label).toEqual(snapshot(model));
    }
    // the server still answers, and nothing leaked into prototypes
    expect((await h.raw("GET", "/healthz")).status).toBe(200);
    expect((await h.client.count("c")).count).toBe(model.size);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // the mix was hostile: most refused, some applied
    const refused = Object.entries(tally).filter(([s]) => Number(s) >= 400).reduce((a, [, n]) => a + n, 0);
    expect(refused).toBeGreaterThan(BODIES / 2);
    expect(tally[200] ?? 0).toBeGreaterThan(20);
  }, 240_000);
});
