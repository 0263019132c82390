/** Argument checks at the kernels' edge: each names the argument and the allowed range. */

import { InputError } from "../errors.js";
import type { F32Input, LabelInput } from "./types.js";

export function checkDim(dim: unknown, where: string): number {
  if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 1) {
    throw new InputError(`${where}: dim must be a positive integer, got ${String(dim)}`);
  }
  return dim;
}

/** Rows in a row-major [rows, dim] input; rejects lengths that are not a multiple of dim. */
export function rowsOf(x: F32Input | undefined, dim: number, name: string, where: string, allowEmpty = false): number {
  if (x === undefined || x === null || typeof (x as { length?: unknown }).length !== "number") {
    throw new InputError(`${where}: ${name} must be a Float32Array, got ${x === null ? "null" : typeof x}`);
  }
  if (!(x instanceof Float32Array) && typeof (x as { ptr?: unknown }).ptr !== "number") {
    throw new InputError(`${where}: ${name} must be a Float32Array or a KernelF32 block, got ${describe(x)}`);
  }
  if (x.length % dim !== 0) {
    throw new InputError(
      `${where}: ${name} has ${x.length} values, which is not a whole number of rows of dim ${dim}; ` +
        `check that dim matches the vectors (dimension mismatch)`,
    );
  }
  const rows = x.length / dim;
  if (rows === 0 && !allowEmpty) throw new InputError(`${where}: ${name} is empty; pass at least one row`);
  return rows;
}

export function checkMargin(margin: unknown, where: string, name = "margin"): number {
  if (typeof margin !== "number" || !Number.isFinite(margin) || margin <= 0) {
    throw new InputError(`${where}: ${name} must be a finite number > 0, got ${String(margin)}`);
  }
  return margin;
}

export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, where: string): T {
  if (!allowed.includes(value as T)) {
    throw new InputError(
      `${where}: unsupported ${name} ${JSON.stringify(value)}. Should be one of: ${allowed.map((a) => `"${a}"`).join(", ")}`,
    );
  }
  return value as T;
}

/** Labels as Int32Array of length n, each an integer. */
export function checkLabels(labels: LabelInput | undefined, n: number, where: string): Int32Array {
  if (!labels || typeof labels.length !== "number") {
    throw new InputError(`${where}: labels must be an Int32Array or an array of integers, got ${describe(labels)}`);
  }
  if (labels.length !== n) {
    throw new InputError(`${where}: labels has length ${labels.length} but there are ${n} embeddings; pass one label per row`);
  }
  if (labels instanceof Int32Array) return labels;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new InputError(`${where}: labels[${i}] must be a 32-bit integer, got ${String(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** Mining needs two classes, and triplets need some class with two members. */
export function checkClasses(labels: Int32Array, needPositivePair: boolean, where: string): void {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  if (counts.size < 2) {
    throw new InputError(
      `${where}: all ${labels.length} labels are ${labels[0]}: a single class has no negatives; ` +
        `batches need at least 2 classes`,
    );
  }
  if (needPositivePair && ![...counts.values()].some((c) => c >= 2)) {
    throw new InputError(
      `${where}: every class has only one member, so there is no positive pair; ` +
        `batches need at least 2 items of some class (use a P×K sampler with K ≥ 2)`,
    );
  }
}

/** The first non-finite value of a float array, for error messages. */
export function firstNonFinite(x: Float32Array, dim: number): { row: number; col: number; value: number } | null {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) return { row: Math.floor(i / dim), col: i % dim, value: v };
  }
  return null;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

export function checkK(k: unknown, n: number, where: string): number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) {
    throw new InputError(`${where}: k must be a positive integer, got ${String(k)}`);
  }
  if (k > n) throw new InputError(`${where}: k = ${k} is larger than the ${n} scores; pass k ≤ ${n}`);
  return k;
}

export function checkRows(rows: Int32Array, n: number, where: string): void {
  if (!(rows instanceof Int32Array)) throw new InputError(`${where}: rows must be an Int32Array of row indices`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r < 0 || r >= n) throw new InputError(`${where}: rows[${i}] = ${r} is outside the ${n} vectors`);
  }
}
