/**
 * The history API's answers (`/api/history/…` on the control plane): what the hub's queries
 * (`hub/history/*_queries.ts`) return and the dashboard (`web/history/`) reads. Series are uPlot's
 * columns with times in epoch seconds; events, requests and hosts carry times in epoch ms. Types
 * only.
 *
 * @module
 */

/** uPlot's columnar data: `[times, series1, series2, …]`, `null` for a gap. */
export type AlignedData = [number[], ...(number | null)[][]];

/** Where a series was read from: raw rows, or the hourly rollups (approximate percentiles). */
export type Source = "raw" | "rollup";

/** A series' group: what it is and what to call it. */
export interface GroupRef {
  id: string;
  label: string;
}

/** A host as history names it. */
export interface HostRef {
  id: string;
  name: string;
}

/** What usage is grouped by. */
export type UsageBy = "model" | "host" | "key" | "none";

/** One usage series' name. */
export type UsageField =
  | "requests"
  | "errors"
  | "prompt_tokens"
  | "completion_tokens"
  | "latency_p50"
  | "latency_p95"
  | "ttfb_p50"
  | "ttfb_p95";

/** `GET /api/history/usage`: one {@link AlignedData} per field, a column per group. */
export interface UsageResult {
  from: number;
  to: number;
  /** Bucket width in seconds. */
  step: number;
  by: UsageBy;
  source: Source;
  approximate: boolean;
  groups: GroupRef[];
  /** Groups left out by the limit. */
  omitted: number;
  series: Record<UsageField, AlignedData>;
}

/** A table of metric series: `columns` names `data`'s columns, `"time"` first. */
export interface MetricTable {
  columns: string[];
  data: AlignedData;
}

/** One GPU's series (`utilization`, `memory_used`, `memory_used_pct`, `temperature`, `power_draw`). */
export interface GpuSeries extends MetricTable {
  index: number;
  name: string | null;
  uuid: string | null;
}

/** `GET /api/history/metrics?host=`: a host's system series and its GPUs'. */
export interface HostMetricsResult {
  host: HostRef;
  from: number;
  to: number;
  step: number;
  source: Source;
  /** `cpu_util`, `mem_used_pct`, `mem_used`, `swap_used_pct`, `disk_used_pct`, `cpu_temp`, `load1`, `in_flight`. */
  system: MetricTable;
  gpus: GpuSeries[];
}

/** A metric's unit. */
export type MetricUnit = "%" | "°C" | "bytes" | "W" | "";

/** `GET /api/history/fleet-metrics?metric=`: one metric, a column per host. */
export interface FleetMetricResult {
  metric: string;
  unit: MetricUnit;
  from: number;
  to: number;
  step: number;
  source: Source;
  groups: GroupRef[];
  omitted: number;
  data: AlignedData;
}

/** What happened to a model on a host. */
export type ModelEventKind = "load" | "unload" | "added" | "removed";

/** What happened to a host. */
export type ServerEventKind =
  | "discovered"
  | "online"
  | "offline"
  | "degraded"
  | "draining"
  | "maintenance"
  | "reboot"
  | "ollama-version"
  | "removed";

/** A model event. */
export interface ModelEventView {
  id: string;
  time: number;
  host: HostRef;
  model: string;
  event: ModelEventKind;
  digest: string | null;
  size: number | null;
  sizeVram: number | null;
  /** For an unload: how long the model had stayed loaded. */
  loadedMs: number | null;
  detail: string | null;
}

/** A host's event. */
export interface ServerEventView {
  id: string;
  time: number;
  host: HostRef;
  event: ServerEventKind;
  previous: string | null;
  detail: string | null;
}

/** A logged request. */
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
  /**
   * What the router decided, as `X-Corral-Route` said it: the reason, then details, e.g.
   * `on-disk; ctx=8192; load=6.8GB; evicts=gemma3:12b`.
   */
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

/** `GET /api/history/model-events`: newest first; `next` is the cursor of the next page. */
export interface ModelEventPage {
  events: ModelEventView[];
  next: string | null;
}

/** `GET /api/history/server-events`. */
export interface ServerEventPage {
  events: ServerEventView[];
  next: string | null;
}

/** `GET /api/history/requests`. */
export interface RequestPage {
  requests: RequestView[];
  next: string | null;
}

/** A host as `GET /api/history/hosts` lists it. */
export interface HistoryHost {
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

/** `GET /api/history/facets`: the models, hosts and keys requests in a range mention. */
export interface Facets {
  models: string[];
  hosts: HostRef[];
  keys: string[];
}
