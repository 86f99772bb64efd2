/**
 * The hub's series shaped into charts: which columns a chart draws, what its lines are called,
 * and its unit. Counts per bucket become rates (requests per minute, tokens per second), so that a
 * chart reads the same whatever the bucket width. Pure: uPlot gets the result as it is.
 *
 * @module
 */

import type {
  AlignedData,
  FleetMetricResult,
  GroupRef,
  HostMetricsResult,
  MetricTable,
  UsageBy,
  UsageResult,
} from "./types.ts";
import type { Unit } from "./units.ts";

/** One chart: its lines (`data`'s columns after the first) and how to read them. */
export interface ChartSpec {
  id: string;
  title: string;
  unit: Unit;
  data: AlignedData;
  /** One name per line, in column order. */
  labels: string[];
  /** Whether the value 0 means "nothing happened" rather than a measurement (counts and rates). */
  counts: boolean;
}

/** The usage charts the page can draw. */
export type UsageMetric =
  | "requests"
  | "errors"
  | "tokens"
  | "latency_p50"
  | "latency_p95"
  | "ttfb_p50"
  | "ttfb_p95";

/** The latency choices, as the latency chart's picker shows them. */
export const LATENCY_METRICS: readonly { id: UsageMetric; label: string }[] = [
  { id: "latency_p50", label: "Duration p50" },
  { id: "latency_p95", label: "Duration p95" },
  { id: "ttfb_p50", label: "First byte p50" },
  { id: "ttfb_p95", label: "First byte p95" },
];

/** What a group is called on a chart: the hub's label, with its placeholders spelled out. */
export function groupLabel(group: GroupRef, by: UsageBy): string {
  if (by === "none") return "All requests";
  if (group.id !== "") return group.label;
  return by === "key" ? "(no key)" : by === "model" ? "(no model)" : "(no host)";
}

/**
 * How many seconds of each bucket fall inside the range: the whole step, except for a first
 * bucket that starts before `from` and the last one, still in progress, that ends after `to`.
 * A bucket with less than half its step inside gets 0 (its rate would be noise).
 */
export function bucketSpans(
  times: readonly number[],
  window: { from: number; to: number; step: number },
): number[] {
  const { from, to, step } = window;
  return times.map((t) => {
    const span = Math.min(t + step, to) - Math.max(t, from);
    return span >= step / 2 ? span : 0;
  });
}

/** Counts per bucket as a rate per `per` seconds over each bucket's span; `null` without one. */
function rate(
  column: readonly (number | null)[],
  spans: readonly number[],
  per: number,
): (number | null)[] {
  return column.map((v, i) =>
    v === null || spans[i]! <= 0 ? null : Math.round((v * per / spans[i]!) * 1000) / 1000
  );
}

/**
 * One usage chart, a line per group: requests and errors per minute, tokens (prompt and
 * completion) per second, or a latency percentile in ms. Rates are over the part of each bucket
 * inside the range, so that the bucket in progress does not read as a drop.
 */
export function usageChart(result: UsageResult, metric: UsageMetric): ChartSpec {
  const { series } = result;
  const times = series.requests[0];
  const spans = bucketSpans(times, result);
  const labels = result.groups.map((g) => groupLabel(g, result.by));
  const columns: (number | null)[][] = [];
  let unit: Unit;
  let title: string;
  if (metric === "requests" || metric === "errors") {
    unit = "req/min";
    title = metric === "requests" ? "Requests" : "Errors";
    for (const column of series[metric].slice(1)) columns.push(rate(column, spans, 60));
  } else if (metric === "tokens") {
    unit = "tok/s";
    title = "Tokens";
    const prompt = series.prompt_tokens;
    const completion = series.completion_tokens;
    for (let g = 1; g < prompt.length; g++) {
      const sums = times.map((_, i) => (prompt[g]![i] ?? 0) + (completion[g]?.[i] ?? 0));
      columns.push(rate(sums, spans, 1));
    }
  } else {
    unit = "ms";
    title = LATENCY_METRICS.find((m) => m.id === metric)!.label;
    columns.push(...series[metric].slice(1));
  }
  return {
    id: `usage-${metric}`,
    title,
    unit,
    data: [times, ...columns],
    labels,
    counts: unit !== "ms",
  };
}

/** Totals over a usage answer, for the summary above the charts. */
export interface UsageTotals {
  requests: number;
  errors: number;
  /** Errors over requests, 0-100; `null` without requests. */
  errorRate: number | null;
  promptTokens: number;
  completionTokens: number;
  /** Bucket medians of duration, averaged weighted by each bucket's requests. */
  latencyP50: number | null;
  /** The same for time to first byte. */
  ttfbP50: number | null;
}

