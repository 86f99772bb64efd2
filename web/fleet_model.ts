/**
 * The Fleet page's logic over plain data: which hosts need attention and why, the order of the
 * cards (trouble first), the fleet totals, per-host figures the cards show, and the sparkline's
 * window. No signals and no DOM, so it is tested with `deno test`.
 *
 * @module
 */

import type { HostView, SparkPoint } from "../shared/dashboard.ts";
import type { DiskSample, GpuSample } from "../shared/protocol.ts";

/** How loudly a host asks for attention: `bad` (red), `warn` (amber), `info` (an operator's state). */
export type Level = "bad" | "warn" | "info";

/** Why a host stands out, worst first; `level` is `null` for a healthy host. */
export interface Attention {
  level: Level | null;
  reasons: { level: Level; text: string }[];
}

const RANK: Record<Level, number> = { bad: 0, warn: 1, info: 2 };

/** The hottest GPU's temperature, °C; `null` when no GPU reports one. */
export function hottestGpu(host: HostView): number | null {
  let hottest: number | null = null;
  for (const gpu of host.snapshot?.gpus.gpus ?? []) {
    if (gpu.temperature !== null && (hottest === null || gpu.temperature > hottest)) {
      hottest = gpu.temperature;
    }
  }
  return hottest;
}

/** The fullest disk (by fraction used), or `null` when the host reports none. */
export function fullestDisk(host: HostView): DiskSample | null {
  let fullest: DiskSample | null = null;
  for (const disk of host.snapshot?.metrics.disks ?? []) {
    if (disk.total <= 0) continue;
    if (!fullest || disk.used / disk.total > fullest.used / fullest.total) fullest = disk;
  }
  return fullest;
}

