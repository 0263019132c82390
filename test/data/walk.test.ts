import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError, walkImages } from "../../src/index.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "margin-walk-"));
  for (const d of ["shirts/summer", "shoes", ".git", "shoes/.thumbs"]) await mkdir(join(dir, d), { recursive: true });
  for (const f of ["top.PNG", "shirts/a.jpg", "shirts/summer/b.webp", "shoes/c.gif", "shoes/notes.txt",
    ".hidden.png", ".git/d.png", "shoes/.thumbs/e.png", "shoes/.f.png"]) await writeFile(join(dir, f), "x");
  await symlink(dir, join(dir, "shoes", "loop")); // a loop back to the root
  await symlink(join(dir, "shirts"), join(dir, "linked")); // a second way into shirts
  await symlink(join(dir, "nowhere"), join(dir, "shoes", "dangling.png"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("walkImages", () => {
  it("walks recursively in sorted order, labels by first sub-folder, skips hidden and loops", async () => {
    const found = [];
    for await (const e of walkImages(dir)) found.push([e.relativePath, e.label ?? null]);
    expect(found).toEqual([
      ["linked/a.jpg", "linked"],
      ["linked/summer/b.webp", "linked"],
      ["shirts/a.jpg", "shirts"],
      ["shirts/summer/b.webp", "shirts"],
      ["shoes/c.gif", "shoes"],
      ["top.PNG", null],
    ]);
  });

  it("keeps only the extensions asked for", async () => {
    const found = [];
    for await (const e of walkImages(dir, { extensions: [".gif"] })) found.push(e.relativePath);
    expect(found).toEqual(["shoes/c.gif"]);
  });

  it("refuses a missing folder or a file", async () => {
    const walk = async (p: string) => { for await (const _ of walkImages(p)); };
    await expect(walk(join(dir, "missing"))).rejects.toThrow(DataError);
    await expect(walk(join(dir, "missing"))).rejects.toThrow(/cannot be opened \(ENOENT\); check the path/);
    await expect(walk(join(dir, "top.PNG"))).rejects.toThrow(/is not a directory/);
  });
});
