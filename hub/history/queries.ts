/**
 * The history API's SQL: usage and metric series (bucketed in SQL, aligned by `series.ts`), event
 * and request pages (newest first, paged on `(time, id)`), hosts and facets. Every function takes
 * a {@link Queryable} and already-parsed parameters (`params.ts`); the same SQL runs on PostgreSQL
 * and on PGlite.
 *
 * A series reads the raw tables when its step is under an hour (or not a whole number of hours)
 * and the hourly rollups otherwise. Raw rows are kept only for the raw retention, so a raw series
 * that starts before it is refused with a hint to use a longer step.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import type { Queryable, Row } from "./db.ts";
import { GPU_METRICS, HOST_GPU, HOST_METRICS, type MetricColumn } from "./metric_columns.ts";
import {
  type Cursor,
  encodeCursor,
  formatStep,
  type SeriesWindow,
  type Source,
  sourceFor,
  type StatusFilter,
  type TimeRange,
} from "./params.ts";
import { type AlignedData, alignSeries, type BucketRow, columnsOf } from "./series.ts";
import type { ModelEventKind, ServerEventKind } from "./tables.ts";

/** A host as history names it. */
export interface HostRef {
  id: string;
  name: string;
}

/** A series' group: what it is and what to call it. */
export interface GroupRef {
  id: string;
  label: string;
}

/** How long raw rows are kept, and the time to measure that from. */
export interface RetentionOptions {
  /** @default 7 days */
  rawRetentionMs?: number;
  /** @default Date.now() */
  now?: number;
}

/** The raw retention when none is given. */
export const DEFAULT_RAW_RETENTION_MS = 7 * 86_400_000;

/** SQL parameters, numbered as a statement is built. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A time; sent as text so that neither driver rounds it. */
  time(ms: number): string {
    return `${this.add(new Date(ms).toISOString())}::text::timestamptz`;
  }
}

function bucket(column: string, step: string): string {
  return `(floor(extract(epoch from ${column}) / ${step}) * ${step})::bigint`;
}

function checkRetention(window: SeriesWindow, source: Source, options: RetentionOptions): void {
  const { rawRetentionMs = DEFAULT_RAW_RETENTION_MS, now = Date.now() } = options;
  if (source === "raw" && window.from < now - rawRetentionMs) {
    throw new FleetError(
      "BAD_REQUEST",
      `Raw history is kept for ${formatStep(Math.round(rawRetentionMs / 1000))} and from ` +
        `(${new Date(window.from).toISOString()}) is older: use a step of 1h or more to read ` +
        `the hourly rollups`,
      400,
    );
  }
}

/** The rows of a window: raw samples in `[from, to)`, or the hours that overlap it. */
function inWindow(p: Params, source: Source, range: TimeRange): string {
  const from = p.time(range.from);
  const to = p.time(range.to);
  return source === "raw"
    ? `time >= ${from} AND time < ${to}`
    : `hour > ${from} - interval '1 hour' AND hour < ${to}`;
}

function ms(value: unknown): number {
  return value instanceof Date ? value.getTime() : Date.parse(String(value));
}

function seconds(ms: number): number {
  return ms / 1000;
}

/**
 * Finds the hosts a `host` filter means: the host with that id, else every host that has (or had)
 * that name, most recently seen first (a reinstalled machine keeps its name, not its id).
 *
 * @throws {FleetError} `NOT_FOUND` (404) when no host has that id or name.
 */
export async function resolveHosts(db: Queryable, host: string): Promise<HostRef[]> {
  const rows = await db.query<HostRef>(
    "SELECT id, name FROM servers WHERE id = $1 OR name = $1 ORDER BY (id = $1) DESC, last_seen DESC",
    [host],
  );
  if (rows.length === 0) throw new FleetError("NOT_FOUND", `No host "${host}" in history`, 404);
  const byId = rows.filter((r) => r.id === host);
  return byId.length > 0 ? byId : rows;
}

async function hostNames(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<HostRef>("SELECT id, name FROM servers WHERE id = ANY($1::text[])", [
    ids,
  ]);
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ---------------------------------------------------------------------------------------------
// Usage

/** What usage is grouped by. */
export type UsageBy = "model" | "host" | "key" | "none";
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
} as const;

