/**
 * A host's record and latest snapshot as history rows: what it is (`servers`), what it was doing
 * (`server_snapshots`), and its resources (`system_metrics`, one `gpu_metrics` row per GPU). Pure.
 *
 * @module
 */

import type { HostRecord } from "../host.ts";
import type { GpuMetricsRow, ServerRow, ServerSnapshotRow, SystemMetricsRow } from "./tables.ts";

/** The host as it is now, for the `servers` upsert. */
export function serverRow(host: HostRecord, now: number): ServerRow {
  const snapshot = host.snapshot;
  const info = snapshot?.host;
  const time = new Date(now).toISOString();
  return {
    id: host.id,
    name: host.name,
    kind: host.kind,
    url: host.url,
    status: host.status,
    hostname: info?.hostname || null,
    os: info?.os || null,
    kernel: info?.kernel || null,
    arch: info?.arch || null,
    cpu_model: info?.cpuModel ?? null,
    boot_id: info?.bootId || null,
    agent_version: host.kind === "agent" ? snapshot?.agent.version ?? null : null,
    ollama_version: snapshot?.ollama.version ?? null,
    gpus: (snapshot?.gpus.gpus ?? []).map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      vendor: g.vendor,
      memoryTotal: g.memoryTotal,
    })),
    first_seen: time,
    last_seen: time,
  };
}

/** The rows of one sample of a live host; `null` when the hub has no snapshot of it yet. */
export function sampleRows(host: HostRecord, inFlight: number, now: number): {
  snapshot: ServerSnapshotRow;
  system: SystemMetricsRow;
  gpus: GpuMetricsRow[];
} | null {
  const snap = host.snapshot;
  if (!snap) return null;
  const time = new Date(now).toISOString();
  const m = snap.metrics;
  const disk = m.disks[0];
  const cpuTemps = m.temperatures.filter((t) => t.kind === "cpu").map((t) => t.celsius);
  const known = m.memoryTotal > 0;
  return {
    snapshot: {
      server_id: host.id,
      time,
      status: host.status,
      ollama_reachable: snap.ollama.reachable,
      ollama_version: snap.ollama.version,
      loaded: snap.ollama.loaded.map((l) => ({
        name: l.name,
        digest: l.digest,
        size: l.size,
        sizeVram: l.sizeVram,
        expiresAt: l.expiresAt,
      })),
      models_on_disk: snap.ollama.models.length,
      in_flight: inFlight,
    },
    system: {
      server_id: host.id,
      time,
      cpu_util: m.cpuUtilization,
      cpu_count: m.cpuCount || null,
      load1: known ? m.load[0] : null,
      mem_total: known ? m.memoryTotal : null,
      mem_available: known ? m.memoryAvailable : null,
      swap_total: known ? m.swapTotal : null,
      swap_free: known ? m.swapFree : null,
      disk_total: disk?.total ?? null,
      disk_used: disk?.used ?? null,
      cpu_temp: cpuTemps.length > 0 ? Math.max(...cpuTemps) : null,
      uptime_s: m.uptimeSeconds > 0 ? Math.round(m.uptimeSeconds) : null,
      in_flight: inFlight,
    },
    gpus: snap.gpus.gpus.map((g) => ({
      server_id: host.id,
      gpu: g.index,
      time,
      uuid: g.uuid,
      name: g.name,
      utilization: g.utilization,
      memory_total: g.memoryTotal,
      memory_used: g.memoryUsed,
      temperature: g.temperature,
      power_draw: g.powerDraw,
      power_limit: g.powerLimit,
    })),
  };
}
