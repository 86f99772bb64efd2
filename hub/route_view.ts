/**
 * Builds the router's compact view of a host ({@link RouteHost}) from its latest snapshot: model
 * names turned into keys once, GPU memory summed, the penalties decided. Pure; the registry calls
 * it whenever a host's snapshot or status changes, never per request.
 *
 * @module
 */

import { modelKey } from "../shared/model_name.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";
import type { HostStatus, RouteHost, RouteModel } from "./host.ts";

/** A GPU at or above this temperature makes its host "hot" (DESIGN.md). */
export const HOT_GPU_CELSIUS = 90;
/** Less available memory than this fraction makes a host "low on memory". */
export const LOW_MEMORY_FRACTION = 0.1;
/** A disk at or above this fraction used makes a host "disk full". */
export const DISK_FULL_FRACTION = 0.9;
/** Load throughput assumed until a load has been measured: a fast NVMe drive (OLLAMA_API.md §8). */
export const DEFAULT_LOAD_RATE = 2e9;

/** The parts of a host record the view depends on. */
export interface RouteViewInput {
  id: string;
  name: string;
  status: HostStatus;
  ollamaReachable: boolean;
  snapshot: AgentSnapshot | null;
  loadRate: number;
}

function byKey(
  models: readonly { name: string; size: number; contextLength?: number | null; shape?: unknown }[],
): Map<string, RouteModel> {
  const map = new Map<string, RouteModel>();
  for (const m of models) {
    const key = modelKey(m.name);
    if (key) {
      map.set(key, {
        size: m.size,
        contextLength: m.contextLength ?? null,
        shape: (m.shape as RouteModel["shape"] | undefined) ?? null,
      });
    }
  }
  return map;
}

/** Requests in flight by model key, as the agent reported them. */
export function reportedInFlight(snapshot: AgentSnapshot | null): Map<string, number> {
  const map = new Map<string, number>();
  for (const [name, count] of Object.entries(snapshot?.inFlight ?? {})) {
    const key = modelKey(name);
    if (key) map.set(key, (map.get(key) ?? 0) + count);
  }
  return map;
}

/** The router's view of one host. */
export function toRouteHost(input: RouteViewInput): RouteHost {
  const { snapshot } = input;
  let freeVram = 0;
  let totalVram = 0;
  let hot = false;
  const gpus = snapshot?.gpus.gpus ?? [];
  for (const gpu of gpus) {
    if (gpu.memoryTotal !== null) {
      totalVram += gpu.memoryTotal;
      freeVram += Math.max(0, gpu.memoryTotal - (gpu.memoryUsed ?? 0));
    }
    if (gpu.temperature !== null && gpu.temperature >= HOT_GPU_CELSIUS) hot = true;
  }
  const metrics = snapshot?.metrics;
  if (totalVram === 0 && metrics) {
    // A CPU-only host runs models in RAM.
    totalVram = metrics.memoryTotal;
    freeVram = metrics.memoryAvailable;
  }
  const lowMemory = metrics !== undefined && metrics.memoryTotal > 0 &&
    metrics.memoryAvailable / metrics.memoryTotal < LOW_MEMORY_FRACTION;
  const diskFull = (metrics?.disks ?? []).some((d) =>
    d.total > 0 && d.used / d.total >= DISK_FULL_FRACTION
  );
  return {
    id: input.id,
    name: input.name,
    status: input.status,
    ollamaReachable: input.ollamaReachable,
    slots: Math.max(1, snapshot?.ollama.slots ?? 1),
    contextLength: Math.max(0, snapshot?.ollama.contextLength ?? 0),
    maxLoaded: 3 * Math.max(1, gpus.length),
    loaded: byKey(snapshot?.ollama.loaded ?? []),
    onDisk: byKey(snapshot?.ollama.models ?? []),
    freeVram,
    totalVram,
    loadRate: input.loadRate,
    hot,
    lowMemory,
    diskFull,
  };
}
