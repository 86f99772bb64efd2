/**
 * Ollama's scheduler, simulated (after `server/sched.go` and OLLAMA_API.md §5):
 *
 * - Requests for a loaded model take one of its `OLLAMA_NUM_PARALLEL` slots or wait, unbounded and
 *   in order, for one to free.
 * - Requests that need a load (or a reload, or an eviction first) join one pending queue of at most
 *   `OLLAMA_MAX_QUEUE`; past that they fail at once with 503. The queue is served one request at a
 *   time, so only one model loads at a time.
 * - A model that does not fit evicts others first: the idle one with the shortest keep_alive (ties
 *   by model name), else it waits for the shortest-keep_alive one to go idle (not LRU). Alone on
 *   the box, a model that still does not fit is split between VRAM and RAM (`size_vram` < `size`).
 * - keep_alive: the timer runs only while no request is in flight; the latest request that names a
 *   keep_alive sets it; 0 unloads as soon as the model goes idle.
 *
 * @module
 */

import { FOREVER } from "../../shared/duration.ts";
import { modelKey } from "../../shared/model_name.ts";
import type { Clock } from "./clock.ts";
import { canceled, QUEUE_FULL, shuttingDown, SimError } from "./errors.ts";
import {
  fitsInVram,
  type Footprint,
  footprint,
  place,
  type Placement,
  slotsFor,
  type Speeds,
  speeds,
} from "./memory.ts";
import type { Profile } from "./profile.ts";
import type { StoredModel } from "./store.ts";

/** Go's `time.Now().Add(math.MaxInt64)`: what `expires_at` shows for a model kept forever. */
const FOREVER_MS = 9_223_372_036_854;
/** setTimeout cannot wait longer than this; longer timers re-arm. */
const MAX_TIMER_MS = 2_147_483_647;
/** System memory the OS and Ollama itself keep for themselves. */
const RAM_RESERVED = 2 * 1024 ** 3;

/** Settings of a request that force a reload when they differ from the loaded runner's. */
export interface RunnerSettings {
  numCtx: number;
  /** Other runner-level options (num_batch, num_gpu, ...), serialised. */
  extra: string;
}

/** One loaded model. */
export class Runner {
  /** Requests holding a slot. */
  active = 0;
  /** Requests in their decode phase, which share the GPU's bandwidth. */
  decoding = 0;
  /** Wall time at which the keep_alive timer fires (or last fired). */
  expiresAt = 0;
  /** Marked for unload as soon as it goes idle (eviction or reload). */
  expiring = false;
  /** Why it was marked: to make room for another model (counted on unload), or a reload. */
  evictedFor?: "room" | "reload";
  readonly loadedAt: number;
  readonly unloaded: PromiseWithResolvers<void> = Promise.withResolvers();
  waiters: { grant: () => void; signal: AbortSignal; onAbort: () => void }[] = [];
  timer?: ReturnType<typeof setTimeout>;

  constructor(
    readonly model: StoredModel,
    readonly settings: RunnerSettings,
    readonly parallel: number,
    readonly memory: Footprint,
    readonly placement: Placement,
    readonly speeds: Speeds,
    public keepAliveMs: number,
    now: number,
  ) {
    this.loadedAt = now;
  }
}

/** What a request needs from the scheduler. */
export interface AcquireRequest {
  model: StoredModel;
  settings: RunnerSettings;
  /** Simulated milliseconds; {@link FOREVER} keeps it loaded; undefined leaves it as it is. */
  keepAliveMs?: number;
  signal: AbortSignal;
}

/** A slot on a loaded model, held until `release()`. */
export interface Lease {
  runner: Runner;
  /** Whether this request had to wait for a load. */
  loaded: boolean;
  release(): void;
}

/** Options for {@link Scheduler}. */
export interface SchedulerOptions {
  profile: Profile;
  clock: Clock;
  /** Real milliseconds for a simulated duration (the `--speed` scale). */
  toReal(simMs: number): number;
  /** Extra simulated milliseconds for the next load (the slow-load fault). */
  extraLoadMs?(): number;
}

interface Pending {
  request: AcquireRequest;
  resolve(lease: Lease | PromiseLike<Lease>): void;
  reject(error: unknown): void;
}

/** What the scheduler has done since it started, for `/_sim/state` and tests. */
export interface SchedulerCounters {
  /** Models loaded (reloads included). */
  loads: number;
  /** Loads that replaced a runner of the same model with other settings (num_ctx, options). */
  reloads: number;
  /**
   * Runners unloaded to make room for another model (memory or `MAX_LOADED_MODELS`); not
   * keep_alive expiries, explicit unloads or reloads.
   */
  evictions: number;
}

