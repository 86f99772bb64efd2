/**
 * Requests in flight per host and model. The hub counts its own requests the moment it sends them
 * (an agent's snapshot arrives a few milliseconds later), and agents report everything passing
 * through them, other hubs' requests included; the router sees the higher of the two.
 *
 * @module
 */

import type { InFlight } from "./host.ts";

interface HostCounts {
  total: number;
  byModel: Map<string, number>;
  /** When the latest request for each model was sent (`performance.now()`). */
  latest: Map<string, number>;
  /** The context of the latest request for each model (its runner's), `null` when unknown. */
  contexts: Map<string, number | null>;
  reported: Map<string, number>;
  reportedTotal: number;
}

const NONE: ReadonlyMap<string, number | null> = new Map();

/** The hub's table of requests in flight; implements the router's {@link InFlight}. */
export class InFlightTable implements InFlight {
  #now: () => number;
  #hosts = new Map<string, HostCounts>();
  #listeners = new Set<(hostId: string, model: string | null) => void>();

  /** @param now A monotonic clock in ms. @default performance.now */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  #host(hostId: string): HostCounts {
    let counts = this.#hosts.get(hostId);
    if (!counts) {
      counts = {
        total: 0,
        byModel: new Map(),
        latest: new Map(),
        contexts: new Map(),
        reported: new Map(),
        reportedTotal: 0,
      };
      this.#hosts.set(hostId, counts);
    }
    return counts;
  }

  /**
   * Counts a request to `hostId` for `model` (a key, or `null`); returns the function that ends it.
   *
   * @param context The context its runner has or will be loaded with, when the hub knows it.
   */
  begin(hostId: string, model: string | null, context: number | null = null): () => void {
    const counts = this.#host(hostId);
    counts.total++;
    if (model !== null) {
      counts.byModel.set(model, (counts.byModel.get(model) ?? 0) + 1);
      counts.latest.set(model, this.#now());
      counts.contexts.set(model, context);
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      counts.total--;
      if (model !== null) {
        const left = counts.byModel.get(model)! - 1;
        if (left === 0) {
          counts.byModel.delete(model);
          counts.latest.delete(model);
          counts.contexts.delete(model);
        } else {
          counts.byModel.set(model, left);
        }
      }
      for (const listener of this.#listeners) listener(hostId, model);
    };
  }

  /** Records what the host's agent reported, by model key. */
  setReported(hostId: string, reported: Map<string, number>): void {
    const counts = this.#host(hostId);
    counts.reported = reported;
    let total = 0;
    for (const n of reported.values()) total += n;
    counts.reportedTotal = total;
  }

  /** Forgets a host. */
  remove(hostId: string): void {
    this.#hosts.delete(hostId);
  }

  /** The hub's own requests for `model` on `hostId`. */
  own(hostId: string, model: string): number {
    return this.#hosts.get(hostId)?.byModel.get(model) ?? 0;
  }

  of(hostId: string, model: string): number {
    const counts = this.#hosts.get(hostId);
    if (!counts) return 0;
    return Math.max(counts.byModel.get(model) ?? 0, counts.reported.get(model) ?? 0);
  }

  youngestAgeMs(hostId: string, model: string): number {
    const latest = this.#hosts.get(hostId)?.latest.get(model);
    return latest === undefined ? 0 : Math.max(1, this.#now() - latest);
  }

  contextOf(hostId: string, model: string): number | null {
    return this.#hosts.get(hostId)?.contexts.get(model) ?? null;
  }

  models(hostId: string): ReadonlyMap<string, number | null> {
    return this.#hosts.get(hostId)?.contexts ?? NONE;
  }

  total(hostId: string): number {
    const counts = this.#hosts.get(hostId);
    return counts ? Math.max(counts.total, counts.reportedTotal) : 0;
  }

  /** Calls `listener` whenever one of the hub's requests ends (a slot may have freed). */
  onEnd(listener: (hostId: string, model: string | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
