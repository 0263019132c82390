/**
 * Aliases and collection metadata through the real client over HTTP, every
 * answer validated against Qdrant 1.19's schema (harness): atomic action
 * lists, Qdrant's refusals, alias resolution on the routes that take a
 * collection name, aliases dropped with their collection, both kept across
 * a restart.
 */

import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Harness, harness, tempDir } from "./helpers.js";

let h: Harness;
let dir: string;
const V = { size: 4, distance: "Dot" as const };

beforeAll(async () => {
  dir = tempDir("aliases");
  h = await harness("aliases", { path: dir });
  await h.client.createCollection("a", { vectors: V });
  await h.client.createCollection("b", { vectors: V, metadata: { model: "m1", version: "abc" } });
  await h.client.upsert("a", { wait: true, points: [{ id: 1, vector: [1, 0, 0, 0], payload: { in: "a" } }] });
  await h.client.upsert("b", { wait: true, points: [{ id: 1, vector: [0, 1, 0, 0], payload: { in: "b" } }, { id: 2, vector: [0, 0, 1, 0] }] });
});
afterAll(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sorted = (r: { aliases: { alias_name: string; collection_name: string }[] }) =>
  r.aliases.map((a) => `${a.alias_name}->${a.collection_name}`).sort();

it("creates, lists, renames and deletes aliases", async () => {
  expect(await h.client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: "a", alias_name: "photos" } }, { create_alias: { collection_name: "a", alias_name: "x" } }] })).toBe(true);
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a", "x->a"]);
  expect(sorted(await h.client.getCollectionAliases("a"))).toEqual(["photos->a", "x->a"]);
  expect((await h.client.getCollectionAliases("b")).aliases).toEqual([]);
  await h.client.updateCollectionAliases({ actions: [{ rename_alias: { old_alias_name: "x", new_alias_name: "y" } }, { delete_alias: { alias_name: "nope" } }] });
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a", "y->a"]);
  await h.client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: "y" } }] });
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a"]);
});

it("resolves an alias on reads, writes and collection info, but not on delete", async () => {
  const got = await h.client.query("photos", { query: [1, 0, 0, 0], limit: 5, with_payload: true });
  expect(got.points.map((p) => p.payload)).toEqual([{ in: "a" }]);
  expect((await h.client.getCollection("photos")).points_count).toBe(1);
  expect((await h.client.collectionExists("photos")).exists).toBe(true);
  await h.client.upsert("photos", { wait: true, points: [{ id: 7, vector: [1, 1, 0, 0] }] });
  expect((await h.client.count("a")).count).toBe(2);
  expect(await h.client.deleteCollection("photos")).toBe(false); // Qdrant deletes by a collection's own name only
  expect((await h.client.count("a")).count).toBe(2);
  const r = await h.raw("POST", "/collections/photos/points/scroll", { limit: 10 });
  expect(r.json.result.points.map((p: { id: number }) => p.id)).toEqual([1, 7]);
});

it("switches an alias between collections in one request", async () => {
  await h.client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: "photos" } }, { create_alias: { collection_name: "b", alias_name: "photos" } }] });
  const got = await h.client.query("photos", { query: [0, 1, 0, 0], limit: 1, with_payload: true });
  expect(got.points[0]!.payload).toEqual({ in: "b" });
  // create_alias on an existing alias re-points it, as Qdrant's insert does
  await h.client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: "a", alias_name: "photos" } }] });
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a"]);
});

it("refuses a bad action list whole, in Qdrant's words", async () => {
  const before = sorted(await h.client.getAliases());
  let r = await h.raw("POST", "/collections/aliases", { actions: [{ create_alias: { collection_name: "b", alias_name: "z" } }, { create_alias: { collection_name: "gone", alias_name: "w" } }] });
  expect(r.status).toBe(404);
  expect(r.json.status.error).toMatch(/^Not found: Collection `gone` doesn't exist! \(at actions\[1\]\)/);
  r = await h.raw("POST", "/collections/aliases", { actions: [{ create_alias: { collection_name: "b", alias_name: "z" } }, { rename_alias: { old_alias_name: "none", new_alias_name: "q" } }] });
  expect(r.status).toBe(404);
  expect(r.json.status.error).toMatch(/^Not found: Alias none does not exists!/);
  r = await h.raw("POST", "/collections/aliases", { actions: [{ create_alias: { collection_name: "b", alias_name: "a" } }] });
  expect(r.status).toBe(409);
  expect(r.json.status.error).toMatch(/^Wrong input: Collection `a` already exists!/);
  r = await h.raw("POST", "/collections/aliases", { actions: [{ make_alias: {} }] });
  expect(r.status).toBe(400);
  expect(r.json.status.error).toMatch(/actions\[0\] must be one of \{"create_alias"/);
  r = await h.raw("POST", "/collections/aliases", { actions: [{ create_alias: { collection_name: "b", alias_name: "" } }] });
  expect(r.status).toBe(400);
  expect(r.json.status.error).toMatch(/actions\[0\]\.create_alias\.alias_name must be a name/);
  expect(sorted(await h.client.getAliases())).toEqual(before); // nothing of the refused requests stayed
  r = await h.raw("PUT", "/collections/photos", { vectors: V });
  expect(r.status).toBe(400);
  expect(r.json.status.error).toBe("Wrong input: Can't create collection with name photos. Alias with the same name already exists");
  r = await h.raw("GET", "/collections/nothing/aliases");
  expect(r.json.result).toEqual({ aliases: [] });
});

it("keeps, merges and returns collection metadata", async () => {
  expect((await h.client.getCollection("b")).config.metadata).toEqual({ model: "m1", version: "abc" });
  expect((await h.client.getCollection("a")).config.metadata).toBeUndefined();
  await h.client.updateCollection("b", { metadata: { version: "def", extra: { n: [1, 2] } } });
  expect((await h.client.getCollection("b")).config.metadata).toEqual({ model: "m1", version: "def", extra: { n: [1, 2] } });
  await h.client.updateCollection("b", { metadata: { extra: null } }); // null removes a key (Qdrant's merge)
  expect((await h.client.getCollection("b")).config.metadata).toEqual({ model: "m1", version: "def" });
  const r = await h.raw("PUT", "/collections/m", { vectors: V, metadata: [1] });
  expect(r.status).toBe(400);
  expect(r.json.status.error).toMatch(/^Wrong input: metadata must be a JSON object/);
});

it("keeps aliases and metadata across a restart, and drops the aliases of a deleted collection", async () => {
  await h.client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: "b", alias_name: "bee" } }] });
  await h.stop();
  h = await harness("aliases", { path: dir });
  expect(sorted(await h.client.getAliases())).toEqual(["bee->b", "photos->a"]);
  expect((await h.client.getCollection("bee")).config.metadata).toEqual({ model: "m1", version: "def" });
  expect(await h.client.deleteCollection("b")).toBe(true);
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a"]);
  const r = await h.raw("POST", "/collections/bee/points/count", {});
  expect(r.status).toBe(404);
  expect(r.json.status.error).toMatch(/^Not found: Collection `bee` doesn't exist!/);
  await h.stop();
  h = await harness("aliases", { path: dir });
  expect(sorted(await h.client.getAliases())).toEqual(["photos->a"]);
});
