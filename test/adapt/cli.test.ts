import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { margin } from "../helpers/cli.js";
import { DIM, MODEL, N, seedSynthetic } from "./synthetic.js";

describe("margin feedback and margin adapt", () => {
  let dir: string;
  let storePath: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "margin-adapt-cli-"));
    storePath = join(dir, "store");
    await seedSynthetic({ storePath, collection: "synthetic" });
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("feedback lists and exports the recorded sessions", async () => {
    const out = join(dir, "marks.jsonl");
    const r = await margin(["feedback", "--collection", "synthetic", "--store", storePath, "--json", "--out", out]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ collection: "synthetic", marks: "synthetic__marks", dropped: 0 });
    expect(j.records).toHaveLength(300);
    expect(j.records[0]).toMatchObject({ model: MODEL });
    expect(j.records[0].queryVector).toHaveLength(DIM);
    const lines = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(j.records.map((x: { id: string }) => x.id));
  });

  it("adapt refuses to judge on fewer held-out sessions than the gate needs, and writes nothing", async () => {
    const models = join(dir, "refused");
    const r = await margin(["adapt", "--collection", "synthetic", "--store", storePath, "--models-dir", models]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/linear|mlp/);
    expect(r.stdout).toMatch(/not shipped: .* the gate needs at least 100 held-out sessions to judge; record more marks/);
    const f = await margin(["feedback", "--collection", "synthetic-adapted", "--store", storePath, "--json"]);
    expect(JSON.parse(f.stdout).records).toEqual([]);
    await expect(readdir(models)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("adapt trains, gates, writes encoder + adapter with its card and re-embeds into a new collection", async () => {
    const models = join(dir, "models");
    const r = await margin(["adapt", "--collection", "synthetic", "--store", storePath, "--models-dir", models, "--min-held-out", "40", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // a plain collection (not an alias) is copied into NAME-adapted and left as it was
    expect(j).toMatchObject({ collection: "synthetic", records: 300, shipped: true, into: "synthetic-adapted", switched: false, points: N });
    expect(j.gate.reason).toMatch(/^shipped: /);
    expect(r.stderr).toMatch(/adapt: \d+ training, \d+ validation, \d+ held-out sessions/);
    const card = JSON.parse(await readFile(j.model, "utf8"));
    expect(card).toMatchObject({ name: j.modelName, adapter: { kind: j.kind, dim: DIM, base: { name: MODEL }, gate: { ship: true } } });
    expect(card.adapter.base.onnxSha256).toMatch(/^[0-9a-f]{64}$/);
    const f = await margin(["feedback", "--collection", "synthetic-adapted", "--store", storePath, "--json"]);
    expect(JSON.parse(f.stdout).records).toEqual([]);
  }, 120_000);

  it("refuses a missing collection flag and marks made on another model", async () => {
    const a = await margin(["adapt", "--store", storePath]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("margin adapt: --collection NAME is required");
    const b = await margin(["adapt", "--collection", "synthetic", "--store", storePath, "--kinds", "deep"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--kinds takes linear, mlp, got "deep"');
  });
});
