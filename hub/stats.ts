/**
 * What the hub measures for the router: how long a request for each model typically runs (an
 * exponentially weighted moving average of the time from dispatch to the response's end).
 *
 * @module
 */

import { DEFAULT_EXPECTED_RUN_MS, type RouteStats } from "./router.ts";

/** The weight of the newest sample. */
const ALPHA = 0.2;

/** Per-model request durations; implements the router's {@link RouteStats}. */
export class RunStats implements RouteStats {
  #runMs = new Map<string, number>();

  /** Records one request for `model` (a key) that ran `ms`. */
  recordRun(model: string, ms: number): void {
    if (!(ms >= 0)) return;
    const before = this.#runMs.get(model);
    this.#runMs.set(model, before === undefined ? ms : before + ALPHA * (ms - before));
  }

  expectedRunMs(model: string): number {
    return this.#runMs.get(model) ?? DEFAULT_EXPECTED_RUN_MS;
  }
}