/** Memory in use as a fraction (0-1), or `null` when unknown. */
export function memoryUsed(host: HostView): number | null {
  const m = host.snapshot?.metrics;
  if (!m || m.memoryTotal <= 0) return null;
  return 1 - m.memoryAvailable / m.memoryTotal;
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

/** Why `host` needs attention: its status, the hub's hot / low-memory / disk-full flags, GPU errors. */
export function attention(host: HostView): Attention {
  const reasons: Attention["reasons"] = [];
  const add = (level: Level, text: string) => reasons.push({ level, text });
  switch (host.status) {
    case "offline":
      add("bad", host.reason ? `Offline: ${host.reason}` : "Offline");
      break;
    case "degraded":
      add("warn", host.reason ? `Degraded: ${host.reason}` : "Degraded");
      break;
    case "draining":
      add("info", "Draining: takes no new requests");
      break;
    case "maintenance":
      add("info", "In maintenance");
      break;
  }
  if (host.status !== "offline") {
    if (host.hot) {
      const t = hottestGpu(host);
      add("bad", t === null ? "GPU hot" : `GPU hot: ${Math.round(t)} °C`);
    }
    if (host.diskFull) {
      const disk = fullestDisk(host);
      add("bad", disk ? `Disk full: ${pct(disk.used / disk.total)} of ${disk.path}` : "Disk full");
    }
    if (host.lowMemory) {
      const used = memoryUsed(host);
      add("warn", used === null ? "Low memory" : `Low memory: ${pct(1 - used)} available`);
    }
    const gpuError = host.snapshot?.gpus.error;
    if (gpuError) add("warn", `GPUs unreadable: ${gpuError}`);
  }
  reasons.sort((a, b) => RANK[a.level] - RANK[b.level]);
  return { level: reasons[0]?.level ?? null, reasons };
}

/**
 * The order of the cards: hosts that need attention first (red, then amber, then drained or in
 * maintenance), then by name.
 */
export function sortHosts(hosts: readonly HostView[]): HostView[] {
  const keyed = hosts.map((host) => {
    const level = attention(host).level;
    return { host, rank: level === null ? 3 : RANK[level] };
  });
  keyed.sort((a, b) => a.rank - b.rank || a.host.name.localeCompare(b.host.name));
  return keyed.map((k) => k.host);
}

/** The fleet at a glance, the strip above the cards. */
export interface FleetTotals {
  hosts: number;
  /** Online or degraded: hosts that answer. */
  up: number;
  attention: number;
  gpus: number;
  vramUsed: number;
  vramTotal: number;
  /** Mean utilisation over the GPUs that report one, percent; `null` when none does. */
  gpuUtilization: number | null;
  /** Models loaded, counting each host's copy. */
  loaded: number;
  inFlight: number;
}

/** Sums the fleet's hosts. */
export function fleetTotals(hosts: readonly HostView[]): FleetTotals {
  const totals: FleetTotals = {
    hosts: hosts.length,
    up: 0,
    attention: 0,
    gpus: 0,
    vramUsed: 0,
    vramTotal: 0,
    gpuUtilization: null,
    loaded: 0,
    inFlight: 0,
  };
  let utilSum = 0;
  let utilCount = 0;
  for (const host of hosts) {
    if (host.status === "online" || host.status === "degraded") totals.up++;
    if (attention(host).level !== null) totals.attention++;
    totals.inFlight += host.inFlight;
    if (host.status === "offline" || !host.snapshot) continue;
    totals.loaded += host.snapshot.ollama.loaded.length;
    for (const gpu of host.snapshot.gpus.gpus) {
      totals.gpus++;
      totals.vramUsed += gpu.memoryUsed ?? 0;
      totals.vramTotal += gpu.memoryTotal ?? 0;
      if (gpu.utilization !== null) {
        utilSum += gpu.utilization;
        utilCount++;
      }
    }
  }
  if (utilCount > 0) totals.gpuUtilization = utilSum / utilCount;
  return totals;
}

/** A GPU's VRAM in use as a fraction (0-1), or `null` when the tool cannot say. */
export function vramFraction(gpu: GpuSample): number | null {
  return gpu.memoryTotal && gpu.memoryUsed !== null ? gpu.memoryUsed / gpu.memoryTotal : null;
}

/** The colour class of a bar filled to `fraction`: amber from `warn`, red from `bad`. */
export function barLevel(
  fraction: number | null,
  warn = 0.8,
  bad = 0.9,
): "" | "warn" | "bad" {
  if (fraction === null) return "";
  return fraction >= bad ? "bad" : fraction >= warn ? "warn" : "";
}

/** The colour class of a GPU temperature: amber from 80 °C, red from the hub's hot mark (90 °C). */
export function temperatureLevel(celsius: number | null): "" | "warn" | "bad" {
  if (celsius === null) return "";
  return celsius >= 90 ? "bad" : celsius >= 80 ? "warn" : "";
}

/** How long a sparkline looks back. */
export const SPARK_WINDOW_MS = 5 * 60_000;

/**
 * `points` with `point` added at its time and everything older than `windowMs` before the newest
 * dropped. Returns a new array; a point older than the window, or one already there, changes
 * nothing and returns `points` itself.
 */
export function appendSpark(
  points: readonly SparkPoint[],
  point: SparkPoint,
  windowMs: number = SPARK_WINDOW_MS,
): readonly SparkPoint[] {
  const last = points[points.length - 1];
  if (last && point.t <= last.t) {
    if (points.some((p) => p.t === point.t) || point.t < last.t - windowMs) return points;
    return trimSpark([...points, point].sort((a, b) => a.t - b.t), windowMs);
  }
  return trimSpark([...points, point], windowMs);
}

/** `points` (sorted by time) without those older than `windowMs` before the newest. */
export function trimSpark(points: readonly SparkPoint[], windowMs = SPARK_WINDOW_MS) {
  const newest = points[points.length - 1]?.t;
  if (newest === undefined) return points;
  const first = points.findIndex((p) => p.t >= newest - windowMs);
  return first <= 0 ? points : points.slice(first);
}
