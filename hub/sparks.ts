/**
 * The fleet cards' sparklines: per host, a {@link SparkPoint} (GPUs busy, CPU busy, VRAM used) taken
 * from the registry's snapshots at most every {@link SPARK_INTERVAL_MS}, the last
 * {@link SPARK_POINTS} kept in memory (five minutes). Longer ranges are the history API's job; these
 * exist so that a dashboard opened now shows the last minutes at once, and so that the live stream
 * has a `spark` event to send.
 *
 * @module
 */

import type { SparkPoint } from "../shared/dashboard.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";
import type { Registry } from "./registry.ts";

/** The least time between two points of one host. */
export const SPARK_INTERVAL_MS = 5000;
/** How many points are kept per host: five minutes at one per 5 s. */
export const SPARK_POINTS = 60;

/**
 * A host's point at time `t`: the GPUs' utilisation averaged over those that report one, the CPU's,
 * and VRAM used as a fraction of all GPUs' memory. Each is `null` when the snapshot cannot say (a
 * CPU-only host has no GPU figures; the agent's first sample has no CPU figure).
 */
export function sparkPoint(snapshot: AgentSnapshot, t: number): SparkPoint {
  let busy = 0;
  let reporting = 0;
  let used = 0;
  let total = 0;
  for (const gpu of snapshot.gpus.gpus) {
    if (gpu.utilization !== null) {
      busy += gpu.utilization;
      reporting++;
    }
    if (gpu.memoryTotal !== null && gpu.memoryUsed !== null && gpu.memoryTotal > 0) {
      used += gpu.memoryUsed;
      total += gpu.memoryTotal;
    }
  }
  return {
    t,
    gpu: reporting > 0 ? busy / reporting : null,
    cpu: snapshot.metrics.cpuUtilization,
    vram: total > 0 ? Math.min(1, used / total) : null,
  };
}

/** Options for {@link Sparks}. */
export interface SparksOptions {
  /** @default {SPARK_INTERVAL_MS} */
  intervalMs?: number;
  /** @default {SPARK_POINTS} */
  points?: number;
  /** @default Date.now */
  now?: () => number;
}

/** The sparklines of every host, fed by the registry's snapshot events. */
export class Sparks {
  #lines = new Map<string, SparkPoint[]>();
  #listeners = new Set<(hostId: string, point: SparkPoint) => void>();
  #unsubscribe: () => void;
  #intervalMs: number;
  #points: number;
  #now: () => number;

  /** Starts listening to `registry`; {@link stop} ends that. */
  constructor(registry: Registry, options: SparksOptions = {}) {
    this.#intervalMs = options.intervalMs ?? SPARK_INTERVAL_MS;
    this.#points = options.points ?? SPARK_POINTS;
    this.#now = options.now ?? Date.now;
    this.#unsubscribe = registry.subscribe((event) => {
      if (event.type === "snapshot" && event.host.snapshot) {
        this.#observe(event.host.id, event.host.snapshot);
      } else if (event.type === "removed") {
        this.#lines.delete(event.host.id);
      }
    });
  }

  #observe(hostId: string, snapshot: AgentSnapshot): void {
    const now = this.#now();
    let line = this.#lines.get(hostId);
    const last = line?.at(-1);
    if (last && now - last.t < this.#intervalMs) return;
    const point = sparkPoint(snapshot, now);
    if (!line) this.#lines.set(hostId, line = []);
    line.push(point);
    if (line.length > this.#points) line.splice(0, line.length - this.#points);
    for (const listener of this.#listeners) {
      try {
        listener(hostId, point);
      } catch (error) {
        console.error("corral-hub: sparkline listener failed:", error);
      }
    }
  }

  /** A host's points, oldest first (a copy); empty for a host with none. */
  of(hostId: string): SparkPoint[] {
    return [...this.#lines.get(hostId) ?? []];
  }

  /** Every host's points, by host id (copies), as `FleetState.sparks` carries them. */
  all(): Record<string, SparkPoint[]> {
    const all: Record<string, SparkPoint[]> = {};
    for (const [hostId, line] of this.#lines) all[hostId] = [...line];
    return all;
  }

  /** Calls `listener` with each new point; returns the function that unsubscribes. */
  onPoint(listener: (hostId: string, point: SparkPoint) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops listening to the registry; the points stay readable. */
  stop(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }
}
