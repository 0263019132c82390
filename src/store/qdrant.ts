/**
 * The client side of the store: the one module that imports
 * @qdrant/js-client-rest. It speaks to a Qdrant server or cluster, or to the
 * embedded store, over the same REST API, and turns every failure into a
 * {@link StoreError} that names the URL, the collection and the fix.
 * Reads use the Query API only.
 */

import { QdrantClient, type Schemas } from "@qdrant/js-client-rest";
import type { PointId } from "../data/point-id.js";
import { InputError, StoreError } from "../errors.js";
import type { Distance } from "../model/card.js";
import { retrying, type RetryOptions } from "./qdrant-retry.js";

export type { RetryOptions } from "./qdrant-retry.js";

/** A Qdrant payload filter (`must`, `should`, `must_not` conditions), passed through as is. */
export type StoreFilter = Schemas["Filter"];
/** A Query API query body of the feedback kinds (Qdrant's schema, passed through as is). */
export type FeedbackQueryBody = Schemas["RecommendQuery"] | Schemas["DiscoverQuery"] | Schemas["ContextQuery"] | Schemas["RelevanceFeedbackQuery"] | Schemas["NearestQuery"];

/** A point id (defined once, in src/data/point-id.ts). */
export type { PointId };

/** A point to upsert. */
export interface StorePoint {
  id: PointId;
  vector: number[] | Float32Array;
  payload?: Record<string, unknown>;
}

/** One search hit (or one retrieved point, with `score` 0). */
export interface StoreHit {
  id: PointId;
  score: number;
  payload?: Record<string, unknown>;
  vector?: number[];
}

/** How {@link QdrantStore.connect} reaches a Qdrant server: its URL, API key, timeout and retries. */
export interface ConnectOptions extends RetryOptions {
  /** Base URL, e.g. http://localhost:6333. */
  url: string;
  /** Sent as the `api-key` header. */
  apiKey?: string;
  /** Per-request timeout in ms. Default 60 000. */
  timeoutMs?: number;
}

/** A collection's shape: its vector size and distance. */
export interface CollectionSpec {
  name: string;
  size: number;
  distance: Distance;
  /** Only used when the collection is created. */
  shards?: number;
  /** Only used when the collection is created. */
  replicas?: number;
  /** Qdrant's collection metadata (>= 1.16; an older server ignores it), set when the collection is created. */
  metadata?: Record<string, unknown>;
}

/** A nearest-neighbour query: the collection, a vector or a stored point's id, how many hits, a filter, what comes back. */
export interface NearestOptions {
  collection: string;
  /** Query by vector… */
  vector?: number[] | Float32Array;
  /** …or by the id of a stored point (excluded from its own results by Qdrant). */
  id?: PointId;
  /** Default 10. */
  limit?: number;
  filter?: StoreFilter;
  /** Default true. */
  withPayload?: boolean;
  /** Default false. */
  withVector?: boolean;
}

/** Qdrant refuses request bodies above 32 MiB; stay a little below. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024 - 256 * 1024;

/**
 * A connection to Qdrant (or the embedded store).
 * @example
 * const store = await QdrantStore.connect({ url: "http://localhost:6333" });
 * await store.ensureCollection({ name: "shoes", size: 64, distance: "Euclid" });
 */
export class QdrantStore {
  readonly url: string;
  private readonly client: QdrantClient;
  private readonly retry: RetryOptions;

  private constructor(url: string, client: QdrantClient, retry: RetryOptions) {
    this.url = url;
    this.client = client;
    this.retry = retry;
  }

