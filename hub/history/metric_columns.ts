/**
 * The sampled metrics as history serves them, each as a SQL expression over its table. The raw
 * series (`metric_queries.ts`) and the hourly rollups (`retention.ts`) both read this list, so a metric
 * means the same thing whichever of them answers.
 *
 * @module
 */

import type { MetricUnit } from "../../shared/history_api.ts";

/** A metric: its name in the API and `metric_rollups`, and how to compute it from a sample row. */
export interface MetricColumn {
  name: string;
  /** SQL over one row of the sample table; NULL when the sample lacks it. */
  sql: string;
  unit: MetricUnit;
}

/** Per-host metrics, from `system_metrics`. */
export const HOST_METRICS: readonly MetricColumn[] = [
  { name: "cpu_util", sql: "cpu_util", unit: "%" },
  {
    name: "mem_used_pct",
    sql: "100.0 * (mem_total - mem_available) / NULLIF(mem_total, 0)",
    unit: "%",
  },
  { name: "mem_used", sql: "mem_total - mem_available", unit: "bytes" },
  {
    name: "swap_used_pct",
    sql: "100.0 * (swap_total - swap_free) / NULLIF(swap_total, 0)",
    unit: "%",
  },
  { name: "disk_used_pct", sql: "100.0 * disk_used / NULLIF(disk_total, 0)", unit: "%" },
  { name: "cpu_temp", sql: "cpu_temp", unit: "°C" },
  { name: "load1", sql: "load1", unit: "" },
  { name: "in_flight", sql: "in_flight", unit: "" },
];

/** Per-GPU metrics, from `gpu_metrics`. */
export const GPU_METRICS: readonly MetricColumn[] = [
  { name: "utilization", sql: "utilization", unit: "%" },
  { name: "memory_used", sql: "memory_used", unit: "bytes" },
  { name: "memory_used_pct", sql: "100.0 * memory_used / NULLIF(memory_total, 0)", unit: "%" },
  { name: "temperature", sql: "temperature", unit: "°C" },
  { name: "power_draw", sql: "power_draw", unit: "W" },
];

/** `gpu` in `metric_rollups` for a host's own metrics. */
export const HOST_GPU = -1;
