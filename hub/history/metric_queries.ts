/**
 * Metric series for the dashboard's charts: one host's system and per-GPU metrics
 * ({@link hostMetrics}), and one metric across hosts ({@link fleetMetric}), averaged per bucket.
 * Read from `system_metrics` and `gpu_metrics` for steps under an hour and from `metric_rollups`
 * otherwise (their averages weighted by sample count). The same SQL runs on PostgreSQL and on
 * PGlite.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import type { Queryable, Row } from "./db.ts";
import { hostNames, resolveHosts } from "./host_queries.ts";
import { GPU_METRICS, HOST_GPU, HOST_METRICS, type MetricColumn } from "./metric_columns.ts";
import { type SeriesWindow, sourceFor, type TimeRange } from "./params.ts";
import {
  bucket,
  checkRetention,
  inWindow,
  Params,
  type RetentionOptions,
  seconds,
} from "./query_sql.ts";
import { alignSeries, type BucketRow, columnsOf } from "./series.ts";
import type { FleetMetricResult, HostMetricsResult } from "../../shared/history_api.ts";

/** What {@link hostMetrics} reads. */
export interface HostMetricsOptions extends RetentionOptions {
  /** A host id or name. */
  host: string;
  window: SeriesWindow;
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
