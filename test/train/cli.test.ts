import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseModelCard } from "../../src/model/card.js";

const run = promisify(execFile);
const BIN = new URL("../../bin/margin.js", import.meta.url).pathname;
const FIX = new URL("../fixtures/idx/", import.meta.url).pathname;

async function margin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args]);
    return { code: 0, ...r };
  } catch (e: any) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("margin train", () => {
  it("trains, then writes NAME.onnx and a card recording the exact command and the metrics", async () => {
    const out = await mkdtemp(join(tmpdir(), "margin-train-"));
    const args = ["train", "--data", FIX, "--epochs", "1", "--conv", "8,16", "--dense", "32", "--dim", "16", "--batch-size", "40",
      "--workers", "1", "--out", out, "--name", "tiny", "--checkpoint", join(out, "ckpt")];
    const r = await margin(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/untrained baseline: validation P@1 [\d.]+; test P@1/);
    expect(r.stdout).toMatch(/epoch 1 batch-all lr .* val P@1/);
    const card = parseModelCard(JSON.parse(await readFile(join(out, "tiny.json"), "utf8")), "tiny.json");
    expect(card.training!.command).toBe(["margin", ...args].join(" "));
    expect(card.output.dim).toBe(16);
    expect((card.metrics as any).test.queries).toBe(200);
    expect((await readFile(join(out, "tiny.onnx"))).length).toBeGreaterThan(1000);
  }, 120_000);

  it("--images trains on a labeled folder (one class is refused with exit 1)", async () => {
    const out = await mkdtemp(join(tmpdir(), "margin-folder-"));
    const dir = join(out, "imgs");
    const sharp = (await import("sharp")).default;
    for (const [label, color] of [["a", 30], ["b", 220]] as const) {
      await mkdir(join(dir, label), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const px = Buffer.alloc(20 * 20, color + i * 3);
        await writeFile(join(dir, label, `${i}.png`), await sharp(px, { raw: { width: 20, height: 20, channels: 1 } }).png().toBuffer());
      }
    }
    const r = await margin(["train", "--images", dir, "--size", "16x16", "--epochs", "1", "--conv", "4", "--dense", "8", "--dim", "4",
      "--batch-size", "4", "--classes-per-batch", "2", "--validation", "0.2", "--workers", "1", "--out", out, "--name", "folder", "--checkpoint", join(out, "c")]);
    expect(r.code).toBe(0);
    const card = parseModelCard(JSON.parse(await readFile(join(out, "folder.json"), "utf8")), "folder.json");
    expect([card.input.height, card.input.width]).toEqual([16, 16]);
    expect(card.training!.dataset).toMatch(/image folder/);
    const one = await margin(["train", "--images", join(dir, "a")]);
    expect(one.code).toBe(1);
  }, 120_000);

  it("bad input exits 1 (data, margin, batch) or 2 (flags) with a message", async () => {
    const missing = await margin(["train", "--data", "/nonexistent"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: IDX file not found: tried \/nonexistent\/train-images-idx3-ubyte/);
    const m0 = await margin(["train", "--data", FIX, "--margin", "0"]);
    expect(m0.code).toBe(1);
    expect(m0.stderr).toMatch(/margin must be a number > 0, got 0/);
    const flag = await margin(["train", "--squared", "maybe"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--squared must be true or false/);
  }, 60_000);
});
