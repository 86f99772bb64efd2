/**
 * The rows the hub writes, and the one batched statement per table that writes them. A batch is
 * sent as a single `jsonb` parameter and expanded by `jsonb_to_recordset`, so a batch costs
 * one round trip and one statement on either backend, however many rows, with no parameter limit
 * to hit.
 *
 * Rows use the tables' column names; times are ISO strings.
 *
 * @module
 */

import type { ModelEventKind, ServerEventKind } from "../../shared/history_api.ts";

/** One row of `request_logs`. */
export interface RequestLogRow {
  id: string;
  time: string;
  hub: string;
  api_key: string | null;
  user_id: number | null;
  client: string | null;
  method: string;
  endpoint: string;
  model: string | null;
  server_id: string | null;
  route: string | null;
  attempts: number;
  queued_ms: number | null;
  status: number;
  error: string | null;
  stream: boolean | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  ttfb_ms: number | null;
  duration_ms: number | null;
  load_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
}

/** One row of `system_metrics`. */
export interface SystemMetricsRow {
  server_id: string;
  time: string;
  cpu_util: number | null;
  cpu_count: number | null;
  load1: number | null;
  mem_total: number | null;
  mem_available: number | null;
  swap_total: number | null;
  swap_free: number | null;
  disk_total: number | null;
  disk_used: number | null;
  cpu_temp: number | null;
  uptime_s: number | null;
  in_flight: number | null;
}

/** One row of `gpu_metrics`. */
export interface GpuMetricsRow {
  server_id: string;
  gpu: number;
  time: string;
  uuid: string | null;
  name: string | null;
  utilization: number | null;
  memory_total: number | null;
  memory_used: number | null;
  temperature: number | null;
  power_draw: number | null;
  power_limit: number | null;
}

/** A model loaded there at a snapshot. */
export interface LoadedEntry {
  name: string;
  digest: string;
  size: number;
  sizeVram: number;
  expiresAt: string | null;
}

/** One row of `server_snapshots`. */
export interface ServerSnapshotRow {
  server_id: string;
  time: string;
  status: string;
  ollama_reachable: boolean;
  ollama_version: string | null;
  loaded: LoadedEntry[];
  models_on_disk: number;
  in_flight: number;
}

/** One row of `model_events`. */
export interface ModelEventRow {
  id: string;
  time: string;
  server_id: string;
  model: string;
  event: ModelEventKind;
  digest: string | null;
  size: number | null;
  size_vram: number | null;
  loaded_ms: number | null;
  detail: string | null;
}

/** One row of `server_events`. */
export interface ServerEventRow {
  id: string;
  time: string;
  server_id: string;
  event: ServerEventKind;
  previous: string | null;
  detail: string | null;
}

/** One row of `servers`: the host as it is now. */
export interface ServerRow {
  id: string;
  name: string;
  kind: "agent" | "ollama";
  url: string;
  status: string;
  hostname: string | null;
  os: string | null;
  kernel: string | null;
  arch: string | null;
  cpu_model: string | null;
  boot_id: string | null;
  agent_version: string | null;
  ollama_version: string | null;
  gpus: {
    index: number;
    uuid: string | null;
    name: string;
    vendor: string;
    memoryTotal: number | null;
  }[];
  first_seen: string;
  last_seen: string;
}

/** Each table's row type. */
export interface Rows {
  request_logs: RequestLogRow;
  system_metrics: SystemMetricsRow;
  gpu_metrics: GpuMetricsRow;
  server_snapshots: ServerSnapshotRow;
  model_events: ModelEventRow;
  server_events: ServerEventRow;
  servers: ServerRow;
}

/** A table the writer appends to. */
export type TableName = keyof Rows;

type Columns = readonly (readonly [name: string, type: string])[];

