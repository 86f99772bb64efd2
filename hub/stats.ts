/**
 * What the hub measures for the router: how long a request for each model typically runs (an
 * exponentially weighted moving average of the time from dispatch to the response's end, per
 * model and per model on each host), how often each model is asked for (a decaying rate over
 * {@link DEMAND_WINDOW_MS}, per model and per requested context), and, through its
 * {@link MemoryBook}, what each model takes in memory beyond weights and KV cache.
 *
 * @module
 */

import { MemoryBook } from "./memory_model.ts";
import { DEFAULT_EXPECTED_RUN_MS, type RouteStats } from "./router.ts";

/** The weight of the newest run time. */
const ALPHA = 0.2;
/**
 * The time constant of the arrival rates: demand must last about this long to count in full, so
 * that a burst of a few seconds does not make the router load another copy of a model.
 */
export const DEMAND_WINDOW_MS = 30_000;

/** A rate of events per second that decays with {@link DEMAND_WINDOW_MS}. */
class DecayingRate {
  #value = 0;
  #at: number;
  readonly #since: number;

  constructor(now: number) {
    this.#at = now;
    this.#since = now;
  }

  add(now: number): void {
    this.#value = this.#decayed(now) + 1000 / DEMAND_WINDOW_MS;
    this.#at = now;
  }

  /**
   * Events per second. Early on, corrected for the short time it has been counting (as if it had
   * counted for at least a sixth of the window, so that one event is not read as a flood).
   */
  perSecond(now: number): number {
    const age = Math.max(now - this.#since, DEMAND_WINDOW_MS / 6);
    return this.#decayed(now) / (1 - Math.exp(-age / DEMAND_WINDOW_MS));
  }

  #decayed(now: number): number {
    return this.#value * Math.exp(-Math.max(0, now - this.#at) / DEMAND_WINDOW_MS);
  }
}

/** Measured run times, demand and memory overheads; implements the router's {@link RouteStats}. */
export class RunStats implements RouteStats {
  /** What loaded models take beyond weights and KV cache, learnt from the agents' reports. */
  readonly memory = new MemoryBook();
  #runMs = new Map<string, number>();
  #hostRunMs = new Map<string, number>();
  #rates = new Map<string, DecayingRate>();
  #now: () => number;

  /** @param now A monotonic clock in ms. @default performance.now */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Records one request for `model` (a key) that ran `ms`, on `hostId` when given. */
  recordRun(model: string, ms: number, hostId?: string): void {
    if (!(ms >= 0)) return;
    ewma(this.#runMs, model, ms);
    if (hostId !== undefined) ewma(this.#hostRunMs, `${hostId}\n${model}`, ms);
  }

  /** Records that a request for `model` arrived, asking for context `numCtx` (`null`: none). */
  recordArrival(model: string, numCtx: number | null): void {
    const now = this.#now();
    this.#rate(model, now).add(now);
    this.#rate(variant(model, numCtx), now).add(now);
  }

  expectedRunMs(model: string, hostId?: string): number {
    if (hostId !== undefined) {
      const onHost = this.#hostRunMs.get(`${hostId}\n${model}`);
      if (onHost !== undefined) return onHost;
    }
    return this.#runMs.get(model) ?? DEFAULT_EXPECTED_RUN_MS;
  }

  arrivalRate(model: string, numCtx: number | null | undefined): number {
    const key = numCtx === undefined ? model : variant(model, numCtx);
    return this.#rates.get(key)?.perSecond(this.#now()) ?? 0;
  }

  overhead(model: string): number | undefined {
    return this.memory.overhead(model);
  }

  #rate(key: string, now: number): DecayingRate {
    let rate = this.#rates.get(key);
    if (rate === undefined) {
      rate = new DecayingRate(now);
      this.#rates.set(key, rate);
    }
    return rate;
  }
}

/** The key of a model's requests that ask for `numCtx` (`null`: none). */
function variant(model: string, numCtx: number | null): string {
  return `${model}\n${numCtx ?? ""}`;
}

function ewma(map: Map<string, number>, key: string, ms: number): void {
  const before = map.get(key);
  map.set(key, before === undefined ? ms : before + ALPHA * (ms - before));
}
