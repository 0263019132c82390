/**
 * Collection settings the store accepts and keeps but does not act on (an
 * exact scan has no HNSW graph, one log has no shards): Qdrant's params
 * (shard_number, replication_factor, write_consistency_factor,
 * on_disk_payload, sharding_method), hnsw_config, wal_config,
 * optimizers_config and strict_mode_config. Stored in collection.json so
 * `GET /collections/{name}` answers what was set, after a restart too.
 * Values arrive validated (wire/validate.ts); this file only merges them over
 * Qdrant's defaults.
 */

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The kept settings: one object per section of Qdrant's CollectionConfig. */
export interface CollectionSettings {
  params: Record<string, unknown>;
  hnsw_config: Record<string, unknown>;
  wal_config: Record<string, unknown>;
  optimizer_config: Record<string, unknown>;
  strict_mode_config: Record<string, unknown>;
}

/** The defaults this store answers with when nothing was set (those GET /collections/{name} answered before settings were kept). */
export function defaultSettings(): CollectionSettings {
  return {
    params: { shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: false },
    hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
    wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
    optimizer_config: {
      deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, max_segment_size: null,
      memmap_threshold: null, indexing_threshold: 20000, flush_interval_sec: 5, max_optimization_threads: null,
    },
    strict_mode_config: { enabled: false },
  };
}

/** The keys each section takes (others are not Qdrant's and are dropped, so GET answers only schema keys). */
const KEYS: Record<keyof CollectionSettings, string[]> = {
  params: ["shard_number", "sharding_method", "replication_factor", "write_consistency_factor", "read_fan_out_factor", "on_disk_payload"],
  hnsw_config: ["m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk", "payload_m", "inline_storage"],
  wal_config: ["wal_capacity_mb", "wal_segments_ahead", "wal_retain_closed"],
  optimizer_config: [
    "deleted_threshold", "vacuum_min_vector_number", "default_segment_number", "max_segment_size", "memmap_threshold",
    "indexing_threshold", "flush_interval_sec", "max_optimization_threads", "prevent_unoptimized",
  ],
  strict_mode_config: [
    "enabled", "max_query_limit", "max_timeout", "unindexed_filtering_retrieve", "unindexed_filtering_update", "search_max_hnsw_ef",
    "search_allow_exact", "search_max_oversampling", "upsert_max_batchsize", "max_collection_vector_size_bytes", "read_rate_limit",
    "write_rate_limit", "max_collection_payload_size_bytes", "max_points_count", "filter_max_conditions", "condition_max_size",
    "multivector_config", "sparse_config", "max_payload_index_count",
  ],
};

function mergeSection(into: Record<string, unknown>, diff: unknown, keys: string[]): void {
  if (!isObject(diff)) return;
  // a null in a diff means "not given" in Qdrant's *Diff structs: it keeps the current value
  for (const k of keys) if (Object.hasOwn(diff, k) && diff[k] !== null && diff[k] !== undefined) into[k] = structuredClone(diff[k]);
}

/**
 * Settings from a create body (top-level params) or an update body
 * (`params: {...}`), merged over `base`.
 */
export function mergeSettings(base: CollectionSettings, b: Record<string, unknown>): CollectionSettings {
  const s = structuredClone(base);
  mergeSection(s.params, b, KEYS.params); // create: params at the top level
  mergeSection(s.params, b.params, KEYS.params); // update: under `params`
  mergeSection(s.hnsw_config, b.hnsw_config, KEYS.hnsw_config);
  mergeSection(s.wal_config, b.wal_config, KEYS.wal_config);
  mergeSection(s.optimizer_config, b.optimizers_config ?? b.optimizer_config, KEYS.optimizer_config);
  mergeSection(s.strict_mode_config, b.strict_mode_config, KEYS.strict_mode_config);
  return s;
}

/** Settings read back from collection.json (older files have none: the defaults). */
export function loadSettings(stored: unknown): CollectionSettings {
  if (!isObject(stored)) return defaultSettings();
  const s = defaultSettings();
  for (const k of Object.keys(KEYS) as (keyof CollectionSettings)[]) mergeSection(s[k], stored[k], KEYS[k]);
  return s;
}