/** The simulated Ollama scheduler of one host. */
export class Scheduler {
  /** Loads, reloads and evictions so far. */
  readonly counters: SchedulerCounters = { loads: 0, reloads: 0, evictions: 0 };
  #options: SchedulerOptions;
  #runners = new Map<string, Runner>();
  #pending: Pending[] = [];
  #draining = false;
  #loading?: { model: string; since: number };
  #warm = new Set<string>();
  #closed = false;
  #closing = new AbortController();

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** `OLLAMA_MAX_LOADED_MODELS`, with 0 meaning three per GPU (three on a CPU). */
  get maxLoaded(): number {
    const { profile } = this.#options;
    return profile.maxLoadedModels > 0
      ? profile.maxLoadedModels
      : 3 * Math.max(1, profile.gpus.length);
  }

  /** Loaded models, latest `expires_at` first, as `/api/ps` lists them. */
  loaded(): Runner[] {
    return [...this.#runners.values()].sort((a, b) => b.expiresAt - a.expiresAt);
  }

  /** The model loading now, if any. */
  get loading(): { model: string; since: number } | undefined {
    return this.#loading;
  }

  /** Requests waiting in the pending (load) queue. */
  get queued(): number {
    return this.#pending.length;
  }

  /** Bytes in use on each GPU. */
  usedVram(): number[] {
    const used = this.#options.profile.gpus.map(() => 0);
    for (const runner of this.#runners.values()) {
      runner.placement.perGpu.forEach((bytes, i) => used[i] = (used[i] ?? 0) + bytes);
    }
    return used;
  }

  /** Waits for a slot on `request.model`, loading it first when needed. */
  acquire(request: AcquireRequest): Promise<Lease> {
    if (this.#closed) return Promise.reject(shuttingDown());
    if (request.signal.aborted) return Promise.reject(canceled());
    const runner = this.#runners.get(modelKey(request.model.name)!);
    if (runner && this.#compatible(runner, request)) {
      if (request.keepAliveMs !== undefined) runner.keepAliveMs = request.keepAliveMs;
      return this.#slot(runner, request.signal, false);
    }
    if (this.#pending.length >= this.#options.profile.maxQueue) {
      return Promise.reject(new SimError(503, QUEUE_FULL));
    }
    const { promise, resolve, reject } = Promise.withResolvers<Lease>();
    const pending: Pending = { request, resolve, reject };
    const onAbort = () => {
      const i = this.#pending.indexOf(pending);
      if (i >= 0) this.#pending.splice(i, 1);
      reject(canceled());
    };
    request.signal.addEventListener("abort", onAbort, { once: true });
    this.#pending.push(pending);
    void this.#drain();
    return promise.finally(() => request.signal.removeEventListener("abort", onAbort));
  }

  /**
   * Unloads a model as soon as its in-flight requests finish (an empty prompt with keep_alive 0).
   *
   * @returns Whether the model was loaded.
   */
  unload(model: StoredModel): boolean {
    const runner = this.#runners.get(modelKey(model.name)!);
    if (!runner) return false;
    runner.keepAliveMs = 0;
    if (runner.active === 0) this.#unload(runner);
    return true;
  }

  /** Unloads everything and fails every waiting request; timers stop. */
  close(): void {
    this.#closed = true;
    this.#closing.abort(shuttingDown());
    for (const pending of this.#pending.splice(0)) {
      pending.reject(shuttingDown());
    }
    for (const runner of [...this.#runners.values()]) {
      for (const waiter of runner.waiters.splice(0)) waiter.onAbort();
      this.#unload(runner);
    }
  }

  #compatible(runner: Runner, request: AcquireRequest): boolean {
    return !runner.expiring && runner.settings.numCtx === request.settings.numCtx &&
      runner.settings.extra === request.settings.extra;
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#pending.length > 0 && !this.#closed) {
        const pending = this.#pending.shift()!;
        try {
          const runner = await this.#runnerFor(pending.request);
          if (pending.request.signal.aborted) {
            if (runner.active === 0) this.#idle(runner);
            continue;
          }
          if (pending.request.keepAliveMs !== undefined) {
            runner.keepAliveMs = pending.request.keepAliveMs;
          }
          pending.resolve(this.#slot(runner, pending.request.signal, true));
        } catch (error) {
          pending.reject(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runnerFor(request: AcquireRequest): Promise<Runner> {
    const { profile } = this.#options;
    const spec = request.model.spec;
    let reload = false;
    for (;;) {
      if (this.#closed) throw shuttingDown();
      const existing = this.#runners.get(modelKey(request.model.name)!);
      if (existing && this.#compatible(existing, request)) return existing;
      if (existing) {
        // Other settings: a reload. The same settings: it was already on its way out.
        const { numCtx, extra } = existing.settings;
        if (numCtx !== request.settings.numCtx || extra !== request.settings.extra) reload = true;
        await this.#evict(existing, "reload");
        continue;
      }
      if (this.#runners.size >= this.maxLoaded) {
        await this.#evict(this.#victim(), "room");
        continue;
      }
      const parallel = slotsFor(profile, spec);
      const memory = footprint(spec, request.settings.numCtx, parallel);
      const placement = place(profile, this.usedVram(), memory.total);
      if (!fitsInVram(placement) && this.#runners.size > 0) {
        await this.#evict(this.#victim(), "room");
        continue;
      }
      const ramFree = profile.ram - RAM_RESERVED -
        [...this.#runners.values()].reduce((sum, r) => sum + r.placement.ram, 0);
      if (placement.ram > ramFree) {
        const gib = (n: number) => (n / 1024 ** 3).toFixed(1);
        throw new SimError(
          500,
          `model requires more system memory (${gib(placement.ram)} GiB) than is available (${
            gib(Math.max(0, ramFree))
          } GiB)`,
        );
      }
      const runner = await this.#load(request, parallel, memory, placement);
      if (reload) this.counters.reloads++;
      return runner;
    }
  }

  async #load(
    request: AcquireRequest,
    parallel: number,
    memory: Footprint,
    placement: Placement,
  ): Promise<Runner> {
    const { profile, clock, toReal } = this.#options;
    const model = request.model;
    const rate = this.#warm.has(model.digest) ? profile.cacheRead : profile.diskRead;
    const simMs = profile.loadBaseMs + model.spec.size / rate * 1000 +
      (this.#options.extraLoadMs?.() ?? 0);
    this.#loading = { model: model.name, since: clock.now() };
    try {
      await clock.sleep(toReal(simMs), this.#closing.signal);
    } finally {
      this.#loading = undefined;
    }
    if (this.#closed) throw shuttingDown();
    this.#warm.add(model.digest);
    const runner = new Runner(
      model,
      request.settings,
      parallel,
      memory,
      placement,
      speeds(profile, model.spec, placement),
      request.keepAliveMs ?? profile.keepAliveMs,
      clock.now(),
    );
    runner.expiresAt = this.#expiry(runner);
    this.#runners.set(modelKey(model.name)!, runner);
    this.counters.loads++;
    return runner;
  }

  /**
   * The runner to evict, as `findRunnerToUnload` in Ollama's `server/sched.go` picks it: sorted by
   * keep_alive, shortest first (kept forever last), ties by model name; the first idle one, else
   * the first.
   */
  #victim(): Runner {
    const byDuration = [...this.#runners.values()].sort((a, b) =>
      a.keepAliveMs - b.keepAliveMs ||
      (a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0)
    );
    return byDuration.find((r) => r.active === 0) ?? byDuration[0]!;
  }

  async #evict(runner: Runner, why: "room" | "reload"): Promise<void> {
    runner.expiring = true;
    runner.evictedFor ??= why;
    if (runner.active === 0) this.#unload(runner);
    await runner.unloaded.promise;
  }

  #slot(runner: Runner, signal: AbortSignal, loaded: boolean): Promise<Lease> {
    let released = false;
    const lease: Lease = {
      runner,
      loaded,
      release: () => {
        if (released) return;
        released = true;
        this.#release(runner);
      },
    };
    if (runner.active < runner.parallel && runner.waiters.length === 0) {
      this.#take(runner);
      return Promise.resolve(lease);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal.removeEventListener("abort", waiter.onAbort);
          resolve(lease);
        },
        onAbort: () => {
          const i = runner.waiters.indexOf(waiter);
          if (i >= 0) runner.waiters.splice(i, 1);
          reject(canceled());
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      runner.waiters.push(waiter);
    });
  }

  #take(runner: Runner): void {
    runner.active++;
    if (runner.timer !== undefined) {
      clearTimeout(runner.timer);
      runner.timer = undefined;
    }
  }

  #release(runner: Runner): void {
    runner.active--;
    const next = runner.waiters.shift();
    if (next) {
      this.#take(runner);
      next.grant();
    } else if (runner.active === 0) {
      this.#idle(runner);
    }
  }

  #expiry(runner: Runner): number {
    const { clock, toReal } = this.#options;
    return runner.keepAliveMs === FOREVER
      ? clock.now() + FOREVER_MS
      : clock.now() + toReal(runner.keepAliveMs);
  }

  #idle(runner: Runner): void {
    if (runner.expiring || runner.keepAliveMs <= 0) {
      runner.expiresAt = this.#options.clock.now();
      this.#unload(runner);
      return;
    }
    runner.expiresAt = this.#expiry(runner);
    if (runner.keepAliveMs !== FOREVER) this.#arm(runner);
  }

  #arm(runner: Runner): void {
    const wait = runner.expiresAt - this.#options.clock.now();
    runner.timer = setTimeout(() => {
      runner.timer = undefined;
      if (runner.active > 0) return;
      if (runner.expiresAt - this.#options.clock.now() > 0) this.#arm(runner);
      else this.#unload(runner);
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
  }

  #unload(runner: Runner): void {
    if (runner.timer !== undefined) clearTimeout(runner.timer);
    runner.timer = undefined;
    const key = modelKey(runner.model.name)!;
    if (this.#runners.get(key) === runner) {
      this.#runners.delete(key);
      if (runner.evictedFor === "room" && !this.#closed) this.counters.evictions++;
    }
    runner.unloaded.resolve();
  }
}
