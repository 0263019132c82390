/**
 * Request figures for `GET /telemetry` (Qdrant's TelemetryData shape) and
 * `GET /metrics` (Prometheus text, with Qdrant's metric names where Qdrant
 * has one): every answered request is counted by its endpoint (the route
 * template, `PUT /collections/{name}`) and status, with its durations.
 * Collection and point figures are read from the engine when asked, so they
 * are never stale.
 */

import { randomUUID } from "node:crypto";
import type { Engine } from "../engine/store.js";

interface Stat {
  count: number;
  fails: number;
  total: number;
  min: number;
  max: number;
  last: string;
}

/** Counts and durations of answered requests, by endpoint and status. */
export class RequestMetrics {
  private readonly byEndpoint = new Map<string, Map<number, Stat>>();
  private readonly id = randomUUID();
  private readonly startup = new Date().toISOString();

  /** Count one answered request of `seconds` (`endpoint` as `METHOD /template`). */
  record(endpoint: string, status: number, seconds: number): void {
    let m = this.byEndpoint.get(endpoint);
    if (!m) this.byEndpoint.set(endpoint, (m = new Map()));
    let s = m.get(status);
    if (!s) m.set(status, (s = { count: 0, fails: 0, total: 0, min: Infinity, max: 0, last: "" }));
    s.count++;
    if (status >= 400) s.fails++;
    s.total += seconds;
    s.min = Math.min(s.min, seconds);
    s.max = Math.max(s.max, seconds);
    s.last = new Date().toISOString();
  }

  /** Qdrant's TelemetryData: app, collections, REST responses (no gRPC here: an empty map). */
  telemetry(engine: Engine, version: string): Record<string, unknown> {
    const responses: Record<string, Record<string, unknown>> = {};
    for (const [ep, m] of this.byEndpoint) {
      const out: Record<string, unknown> = {};
      for (const [status, s] of m) {
        out[String(status)] = {
          count: s.count, fail_count: s.fails, avg_duration_micros: (s.total / s.count) * 1e6,
          min_duration_micros: s.min * 1e6, max_duration_micros: s.max * 1e6, total_duration_micros: Math.round(s.total * 1e6), last_responded: s.last,
        };
      }
      responses[ep] = out;
    }
    return {
      id: this.id,
      app: { name: "qdrant", version, startup: this.startup },
      collections: { number_of_collections: engine.names().length },
      requests: { rest: { responses }, grpc: { responses: {} } },
    };
  }

  /** Prometheus text exposition. */
  prometheus(engine: Engine, version: string): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) lines.push(`${name}${labels} ${v}`);
    };
    const names = engine.names();
    const points = names.map((n): [string, number] => [`{collection=${quote(n)}}`, engine.get(n).count]);
    metric("app_info", "gauge", "information about qdrant server", [[`{name="qdrant",version=${quote(version)}}`, 1]]);
    metric("collections_total", "gauge", "number of collections", [["", names.length]]);
    metric("collections_vector_total", "gauge", "total number of vectors in all collections", [["", points.reduce((s, [, c]) => s + c, 0)]]);
    metric("collection_points", "gauge", "approximate amount of points per collection", points);
    const rows = (f: (s: Stat) => number): [string, number][] => {
      const out: [string, number][] = [];
      for (const [ep, m] of this.byEndpoint) {
        const [method, endpoint] = splitEndpoint(ep);
        for (const [status, s] of m) out.push([`{method=${quote(method)},endpoint=${quote(endpoint)},status="${status}"}`, f(s)]);
      }
      return out;
    };
    metric("rest_responses_total", "counter", "total number of responses", rows((s) => s.count));
    metric("rest_responses_fail_total", "counter", "total number of failed responses", rows((s) => s.fails));
    metric("rest_responses_avg_duration_seconds", "gauge", "average response duration", rows((s) => s.total / s.count));
    metric("rest_responses_min_duration_seconds", "gauge", "minimum response duration", rows((s) => s.min));
    metric("rest_responses_max_duration_seconds", "gauge", "maximum response duration", rows((s) => s.max));
    return lines.join("\n") + "\n";
  }
}

function splitEndpoint(ep: string): [string, string] {
  const i = ep.indexOf(" ");
  return [ep.slice(0, i), ep.slice(i + 1)];
}

/** A Prometheus label value: quoted, with backslash, quote and newline escaped. */
function quote(v: string): string {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** `/collections/:name/points/:id` as Qdrant's endpoint label `/collections/{name}/points/{id}`. */
export function endpointOf(method: string, pattern: string): string {
  return `${method} ${pattern.replace(/:(\w+)/g, "{$1}")}`;
}