  /**
   * Connect and check that the server answers (with the retry policy).
   * @throws InputError for a malformed URL; StoreError when it cannot be reached.
   */
  static async connect(options: ConnectOptions): Promise<QdrantStore> {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("protocol");
    } catch {
      throw new InputError(`Qdrant URL ${JSON.stringify(options.url)} is not an http(s) URL; expected e.g. http://localhost:6333`);
    }
    const url = options.url.replace(/\/+$/, "");
    const client = new QdrantClient({
      url,
      apiKey: options.apiKey,
      timeout: options.timeoutMs ?? 60_000,
      checkCompatibility: false,
    });
    const store = new QdrantStore(url, client, options);
    await store.call("connect", undefined, () => client.getCollections());
    return store;
  }

  /**
   * Create the collection when missing; check an existing one's vector size and distance.
   * @returns whether it was created.
   * @throws StoreError when an existing collection has another size or distance.
   */
  async ensureCollection(spec: CollectionSpec): Promise<{ created: boolean }> {
    const { name, size, distance } = spec;
    const exists = await this.call("check collection", name, () => this.client.collectionExists(name));
    if (!exists.exists) {
      try {
        await this.call("create collection", name, () => this.client.createCollection(name, {
          vectors: { size, distance },
          shard_number: spec.shards,
          replication_factor: spec.replicas,
          ...(spec.metadata ? { metadata: spec.metadata } : {}),
        }), { retry: false });
        return { created: true };
      } catch (e) {
        // created concurrently by another writer: fall through to the check
        const again = await this.call("check collection", name, () => this.client.collectionExists(name));
        if (!again.exists) throw e;
      }
    }
    const info = await this.call("read collection", name, () => this.client.getCollection(name));
    const vectors = info.config?.params?.vectors as { size?: number; distance?: string } | Record<string, unknown> | undefined;
    if (!vectors || typeof (vectors as { size?: unknown }).size !== "number") {
      throw new StoreError(`collection "${name}" at ${this.url} uses named vectors; margin needs one unnamed vector per point. Use --collection with a new name.`);
    }
    const v = vectors as { size: number; distance: string };
    if (v.size !== size || v.distance !== distance) {
      throw new StoreError(
        `collection "${name}" at ${this.url} has vectors of size ${v.size} (${v.distance}) but the model outputs ${size} (${distance}); ` +
        `use --collection with a new name or --model that matches.`);
    }
    return { created: false };
  }

  /** Which of `ids` are stored already (ids are looked up in chunks of 1,000). */
  async existingIds(collection: string, ids: readonly PointId[]): Promise<Set<PointId>> {
    const found = new Set<PointId>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const points = await this.call("retrieve", collection, () => this.client.retrieve(collection, {
        ids: chunk as PointId[], with_payload: false, with_vector: false,
      }));
      for (const p of points) found.add(p.id);
    }
    return found;
  }

  /**
   * Upsert with `wait: true`, split into requests under {@link MAX_REQUEST_BYTES};
   * each request is retried with exponential backoff.
   * @throws StoreError after the last retry; requests acknowledged before stay stored.
   */
  async upsert(collection: string, points: readonly StorePoint[], options: { maxBytes?: number } = {}): Promise<void> {
    const maxBytes = options.maxBytes ?? MAX_REQUEST_BYTES;
    let batch: Schemas["PointStruct"][] = [];
    let bytes = 64;
    const flush = async () => {
      if (batch.length === 0) return;
      const body = batch;
      batch = [];
      bytes = 64;
      await this.call("upsert", collection, () => this.client.upsert(collection, { wait: true, points: body }));
    };
    for (const p of points) {
      const point: Schemas["PointStruct"] = { id: p.id, vector: Array.from(p.vector), payload: p.payload ?? {} };
      for (const x of point.vector as number[]) {
        if (!Number.isFinite(x)) throw new InputError(`upsert into "${collection}": point ${p.id} has a non-finite vector value ${x}`);
      }
      const size = Buffer.byteLength(JSON.stringify(point)) + 1;
      if (size + 64 > maxBytes) throw new InputError(`upsert into "${collection}": point ${p.id} alone is ${size} bytes, over the ${maxBytes}-byte request limit`);
      if (bytes + size > maxBytes) await flush();
      batch.push(point);
      bytes += size;
    }
    await flush();
  }

  /** Points by id, in the order found. */
  async retrieve(collection: string, ids: readonly PointId[], options: { withVector?: boolean } = {}): Promise<StoreHit[]> {
    const points = await this.call("retrieve", collection, () => this.client.retrieve(collection, {
      ids: ids as PointId[], with_payload: true, with_vector: options.withVector ?? false,
    }));
    return points.map((p) => ({ id: p.id, score: 0, payload: p.payload ?? undefined, vector: asVector(p.vector) }));
  }

  /**
   * Nearest neighbours of a vector or of a stored point, through the Query API.
   * @throws InputError unless exactly one of `vector`, `id` is given.
   */
  async nearest(o: NearestOptions): Promise<StoreHit[]> {
    if ((o.vector === undefined) === (o.id === undefined)) {
      throw new InputError("nearest: pass exactly one of vector or id");
    }
    const query = o.vector !== undefined ? Array.from(o.vector) : o.id!;
    const res = await this.call("query", o.collection, () => this.client.query(o.collection, {
      query, limit: o.limit ?? 10, filter: o.filter,
      with_payload: o.withPayload ?? true, with_vector: o.withVector ?? false,
    }));
    return res.points.map((p) => ({ id: p.id, score: p.score, payload: p.payload ?? undefined, vector: asVector(p.vector) }));
  }

  /**
   * Many nearest-neighbour searches in one request (the Query API's batch form).
   * Each search may name its own vector or id; limit, filter and with_* are shared.
   */
  async nearestBatch(o: Omit<NearestOptions, "vector" | "id"> & { queries: Array<{ vector?: number[] | Float32Array; id?: PointId }> }): Promise<StoreHit[][]> {
    const searches = o.queries.map((q, i) => {
      if ((q.vector === undefined) === (q.id === undefined)) throw new InputError(`nearestBatch: query ${i} must have exactly one of vector or id`);
      return {
        query: q.vector !== undefined ? Array.from(q.vector) : q.id!, limit: o.limit ?? 10, filter: o.filter,
        with_payload: o.withPayload ?? true, with_vector: o.withVector ?? false,
      };
    });
    if (searches.length === 0) return [];
    const res = await this.call("query batch", o.collection, () => this.client.queryBatch(o.collection, { searches }));
    return res.map((r) => r.points.map((p) => ({ id: p.id, score: p.score, payload: p.payload ?? undefined, vector: asVector(p.vector) })));
  }

  /**
   * Recommend: points near the positive examples and away from the negative
   * ones (vectors or ids), through the Query API's `recommend` query.
   */
  async recommend(o: Omit<NearestOptions, "vector" | "id"> & {
    positive: Array<PointId | number[]>; negative?: Array<PointId | number[]>; strategy?: "average_vector" | "best_score" | "sum_scores";
  }): Promise<StoreHit[]> {
    if (o.positive.length === 0) throw new InputError("recommend: pass at least one positive example");
    const res = await this.call("recommend", o.collection, () => this.client.query(o.collection, {
      query: { recommend: { positive: o.positive, negative: o.negative ?? [], strategy: o.strategy ?? "average_vector" } },
      limit: o.limit ?? 10, filter: o.filter, with_payload: o.withPayload ?? true, with_vector: o.withVector ?? false,
    }));
    return res.points.map((p) => ({ id: p.id, score: p.score, payload: p.payload ?? undefined, vector: asVector(p.vector) }));
  }

  /**
   * One of Qdrant's feedback queries (recommend with any strategy, discover,
   * context, relevance_feedback), passed to the Query API as built by the
   * feedback module (src/feedback/qdrant-queries.ts).
   */
  async feedbackQuery(o: Omit<NearestOptions, "vector" | "id"> & { query: FeedbackQueryBody }): Promise<StoreHit[]> {
    return (await this.feedbackQueryBatch({ ...o, queries: [o.query] }))[0]!;
  }

  /** Many {@link feedbackQuery} bodies in one /points/query/batch request; limit, filter and with_* are shared. */
  async feedbackQueryBatch(o: Omit<NearestOptions, "vector" | "id"> & { queries: FeedbackQueryBody[] }): Promise<StoreHit[][]> {
    if (o.queries.length === 0) return [];
    const searches = o.queries.map((query) => ({
      query, limit: o.limit ?? 10, filter: o.filter, with_payload: o.withPayload ?? true, with_vector: o.withVector ?? false,
    }));
    const res = o.queries.length === 1
      ? [await this.call("query", o.collection, () => this.client.query(o.collection, searches[0]!))]
      : await this.call("query batch", o.collection, () => this.client.queryBatch(o.collection, { searches }));
    return res.map((r) => r.points.map((p) => ({ id: p.id, score: p.score, payload: p.payload ?? undefined, vector: asVector(p.vector) })));
  }

  /** Every point of a collection (optionally filtered), page by page. */
  async *scroll(collection: string, o: { filter?: StoreFilter; withVector?: boolean; pageSize?: number } = {}): AsyncGenerator<StoreHit[]> {
    let offset: PointId | undefined | null = undefined;
    do {
      const page = await this.call("scroll", collection, () => this.client.scroll(collection, {
        limit: o.pageSize ?? 1000, offset: offset ?? undefined, filter: o.filter, with_payload: true, with_vector: o.withVector ?? false,
      }));
      yield page.points.map((p) => ({ id: p.id, score: 0, payload: p.payload ?? undefined, vector: asVector(p.vector) }));
      offset = page.next_page_offset as PointId | null | undefined;
    } while (offset !== null && offset !== undefined);
  }

  /**
   * The collection's vector size, distance, point count and metadata (empty
   * from a Qdrant before 1.16), or null when it does not exist. `collection`
   * may be an alias.
   */
  async collectionInfo(collection: string): Promise<{ size: number; distance: string; points: number; metadata: Record<string, unknown> } | null> {
    const exists = await this.call("collection exists", collection, () => this.client.collectionExists(collection));
    if (!exists.exists) return null;
    const info = await this.call("get collection", collection, () => this.client.getCollection(collection));
    const v = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    const metadata = (info.config as { metadata?: Record<string, unknown> | null }).metadata ?? {};
    return { size: v?.size ?? 0, distance: v?.distance ?? "", points: info.points_count ?? 0, metadata };
  }

  /** The collection an alias points to, or undefined when `alias` is no alias. */
  async aliasTarget(alias: string): Promise<string | undefined> {
    const r = await this.call("list aliases", undefined, () => this.client.getAliases());
    return r.aliases.find((a) => a.alias_name === alias)?.collection_name;
  }

  /** Point `alias` at `collection` in one atomic request (created when missing, moved when it points elsewhere). */
  async switchAlias(alias: string, collection: string): Promise<void> {
    await this.call("switch alias", collection, () => this.client.updateCollectionAliases({
      actions: [{ delete_alias: { alias_name: alias } }, { create_alias: { collection_name: collection, alias_name: alias } }],
    }));
  }

  /** Delete a collection and its points; true when it existed. */
  async deleteCollection(collection: string): Promise<boolean> {
    return this.call("delete collection", collection, () => this.client.deleteCollection(collection));
  }

  /** Delete points by id with `wait: true` (ids that are not stored are ignored). */
  async deletePoints(collection: string, ids: readonly PointId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.call("delete points", collection, () => this.client.delete(collection, { wait: true, points: [...ids] }));
  }

  /** Exact number of points (optionally matching a filter). */
  async count(collection: string, filter?: StoreFilter): Promise<number> {
    const r = await this.call("count", collection, () => this.client.count(collection, { exact: true, filter }));
    return r.count;
  }

  /** Run one request with the retry policy and turn its failure into a StoreError. */
  private call<T>(what: string, collection: string | undefined, fn: () => Promise<T>, o: { retry?: boolean } = {}): Promise<T> {
    const where = collection === undefined ? `Qdrant at ${this.url}` : `Qdrant at ${this.url}, collection "${collection}"`;
    return retrying(what, where, fn, o.retry === false ? { ...this.retry, retries: 0 } : this.retry);
  }
}

function asVector(v: unknown): number[] | undefined {
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === "number") ? (v as number[]) : undefined;
}