const COLUMNS: { [T in TableName]: Columns } = {
  request_logs: [
    ["id", "uuid"],
    ["time", "timestamptz"],
    ["hub", "text"],
    ["api_key", "text"],
    ["user_id", "bigint"],
    ["client", "text"],
    ["method", "text"],
    ["endpoint", "text"],
    ["model", "text"],
    ["server_id", "text"],
    ["route", "text"],
    ["attempts", "smallint"],
    ["queued_ms", "real"],
    ["status", "smallint"],
    ["error", "text"],
    ["stream", "boolean"],
    ["prompt_tokens", "integer"],
    ["completion_tokens", "integer"],
    ["ttfb_ms", "real"],
    ["duration_ms", "real"],
    ["load_ms", "real"],
    ["bytes_in", "bigint"],
    ["bytes_out", "bigint"],
  ],
  system_metrics: [
    ["server_id", "text"],
    ["time", "timestamptz"],
    ["cpu_util", "real"],
    ["cpu_count", "integer"],
    ["load1", "real"],
    ["mem_total", "bigint"],
    ["mem_available", "bigint"],
    ["swap_total", "bigint"],
    ["swap_free", "bigint"],
    ["disk_total", "bigint"],
    ["disk_used", "bigint"],
    ["cpu_temp", "real"],
    ["uptime_s", "bigint"],
    ["in_flight", "integer"],
  ],
  gpu_metrics: [
    ["server_id", "text"],
    ["gpu", "smallint"],
    ["time", "timestamptz"],
    ["uuid", "text"],
    ["name", "text"],
    ["utilization", "real"],
    ["memory_total", "bigint"],
    ["memory_used", "bigint"],
    ["temperature", "real"],
    ["power_draw", "real"],
    ["power_limit", "real"],
  ],
  server_snapshots: [
    ["server_id", "text"],
    ["time", "timestamptz"],
    ["status", "text"],
    ["ollama_reachable", "boolean"],
    ["ollama_version", "text"],
    ["loaded", "jsonb"],
    ["models_on_disk", "integer"],
    ["in_flight", "integer"],
  ],
  model_events: [
    ["id", "uuid"],
    ["time", "timestamptz"],
    ["server_id", "text"],
    ["model", "text"],
    ["event", "text"],
    ["digest", "text"],
    ["size", "bigint"],
    ["size_vram", "bigint"],
    ["loaded_ms", "bigint"],
    ["detail", "text"],
  ],
  server_events: [
    ["id", "uuid"],
    ["time", "timestamptz"],
    ["server_id", "text"],
    ["event", "text"],
    ["previous", "text"],
    ["detail", "text"],
  ],
  servers: [
    ["id", "text"],
    ["name", "text"],
    ["kind", "text"],
    ["url", "text"],
    ["status", "text"],
    ["hostname", "text"],
    ["os", "text"],
    ["kernel", "text"],
    ["arch", "text"],
    ["cpu_model", "text"],
    ["boot_id", "text"],
    ["agent_version", "text"],
    ["ollama_version", "text"],
    ["gpus", "jsonb"],
    ["first_seen", "timestamptz"],
    ["last_seen", "timestamptz"],
  ],
};

/** `servers` keeps the first sighting and takes everything else from the newest row. */
const SERVERS_UPSERT = `ON CONFLICT (id) DO UPDATE SET ${
  COLUMNS.servers.map(([name]) => name).filter((n) => n !== "id" && n !== "first_seen")
    .map((n) => `${n} = excluded.${n}`).join(", ")
}`;

function insertStatement(table: TableName): string {
  const columns = COLUMNS[table];
  const names = columns.map(([name]) => name).join(", ");
  const types = columns.map(([name, type]) => `${name} ${type}`).join(", ");
  const conflict = table === "servers" ? SERVERS_UPSERT : "ON CONFLICT DO NOTHING";
  return `INSERT INTO ${table} (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) ` +
    `AS r(${types}) ${conflict}`;
}

/** The batched insert for each table; its one parameter is the array of rows. */
export const INSERT: { readonly [T in TableName]: string } = Object.fromEntries(
  (Object.keys(COLUMNS) as TableName[]).map((table) => [table, insertStatement(table)]),
) as { [T in TableName]: string };

/** The tables in the order a flush writes them: hosts first, so a reader finds a name for them. */
export const TABLES: readonly TableName[] = [
  "servers",
  "server_events",
  "model_events",
  "server_snapshots",
  "system_metrics",
  "gpu_metrics",
  "request_logs",
];