function sumColumns(data: AlignedData): number {
  let total = 0;
  for (const column of data.slice(1)) for (const v of column) total += v ?? 0;
  return total;
}

function weightedMean(values: AlignedData, weights: AlignedData): number | null {
  let sum = 0;
  let weight = 0;
  for (let g = 1; g < values.length; g++) {
    values[g]!.forEach((v, i) => {
      const w = weights[g]?.[i] ?? 0;
      if (v !== null && w > 0) {
        sum += (v as number) * w;
        weight += w;
      }
    });
  }
  return weight > 0 ? sum / weight : null;
}

/** Adds up a usage answer: requests, errors, tokens and typical latencies over the range. */
export function usageTotals(result: UsageResult): UsageTotals {
  const { series } = result;
  const requests = sumColumns(series.requests);
  const errors = sumColumns(series.errors);
  return {
    requests,
    errors,
    errorRate: requests > 0 ? (100 * errors) / requests : null,
    promptTokens: sumColumns(series.prompt_tokens),
    completionTokens: sumColumns(series.completion_tokens),
    latencyP50: weightedMean(series.latency_p50, series.requests),
    ttfbP50: weightedMean(series.ttfb_p50, series.requests),
  };
}

function column(table: MetricTable, name: string): (number | null)[] {
  const i = table.columns.indexOf(name);
  return (i > 0 ? table.data[i] : undefined) ?? table.data[0].map(() => null);
}

/**
 * A host's charts: GPU utilisation, VRAM used, temperatures, power (a line per GPU), then CPU and
 * memory. A host without GPUs (or whose GPUs report nothing) gets the system charts only.
 */
export function hostCharts(result: HostMetricsResult): ChartSpec[] {
  const { system, gpus } = result;
  const times = system.data[0];
  const gpuLabel = (g: { index: number; name: string | null }) =>
    gpus.length > 1 ? `GPU ${g.index}` : (g.name ?? `GPU ${g.index}`);
  const perGpu = (name: string) => gpus.map((g) => column(g, name));
  const spec = (
    id: string,
    title: string,
    unit: Unit,
    lines: { label: string; values: (number | null)[] }[],
  ): ChartSpec => ({
    id,
    title,
    unit,
    data: [times, ...lines.map((l) => l.values)],
    labels: lines.map((l) => l.label),
    counts: false,
  });
  const charts: ChartSpec[] = [];
  if (gpus.length > 0) {
    const labels = gpus.map(gpuLabel);
    const lines = (name: string) =>
      perGpu(name).map((values, i) => ({ label: labels[i]!, values }));
    charts.push(
      spec("gpu-util", "GPU utilisation", "%", lines("utilization")),
      spec("gpu-vram", "VRAM used", "bytes", lines("memory_used")),
      spec("gpu-temp", "Temperature", "°C", [
        ...lines("temperature"),
        { label: "CPU", values: column(system, "cpu_temp") },
      ]),
      spec("gpu-power", "GPU power", "W", lines("power_draw")),
    );
  }
  charts.push(
    spec("cpu", "CPU", "%", [{ label: "CPU busy", values: column(system, "cpu_util") }]),
    spec("memory", "Memory and disk", "%", [
      { label: "Memory", values: column(system, "mem_used_pct") },
      { label: "Swap", values: column(system, "swap_used_pct") },
      { label: "Disk", values: column(system, "disk_used_pct") },
    ]),
  );
  if (gpus.length === 0) {
    charts.push(
      spec("cpu-temp", "CPU temperature", "°C", [{
        label: "CPU",
        values: column(system, "cpu_temp"),
      }]),
    );
  }
  return charts;
}

/** The metrics the "all hosts" view compares, each a chart with a line per host. */
export const FLEET_CHARTS: readonly { metric: string; title: string }[] = [
  { metric: "utilization", title: "GPU utilisation" },
  { metric: "memory_used_pct", title: "VRAM used" },
  { metric: "temperature", title: "GPU temperature" },
  { metric: "power_draw", title: "GPU power" },
  { metric: "cpu_util", title: "CPU" },
  { metric: "mem_used_pct", title: "Memory used" },
];

/** A fleet metric as a chart, a line per host (a GPU metric is the mean of the host's GPUs). */
export function fleetChart(result: FleetMetricResult, title: string): ChartSpec {
  return {
    id: `fleet-${result.metric}`,
    title,
    unit: result.unit,
    data: result.data,
    labels: result.groups.map((g) => g.label),
    counts: false,
  };
}

/** Whether a chart has anything to draw: a value at all, or for counts a value above 0. */
export function hasData(spec: Pick<ChartSpec, "data" | "counts">): boolean {
  for (const column of spec.data.slice(1)) {
    for (const v of column) {
      if (v !== null && (!spec.counts || v > 0)) return true;
    }
  }
  return false;
}