/** One usage series' name. */
export type UsageField = keyof typeof USAGE_FIELDS;

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

/** Usage series, the `/usage` body. `from`, `to` and the series' times are epoch seconds. */
export interface UsageResult {
  from: number;
  to: number;
  step: number;
  by: UsageBy;
  source: Source;
  approximate: boolean;
  groups: GroupRef[];
  omitted: number;
  series: Record<UsageField, AlignedData>;
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

// ---------------------------------------------------------------------------------------------
// Metrics

/** A table of metric series: `columns` names `data`'s columns, `"time"` first. */
export interface MetricTable {
  columns: string[];
  data: AlignedData;
}

/** One GPU's series. */
export interface GpuSeries extends MetricTable {
  index: number;
  name: string | null;
  uuid: string | null;
}

/** What {@link hostMetrics} reads. */
export interface HostMetricsOptions extends RetentionOptions {
  /** A host id or name. */
  host: string;
  window: SeriesWindow;
}

/** A host's metric series, the `/metrics` body. */
export interface HostMetricsResult {
  host: HostRef;
  from: number;
  to: number;
  step: number;
  source: Source;
  system: MetricTable;
  gpus: GpuSeries[];
}

function gauges(metrics: readonly MetricColumn[]): Record<string, "gauge"> {
  return Object.fromEntries(metrics.map((m) => [m.name, "gauge" as const]));
}

function averages(metrics: readonly MetricColumn[]): string {
  return metrics.map((m) => `avg(${m.sql}) AS "${m.name}"`).join(", ");
}

/** Rollup rows (one per metric) folded into one row per GPU and bucket. */
function pivot(rows: readonly Row[]): BucketRow[] {
  const out = new Map<string, BucketRow>();
  for (const row of rows) {
    const group = String(row.gpu);
    const id = `${group}|${row.t}`;
    let bucketRow = out.get(id);
    if (!bucketRow) out.set(id, bucketRow = { t: Number(row.t), group });
    bucketRow[String(row.metric)] = row.value;
  }
  return [...out.values()];
}

/** The mean of the hourly averages, each weighing as many samples as it summarises. */
const ROLLUP_AVG = "sum(avg * samples) / NULLIF(sum(samples), 0)";

async function gpuInfo(
  db: Queryable,
  host: string,
  raw: TimeRange | null,
): Promise<Map<number, { name: string | null; uuid: string | null }>> {
  const [server] = await db.query<{ gpus: { index: number; name?: string; uuid?: string }[] }>(
    "SELECT gpus FROM servers WHERE id = $1",
    [host],
  );
  const info = new Map(
    (server?.gpus ?? []).map((g) => [g.index, { name: g.name ?? null, uuid: g.uuid ?? null }]),
  );
  if (raw) {
    const p = new Params();
    const rows = await db.query<{ gpu: number; name: string | null; uuid: string | null }>(
      `SELECT DISTINCT ON (gpu) gpu, name, uuid FROM gpu_metrics WHERE server_id = ${p.add(host)}
        AND ${inWindow(p, "raw", raw)} ORDER BY gpu, time DESC`,
      p.values,
    );
    for (const r of rows) {
      const known = info.get(r.gpu);
      info.set(r.gpu, { name: r.name ?? known?.name ?? null, uuid: r.uuid ?? known?.uuid ?? null });
    }
  }
  return info;
}

/**
 * A host's system metrics ({@link HOST_METRICS}) and each GPU's ({@link GPU_METRICS}), averaged
 * per bucket: from the samples for steps under an hour, else from the hourly rollups (their
 * averages, weighted by sample count).
 *
 * @throws {FleetError} 404 for an unknown host (a name shared by several hosts means the most
 * recently seen one); 400 for a raw series older than the raw retention.
 */
export async function hostMetrics(
  db: Queryable,
  options: HostMetricsOptions,
): Promise<HostMetricsResult> {
  const { window } = options;
  const source = sourceFor(window.step);
  checkRetention(window, source, options);
  const host = (await resolveHosts(db, options.host))[0]!;
  const p = new Params();
  const step = `${p.add(window.step)}::integer`;
  const where = `server_id = ${p.add(host.id)} AND ${inWindow(p, source, window)}`;
  let systemRows: BucketRow[];
  let gpuRows: BucketRow[];
  if (source === "raw") {
    [systemRows, gpuRows] = await Promise.all([
      db.query<BucketRow>(
        `SELECT ${bucket("time", step)} AS t, 'host' AS "group", ${averages(HOST_METRICS)}
          FROM system_metrics WHERE ${where} GROUP BY 1`,
        p.values,
      ),
      db.query<BucketRow>(
        `SELECT ${bucket("time", step)} AS t, gpu::text AS "group", ${averages(GPU_METRICS)}
          FROM gpu_metrics WHERE ${where} GROUP BY 1, 2`,
        p.values,
      ),
    ]);
  } else {
    const rows = pivot(
      await db.query(
        `SELECT gpu, metric, ${bucket("hour", step)} AS t, ${ROLLUP_AVG} AS value
          FROM metric_rollups WHERE ${where} GROUP BY 1, 2, 3`,
        p.values,
      ),
    );
    systemRows = rows.filter((r) => r.group === String(HOST_GPU)).map((r) => ({
      ...r,
      group: "host",
    }));
    gpuRows = rows.filter((r) => r.group !== String(HOST_GPU));
  }
  const systemNames = HOST_METRICS.map((m) => m.name);
  const system = alignSeries(systemRows, {
    window,
    fields: gauges(HOST_METRICS),
    always: ["host"],
  });
  const info = await gpuInfo(db, host.id, source === "raw" ? window : null);
  const indexes = [...new Set(gpuRows.map((r) => Number(r.group)))].sort((a, b) => a - b);
  const gpuNames = GPU_METRICS.map((m) => m.name);
  return {
    host: host,
    from: seconds(window.from),
    to: seconds(window.to),
    step: window.step,
    source,
    system: { columns: ["time", ...systemNames], data: columnsOf(system, systemNames) },
    gpus: indexes.map((index) => {
      const rows = gpuRows.filter((r) => Number(r.group) === index);
      const aligned = alignSeries(rows, { window, fields: gauges(GPU_METRICS) });
      return {
        index,
        name: info.get(index)?.name ?? null,
        uuid: info.get(index)?.uuid ?? null,
        columns: ["time", ...gpuNames],
        data: columnsOf(aligned, gpuNames),
      };
    }),
  };
}

/** Every metric {@link fleetMetric} can compare, host metrics first. */
export const FLEET_METRICS: readonly string[] = [...HOST_METRICS, ...GPU_METRICS]
  .map((m) => m.name);

/** What {@link fleetMetric} reads. */
export interface FleetMetricOptions extends RetentionOptions {
  /** A name from {@link HOST_METRICS} or {@link GPU_METRICS}. */
  metric: string;
  window: SeriesWindow;
  /** The most hosts returned, by name. @default 100 */
  limit?: number;
}

/** One metric across hosts, the `/fleet-metrics` body. */
export interface FleetMetricResult {
  metric: string;
  unit: MetricColumn["unit"];
  from: number;
  to: number;
  step: number;
  source: Source;
  groups: GroupRef[];
  omitted: number;
  data: AlignedData;
}

/**
 * One metric, one series per host (a GPU metric is averaged over the host's GPUs), for the
 * dashboard's "compare hosts" chart. Hosts are ordered by name.
 *
 * @throws {FleetError} 400 for an unknown metric or a raw series older than the raw retention.
 */
export async function fleetMetric(
  db: Queryable,
  options: FleetMetricOptions,
): Promise<FleetMetricResult> {
  const { window, limit = 100 } = options;
  const hostMetric = HOST_METRICS.find((m) => m.name === options.metric);
  const column = hostMetric ?? GPU_METRICS.find((m) => m.name === options.metric);
  if (!column) {
    throw new FleetError(
      "BAD_REQUEST",
      `Invalid metric ${JSON.stringify(options.metric)}: expected one of ${
        FLEET_METRICS.join(", ")
      }`,
      400,
    );
  }
  const source = sourceFor(window.step);
  checkRetention(window, source, options);
  const p = new Params();
  const step = `${p.add(window.step)}::integer`;
  const where = inWindow(p, source, window);
  const text = source === "raw"
    ? `SELECT server_id AS "group", ${bucket("time", step)} AS t, avg(${column.sql}) AS value
        FROM ${hostMetric ? "system_metrics" : "gpu_metrics"} WHERE ${where} GROUP BY 1, 2`
    : `SELECT server_id AS "group", ${bucket("hour", step)} AS t, ${ROLLUP_AVG} AS value
        FROM metric_rollups WHERE ${where} AND metric = ${p.add(column.name)}
        AND ${hostMetric ? `gpu = ${HOST_GPU}` : "gpu >= 0"} GROUP BY 1, 2`;
  const rows = await db.query<BucketRow>(text, p.values);
  const names = await hostNames(db, [...new Set(rows.map((r) => r.group))]);
  const label = (id: string) => names.get(id) ?? id;
  const aligned = alignSeries(rows, {
    window,
    fields: { value: "gauge" },
    limit,
    labels: new Map(rows.map((r) => [r.group, label(r.group)])),
  });
  return {
    metric: column.name,
    unit: column.unit,
    from: seconds(window.from),
    to: seconds(window.to),
    step: window.step,
    source,
    groups: aligned.groups.map((id) => ({ id, label: label(id) })),
    omitted: aligned.omitted,
    data: aligned.series.value,
  };
}

// ---------------------------------------------------------------------------------------------
// Pages: events and requests

/** Which page of a newest-first list to read. */
export interface PageOptions {
  range: TimeRange;
  /** @default 100 */
  limit?: number;
  /** The previous page's `next`, decoded; absent for the first page. */
  cursor?: Cursor;
}

/** SQL that gives each row's exact time as the cursor needs it (microseconds kept). */
const CURSOR_TIME = `to_char(x.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The conditions every page shares: the range, and what comes after the cursor. */
function pageWhere(p: Params, options: PageOptions): string[] {
  const where = [`x.time >= ${p.time(options.range.from)}`, `x.time < ${p.time(options.range.to)}`];
  if (options.cursor) {
    where.push(
      `(x.time, x.id) < (${p.add(options.cursor.time)}::text::timestamptz, ` +
        `${p.add(options.cursor.id)}::uuid)`,
    );
  }
  return where;
}

async function readPage<T>(
  db: Queryable,
  query: { table: string; where: string[]; p: Params; limit: number },
  view: (row: Row) => T,
): Promise<{ items: T[]; next: string | null }> {
  const { table, where, p, limit } = query;
  const rows = await db.query(
    `SELECT x.*, s.name AS server_name, ${CURSOR_TIME} AS cursor_time FROM ${table} x
      LEFT JOIN servers s ON s.id = x.server_id
      WHERE ${where.join(" AND ")} ORDER BY x.time DESC, x.id DESC LIMIT ${limit + 1}`,
    p.values,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const next = rows.length > limit && last
    ? encodeCursor({ time: String(last.cursor_time), id: String(last.id) })
    : null;
  return { items: page.map(view), next };
}

function hostOf(row: Row): HostRef {
  return { id: String(row.server_id), name: String(row.server_name ?? row.server_id) };
}

async function hostCondition(db: Queryable, p: Params, host: string | undefined) {
  if (host === undefined) return [];
  const ids = (await resolveHosts(db, host)).map((h) => h.id);
  return [`x.server_id = ANY(${p.add(ids)}::text[])`];
}

/** A model event, as the API shows it; `time` is epoch ms. */
export interface ModelEventView {
  id: string;
  time: number;
  host: HostRef;
  model: string;
  event: ModelEventKind;
  digest: string | null;
  size: number | null;
  sizeVram: number | null;
  loadedMs: number | null;
  detail: string | null;
}

/** What {@link modelEvents} reads. */
export interface ModelEventOptions extends PageOptions {
  host?: string;
  model?: string;
  event?: readonly ModelEventKind[];
}

/** Models loaded, unloaded, added and removed, newest first. */
export async function modelEvents(
  db: Queryable,
  options: ModelEventOptions,
): Promise<{ events: ModelEventView[]; next: string | null }> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.model !== undefined) where.push(`x.model = ${p.add(options.model)}`);
  if (options.event) where.push(`x.event = ANY(${p.add(options.event)}::text[])`);
  const { items, next } = await readPage(
    db,
    { table: "model_events", where, p, limit: options.limit ?? 100 },
    (r) => ({
      id: String(r.id),
      time: ms(r.time),
      host: hostOf(r),
      model: String(r.model),
      event: r.event as ModelEventKind,
      digest: r.digest as string | null,
      size: r.size as number | null,
      sizeVram: r.size_vram as number | null,
      loadedMs: r.loaded_ms as number | null,
      detail: r.detail as string | null,
    }),
  );
  return { events: items, next };
}

/** A host's event, as the API shows it; `time` is epoch ms. */
export interface ServerEventView {
  id: string;
  time: number;
  host: HostRef;
  event: ServerEventKind;
  previous: string | null;
  detail: string | null;
}

/** What {@link serverEvents} reads. */
export interface ServerEventOptions extends PageOptions {
  host?: string;
  event?: readonly ServerEventKind[];
}

/** Hosts found, going online or offline, draining, rebooting…, newest first. */
export async function serverEvents(
  db: Queryable,
  options: ServerEventOptions,
): Promise<{ events: ServerEventView[]; next: string | null }> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.event) where.push(`x.event = ANY(${p.add(options.event)}::text[])`);
  const { items, next } = await readPage(
    db,
    { table: "server_events", where, p, limit: options.limit ?? 100 },
    (r) => ({
      id: String(r.id),
      time: ms(r.time),
      host: hostOf(r),
      event: r.event as ServerEventKind,
      previous: r.previous as string | null,
      detail: r.detail as string | null,
    }),
  );
  return { events: items, next };
}

/** A logged request, as the API shows it; `time` is epoch ms. */
export interface RequestView {
  id: string;
  time: number;
  hub: string;
  apiKey: string | null;
  client: string | null;
  method: string;
  endpoint: string;
  model: string | null;
  host: HostRef | null;
  route: string | null;
  attempts: number;
  queuedMs: number | null;
  status: number;
  error: string | null;
  stream: boolean | null;
  promptTokens: number | null;
  completionTokens: number | null;
  ttfbMs: number | null;
  durationMs: number | null;
  loadMs: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
}

function requestView(r: Row): RequestView {
  return {
    id: String(r.id),
    time: ms(r.time),
    hub: String(r.hub),
    apiKey: r.api_key as string | null,
    client: r.client as string | null,
    method: String(r.method),
    endpoint: String(r.endpoint),
    model: r.model as string | null,
    host: r.server_id === null ? null : hostOf(r),
    route: r.route as string | null,
    attempts: Number(r.attempts),
    queuedMs: r.queued_ms as number | null,
    status: Number(r.status),
    error: r.error as string | null,
    stream: r.stream as boolean | null,
    promptTokens: r.prompt_tokens as number | null,
    completionTokens: r.completion_tokens as number | null,
    ttfbMs: r.ttfb_ms as number | null,
    durationMs: r.duration_ms as number | null,
    loadMs: r.load_ms as number | null,
    bytesIn: r.bytes_in as number | null,
    bytesOut: r.bytes_out as number | null,
  };
}

/** What {@link requests} reads. */
export interface RequestOptions extends PageOptions {
  host?: string;
  model?: string;
  key?: string;
  status?: StatusFilter;
  endpoint?: string;
}

function statusCondition(p: Params, status: StatusFilter): string {
  if (status === "error") return "(x.status >= 400 OR x.error IS NOT NULL)";
  if (status === "ok") return "(x.status < 400 AND x.error IS NULL)";
  if ("code" in status) return `x.status = ${p.add(status.code)}`;
  return `x.status BETWEEN ${p.add(status.class * 100)} AND ${p.add(status.class * 100 + 99)}`;
}

/**
 * The request log, newest first, paged on `(time, id)`: a page starts strictly after the previous
 * one's last row, so rows written meanwhile (which are newer) neither repeat nor shift a page.
 */
export async function requests(
  db: Queryable,
  options: RequestOptions,
): Promise<{ requests: RequestView[]; next: string | null }> {
  const p = new Params();
  const where = pageWhere(p, options);
  where.push(...await hostCondition(db, p, options.host));
  if (options.model !== undefined) where.push(`x.model = ${p.add(options.model)}`);
  if (options.key !== undefined) where.push(`x.api_key = ${p.add(options.key)}`);
  if (options.endpoint !== undefined) where.push(`x.endpoint = ${p.add(options.endpoint)}`);
  if (options.status !== undefined) where.push(statusCondition(p, options.status));
  const { items, next } = await readPage(
    db,
    { table: "request_logs", where, p, limit: options.limit ?? 100 },
    requestView,
  );
  return { requests: items, next };
}

/**
 * One logged request.
 *
 * @throws {FleetError} 404 when there is none with that id (which must be a UUID).
 */
export async function requestById(db: Queryable, id: string): Promise<RequestView> {
  const [row] = await db.query(
    `SELECT x.*, s.name AS server_name FROM request_logs x
      LEFT JOIN servers s ON s.id = x.server_id WHERE x.id = $1::uuid`,
    [id],
  );
  if (!row) throw new FleetError("NOT_FOUND", `No request "${id}" in history`, 404);
  return requestView(row);
}

// ---------------------------------------------------------------------------------------------
// Hosts and facets

/** A host as history knows it; times are epoch ms. */
export interface HostView {
  id: string;
  name: string;
  kind: "agent" | "ollama";
  url: string;
  status: string;
  hostname: string | null;
  os: string | null;
  kernel: string | null;
  arch: string | null;
  cpuModel: string | null;
  bootId: string | null;
  agentVersion: string | null;
  ollamaVersion: string | null;
  gpus: unknown[];
  firstSeen: number;
  lastSeen: number;
}

/** Every host any hub has seen, by name. */
export async function hosts(db: Queryable): Promise<HostView[]> {
  const rows = await db.query("SELECT * FROM servers ORDER BY name, id");
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    kind: r.kind as HostView["kind"],
    url: String(r.url),
    status: String(r.status),
    hostname: r.hostname as string | null,
    os: r.os as string | null,
    kernel: r.kernel as string | null,
    arch: r.arch as string | null,
    cpuModel: r.cpu_model as string | null,
    bootId: r.boot_id as string | null,
    agentVersion: r.agent_version as string | null,
    ollamaVersion: r.ollama_version as string | null,
    gpus: r.gpus as unknown[],
    firstSeen: ms(r.first_seen),
    lastSeen: ms(r.last_seen),
  }));
}

/** The values the dashboard's filters offer for a range. */
export interface Facets {
  models: string[];
  hosts: HostRef[];
  keys: string[];
}

/**
 * The models, hosts and keys that requests in the range mention, from the request log and (for
 * hours older than the raw retention) the hourly rollups.
 */
export async function facets(db: Queryable, range: TimeRange): Promise<Facets> {
  const p = new Params();
  const raw = inWindow(p, "raw", range);
  const rollup = inWindow(p, "rollup", range);
  const rows = await db.query<{ kind: string; value: string }>(
    `WITH seen AS (
        SELECT model, server_id, api_key FROM request_logs WHERE ${raw}
        UNION ALL
        SELECT NULLIF(model, ''), NULLIF(server_id, ''), NULLIF(api_key, '')
          FROM request_rollups WHERE ${rollup})
      SELECT DISTINCT f.kind, f.value FROM seen
        CROSS JOIN LATERAL (VALUES ('model', model), ('host', server_id), ('key', api_key))
          AS f(kind, value)
      WHERE f.value IS NOT NULL`,
    p.values,
  );
  const of = (kind: string) =>
    rows.filter((r) => r.kind === kind).map((r) => r.value).sort((a, b) => a.localeCompare(b));
  const names = await hostNames(db, of("host"));
  return {
    models: of("model"),
    hosts: of("host").map((id) => ({ id, name: names.get(id) ?? id }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    keys: of("key"),
  };
}
