/**
 * One simulated machine running Ollama: its models directory, scheduler, inference engine, pulls
 * and fault switches, wired together. The HTTP app in `app.ts` is a thin layer over this.
 *
 * @module
 */

import { formatGoTime } from "../../shared/go_time.ts";
import { type Clock, realClock } from "./clock.ts";
import { Engine } from "./engine.ts";
import { Faults } from "./faults.ts";
import { type Profile, specFor } from "./profile.ts";
import { Puller } from "./pull.ts";
import { Scheduler } from "./scheduler.ts";
import { libraryLayers, ModelStore } from "./store.ts";

/** Options for {@link Simulator}. */
export interface SimulatorOptions {
  profile: Profile;
  /**
   * How many times faster than a real machine everything runs: loads, prefill, decode, pulls and
   * keep_alive timers all shrink by this factor, so ratios stay as on real hardware.
   * @default 1
   */
  speed?: number;
  clock?: Clock;
}

/** A simulated Ollama host. */
export class Simulator {
  readonly profile: Profile;
  readonly speed: number;
  readonly clock: Clock;
  readonly store = new ModelStore();
  readonly faults = new Faults();
  readonly scheduler: Scheduler;
  readonly engine: Engine;
  readonly puller: Puller;
  readonly startedAt: number;
  /** Set by the server: stops listening for `ms`. */
  onRefuse?: (ms: number) => void;
  #closing = new AbortController();

  constructor(options: SimulatorOptions) {
    const { profile, speed = 1, clock = realClock } = options;
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`Cannot simulate at 'speed' ${speed}: it must be a positive number`);
    }
    this.profile = profile;
    this.speed = speed;
    this.clock = clock;
    this.startedAt = clock.now();
    const toReal = (simMs: number) => simMs / speed;
    this.scheduler = new Scheduler({
      profile,
      clock,
      toReal,
      extraLoadMs: () => this.faults.takeSlowLoad() * speed,
    });
    this.engine = new Engine({ profile, scheduler: this.scheduler, clock, toReal });
    this.puller = new Puller({ profile, store: this.store, clock, toReal });
    // Models on disk were pulled over the past days, newest first in the profile's order.
    profile.models.forEach((name, i) => {
      const spec = specFor(profile, name)!;
      this.store.put(spec, libraryLayers(spec), this.startedAt - (i + 1) * 86_400_000 - i * 7_919);
    });
  }

  /** Aborted when the simulator closes: long waits listen to it. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Loads the profile's `preload` models, one after another, as a client's empty prompt would.
   *
   * @param options The request's options, e.g. `{ num_ctx: 8192 }` to preload as a hub with that
   *   context policy would load them; none by default (the host's default context).
   */
  async preload(options: { num_ctx?: number } = {}): Promise<void> {
    for (const name of this.profile.preload) {
      await this.engine.preload(this.store.get(name)!, options, undefined, this.#closing.signal);
    }
  }

  /** Stops timers and fails anything waiting. */
  close(): void {
    this.#closing.abort();
    this.scheduler.close();
    this.puller.close();
  }

  /** The simulator's own view, for `GET /_sim/state`: what a GPU host would show in nvidia-smi. */
  state(): Record<string, unknown> {
    const used = this.scheduler.usedVram();
    return {
      profile: this.profile.name,
      speed: this.speed,
      version: this.profile.version,
      started_at: formatGoTime(this.startedAt),
      gpus: this.profile.gpus.map((gpu, i) => {
        // A GPU is busy while a model with layers on it is generating; the temperature follows
        // (a step, not a thermal model: enough for dashboards and alert tests).
        const busy = this.scheduler.loaded().some((r) =>
          r.active > 0 && (r.placement.perGpu[i] ?? 0) > 0
        );
        return {
          index: i,
          name: gpu.name,
          memory_total: gpu.vram,
          memory_used: used[i] ?? 0,
          utilization: busy ? 97 : 0,
          temperature: busy ? 71 : 38,
        };
      }),
      loading: this.scheduler.loading?.model ?? null,
      queued: this.scheduler.queued,
      counters: { ...this.scheduler.counters },
      loaded: this.scheduler.loaded().map((r) => ({
        name: r.model.name,
        size: r.memory.total,
        size_vram: r.placement.vram,
        gpus: r.placement.perGpu,
        context_length: r.settings.numCtx,
        parallel: r.parallel,
        in_flight: r.active,
        waiting: r.waiters.length,
        keep_alive_ms: Number.isFinite(r.keepAliveMs) ? r.keepAliveMs : -1,
        expires_at: formatGoTime(r.expiresAt),
        decode_tokens_per_second: Math.round(r.speeds.decode * 10) / 10,
      })),
      downloads: this.puller.downloads(),
      faults: this.faults.snapshot(),
    };
  }
}
