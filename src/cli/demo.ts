/** `margin demo`: a first look at the kernels (the ingest+search demo replaces it). */

import { Kernels } from "../index.js";
import type { Command } from "./main.js";
import { parse } from "./args.js";

const help = `margin demo: nearest neighbours and triplet statistics on seeded clustered vectors

Usage: margin demo [--json]`;

const command: Command = {
  summary: "a quick kernel demo",
  help,
  async run(argv) {
    const { values } = parse("demo", argv, {});
    const k = await Kernels.load();
    const dim = 64, classes = 10, per = 500, n = classes * per;
    let s = 12345;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
    const centres = Float32Array.from({ length: classes * dim }, rand);
    const vectors = new Float32Array(n * dim);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % classes;
      for (let d = 0; d < dim; d++) vectors[i * dim + d] = centres[labels[i]! * dim + d]! + 0.6 * rand();
    }
    const top = k.nearest({ query: vectors.subarray(0, dim), vectors, dim, k: 5 });
    const stats = k.tripletStats({ embeddings: vectors, labels, dim, margin: 0.5 });
    if (values.json) console.log(JSON.stringify({ nearest: Array.from(top.indices), stats }));
    else {
      console.log(`nearest to point 0 (label ${labels[0]}):`);
      for (let r = 0; r < top.indices.length; r++) {
        console.log(`  ${r + 1}. point ${top.indices[r]}  label ${labels[top.indices[r]!]}  d² ${top.values[r]!.toFixed(3)}`);
      }
      console.log(`triplets: ${stats.triplets} (easy ${stats.easy}, semi-hard ${stats.semiHard}, hard ${stats.hard})`);
    }
    return 0;
  },
};
export default command;
