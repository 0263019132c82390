/**
 * The adapt CLI tests' data: a stored space that ranks poorly and the marks
 * simulated users give on it. Ten classes whose signal sits in 10 of 64
 * dimensions under noise in all 64, so a linear map that stretches those 10
 * ranks well; users mark up to 3 right and 3 wrong results of page 1.
 * Seeded: the same points and marks every run.
 */

import { QdrantStore, recordMarks, startEmbeddedStore } from "../../src/index.js";
import { gaussian, rng } from "../helpers/random.js";

export const DIM = 64;
export const N = 1500;
export const MODEL = "fashion-mnist-triplet-64";

/**
 * Fill `collection` (created with `metadata`) in the embedded store at
 * `storePath`, point the alias `alias` at it when given, and record 300
 * simulated sessions on the name users search (the alias, else the collection).
 */
export async function seedSynthetic(o: { storePath: string; collection: string; alias?: string; metadata?: Record<string, unknown> }): Promise<void> {
  const noise = gaussian(N * DIM, 5, 0.3);
  const r = rng(6);
  const labels = Array.from({ length: N }, () => Math.floor(r() * 10));
  const s = await startEmbeddedStore({ path: o.storePath, port: 0 });
  try {
    const store = await QdrantStore.connect({ url: s.url });
    await store.ensureCollection({ name: o.collection, size: DIM, distance: "Euclid", metadata: o.metadata });
    await store.upsert(o.collection, labels.map((c, i) => {
      const v = noise.slice(i * DIM, (i + 1) * DIM);
      v[c] = v[c]! + 0.5;
      return { id: i + 1, vector: v, payload: { label: String(c), model: MODEL } };
    }));
    if (o.alias) await store.switchAlias(o.alias, o.collection);
    const searched = o.alias ?? o.collection;
    for (let q = 0; q < 300; q++) {
      const id = 1 + Math.floor(r() * N);
      const page = await store.nearest({ collection: searched, id, limit: 10 });
      const same = (h: { payload?: Record<string, unknown> }) => h.payload!.label === String(labels[id - 1]);
      const right = page.filter(same).slice(0, 3).map((h) => h.id);
      const wrong = page.filter((h) => !same(h)).slice(0, 3).map((h) => h.id);
      if (right.length + wrong.length) await recordMarks(store, { collection: searched, query: { id }, right, wrong, model: MODEL });
    }
  } finally {
    await s.close();
  }
}
