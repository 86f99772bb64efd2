/**
 * Usage series for the dashboard's charts: requests, errors, tokens, and latency and
 * time-to-first-byte percentiles per bucket, grouped by model, host, API key or not at all.
 * Bucketed in SQL, aligned by `series.ts`; read from `request_logs` for steps under an hour and
 * from `request_rollups` otherwise. The same SQL runs on PostgreSQL and on PGlite.
 *
 * @module
 */

import type { Queryable } from "./db.ts";
import { hostNames, resolveHosts } from "./host_queries.ts";
import { type SeriesWindow, sourceFor } from "./params.ts";
import {
  bucket,
  checkRetention,
  inWindow,
  Params,
  type RetentionOptions,
  seconds,
} from "./query_sql.ts";
import { alignSeries, type BucketRow, type FieldKind } from "./series.ts";
import type { UsageBy, UsageField, UsageResult } from "../../shared/history_api.ts";

/** Every {@link UsageBy}. */
export const USAGE_BY: readonly UsageBy[] = ["model", "host", "key", "none"];

/** The usage series, and how an empty bucket reads. */
export const USAGE_FIELDS = {
  requests: "count",
  errors: "count",
  prompt_tokens: "count",
  completion_tokens: "count",
  latency_p50: "gauge",
  latency_p95: "gauge",
  ttfb_p50: "gauge",
  ttfb_p95: "gauge",
} as const satisfies Record<UsageField, FieldKind>;

/** What {@link usage} reads. */
export interface UsageOptions extends RetentionOptions {
  window: SeriesWindow;
  /** @default "model" */
  by?: UsageBy;
  model?: string;
  /** A host id or name. */
  host?: string;
  key?: string;
  /** The most groups returned, busiest first. @default 100 */
  limit?: number;
}

const GROUP_COLUMN: Record<UsageBy, string> = {
  model: "model",
  host: "server_id",
  key: "api_key",
  none: "'all'",
};

function rawUsageSql(by: UsageBy, step: string): string {
  const group = by === "none" ? "'all'" : `coalesce(${GROUP_COLUMN[by]}, '')`;
  return `SELECT ${bucket("time", step)} AS t, ${group} AS "group",
      count(*) AS requests,
      count(*) FILTER (WHERE status >= 400 OR error IS NOT NULL) AS errors,
      coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
      coalesce(sum(completion_tokens), 0) AS completion_tokens,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS latency_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS latency_p95,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY ttfb_ms) AS ttfb_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY ttfb_ms) AS ttfb_p95
    FROM request_logs`;
}

/** The mean of `column` over rollup rows, each weighing as many requests as it summarises. */
function weighted(column: string, weight: string): string {
  return `sum(${column}::float8 * ${weight}) / ` +
    `NULLIF(sum(${weight}) FILTER (WHERE ${column} IS NOT NULL), 0)`;
}

function rollupUsageSql(by: UsageBy, step: string): string {
  return `SELECT ${bucket("hour", step)} AS t, ${GROUP_COLUMN[by]} AS "group",
      sum(requests) AS requests, sum(errors) AS errors,
      sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
      ${weighted("duration_p50_ms", "requests")} AS latency_p50,
      ${weighted("duration_p95_ms", "requests")} AS latency_p95,
      ${weighted("ttfb_p50_ms", "ttfb_count")} AS ttfb_p50,
      ${weighted("ttfb_p95_ms", "ttfb_count")} AS ttfb_p95
    FROM request_rollups`;
}

/**
 * Requests, errors (a status of 400 or more, or an error recorded), tokens, and latency and
 * time-to-first-byte percentiles (ms), per bucket and group.
 *
 * From `request_logs` the percentiles are exact (`percentile_cont`). From `request_rollups`
 * (steps of whole hours) each bucket's percentile is the mean of the hourly percentiles weighted
 * by how many requests each hour had (time to first byte: by how many had one), which is an
 * approximation: the result says `approximate: true`.
 *
 * @throws {FleetError} 400 for a raw series older than the raw retention; 404 for an unknown host.
 */
export async function usage(db: Queryable, options: UsageOptions): Promise<UsageResult> {
  const { window, by = "model", model, key, limit = 100 } = options;
  const source = sourceFor(window.step);
  checkRetention(window, source, options);
  const hosts = options.host === undefined ? undefined : await resolveHosts(db, options.host);
  const p = new Params();
  const step = `${p.add(window.step)}::integer`;
  const where = [inWindow(p, source, window)];
  if (model !== undefined) where.push(`model = ${p.add(model)}`);
  if (key !== undefined) where.push(`api_key = ${p.add(key)}`);
  if (hosts) where.push(`server_id = ANY(${p.add(hosts.map((h) => h.id))}::text[])`);
  const select = source === "raw" ? rawUsageSql(by, step) : rollupUsageSql(by, step);
  const text = `${select} WHERE ${where.join(" AND ")} GROUP BY 1, 2`;
  const rows = await db.query<BucketRow>(text, p.values);
  const names = by === "host"
    ? await hostNames(db, [...new Set(rows.map((r) => r.group))])
    : new Map<string, string>();
  const label = (id: string) => id === "" ? "(none)" : names.get(id) ?? id;
  const labels = new Map(rows.map((r) => [r.group, label(r.group)]));
  const aligned = alignSeries<UsageField>(rows, {
    window,
    fields: USAGE_FIELDS,
    rankBy: "requests",
    limit,
    labels,
    always: by === "none" ? ["all"] : [],
  });
  return {
    from: seconds(window.from),
    to: seconds(window.to),
    step: window.step,
    by,
    source,
    approximate: source === "rollup",
    groups: aligned.groups.map((id) => ({ id, label: label(id) })),
    omitted: aligned.omitted,
    series: aligned.series,
  };
}
