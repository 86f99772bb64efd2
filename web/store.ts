/**
 * The fleet as the live stream tells it, as signals shaped for a big fleet: the list of host ids is
 * one signal and each host is its own, so a `host` event re-renders that host's card and nothing
 * else; sparklines are a signal per host too. Pulls are kept by id, and the loads this dashboard
 * started are remembered until the host's snapshot shows the model loaded.
 *
 * @module
 */

import { batch, computed, type ReadonlySignal, type Signal, signal } from "@preact/signals";
import type { HostView, PullJob, SparkPoint } from "../shared/dashboard.ts";
import type { LiveEvent } from "./event_queue.ts";
import { appendSpark, fleetTotals, sortHosts, trimSpark } from "./fleet_model.ts";
import { cellKey, isLoaded, splitCellKey } from "./matrix.ts";

/** The fleet's state and the one way to change it, {@link FleetStore.apply}. */
export class FleetStore {
  /** The hub that sends the stream; `null` before the first `fleet` event. */
  readonly hub = signal<{ name: string; version: string } | null>(null);
  /** Whether a `fleet` event has arrived since the store was created or cleared. */
  readonly ready = signal(false);
  /** Host ids in the order the hub listed them; changes only when hosts come or go. */
  readonly hostIds = signal<readonly string[]>([]);
  /** Requests waiting in the fleet queue. */
  readonly queued = signal(0);
  /** Pulls by id. */
  readonly pulls = signal<ReadonlyMap<string, PullJob>>(new Map());
  /** Loads started from this dashboard and not yet seen loaded, by {@link cellKey}. */
  readonly loading = signal<ReadonlySet<string>>(new Set());

  readonly #hosts = new Map<string, Signal<HostView>>();
  readonly #sparks = new Map<string, Signal<readonly SparkPoint[]>>();
  /** The hub's clock minus ours, from the last `fleet` event. */
  #skew = 0;

  /** Every host now; reading it subscribes to every host (for totals and ordering). */
  readonly hosts: ReadonlySignal<HostView[]> = computed(() =>
    this.hostIds.value.map((id) => this.#hosts.get(id)!.value)
  );

  /** Host ids in display order, hosts that need attention first; a new array only on change. */
  readonly order: ReadonlySignal<readonly string[]> = (() => {
    let last: readonly string[] = [];
    return computed(() => {
      const next = sortHosts(this.hosts.value).map((h) => h.id);
      if (next.length === last.length && next.every((id, i) => id === last[i])) return last;
      return last = next;
    });
  })();

  /** The fleet's totals. */
  readonly totals = computed(() => fleetTotals(this.hosts.value));

  /** One host's signal, or `undefined` for an id the fleet does not have. */
  host(id: string): ReadonlySignal<HostView> | undefined {
    return this.#hosts.get(id);
  }

  /** One host's sparkline points (empty for an unknown host). */
  spark(id: string): ReadonlySignal<readonly SparkPoint[]> {
    return this.#spark(id);
  }

  #spark(id: string): Signal<readonly SparkPoint[]> {
    let points = this.#sparks.get(id);
    if (!points) this.#sparks.set(id, points = signal([]));
    return points;
  }

  /** The hub's clock now, by ours and the offset seen in the last `fleet` event. */
  now(): number {
    return Date.now() + this.#skew;
  }

  /** Applies events in order, as one change. */
  apply(events: readonly LiveEvent[]): void {
    batch(() => {
      for (const event of events) this.#applyOne(event);
    });
  }

  /** Forgets everything (at logout). */
  clear(): void {
    batch(() => {
      this.hub.value = null;
      this.ready.value = false;
      this.hostIds.value = [];
      this.queued.value = 0;
      this.pulls.value = new Map();
      this.loading.value = new Set();
      this.#hosts.clear();
      this.#sparks.clear();
    });
  }

  /** Marks a load of `model` on `hostId` as started here. */
  startLoading(hostId: string, model: string): void {
    const next = new Set(this.loading.value);
    next.add(cellKey(hostId, model));
    this.loading.value = next;
  }

  /** Forgets a load (it failed, or took too long to show up). */
  endLoading(hostId: string, model: string): void {
    const key = cellKey(hostId, model);
    if (!this.loading.value.has(key)) return;
    const next = new Set(this.loading.value);
    next.delete(key);
    this.loading.value = next;
  }

  /** Whether a load of `model` on `hostId` started here is still waiting to show up. */
  isLoading(hostId: string, model: string): boolean {
    return this.loading.value.has(cellKey(hostId, model));
  }

  #applyOne(event: LiveEvent): void {
    switch (event.name) {
      case "fleet": {
        const state = event.data;
        this.#skew = state.time - Date.now();
        this.hub.value = state.hub;
        this.queued.value = state.queued;
        this.pulls.value = new Map(state.pulls.map((p) => [p.id, p]));
        const ids = state.hosts.map((h) => h.id);
        for (const id of [...this.#hosts.keys()]) {
          if (!ids.includes(id)) {
            this.#hosts.delete(id);
            this.#sparks.delete(id);
          }
        }
        for (const host of state.hosts) this.#putHost(host);
        for (const [id, points] of Object.entries(state.sparks)) {
          this.#spark(id).value = trimSpark([...points].sort((a, b) => a.t - b.t));
        }
        this.#setIds(ids);
        this.ready.value = true;
        break;
      }
      case "host":
        this.#putHost(event.data);
        if (!this.hostIds.value.includes(event.data.id)) {
          this.#setIds([...this.hostIds.value, event.data.id]);
        }
        break;
      case "host-removed": {
        const { id } = event.data;
        if (!this.#hosts.has(id)) break;
        this.#setIds(this.hostIds.value.filter((h) => h !== id));
        this.#hosts.delete(id);
        this.#sparks.delete(id);
        break;
      }
      case "spark": {
        const points = this.#spark(event.data.id);
        points.value = appendSpark(points.value, event.data.point);
        break;
      }
      case "pull": {
        const next = new Map(this.pulls.value);
        next.set(event.data.id, event.data);
        this.pulls.value = next;
        break;
      }
      case "queue":
        this.queued.value = event.data.queued;
        break;
    }
  }

  #putHost(host: HostView): void {
    const existing = this.#hosts.get(host.id);
    if (existing) existing.value = host;
    else this.#hosts.set(host.id, signal(host));
    this.#settleLoads(host);
  }

  #setIds(ids: string[]): void {
    const old = this.hostIds.value;
    if (ids.length !== old.length || ids.some((id, i) => id !== old[i])) this.hostIds.value = ids;
  }

  /** Ends the loads of models that `host` now has loaded. */
  #settleLoads(host: HostView): void {
    const done = [...this.loading.value].filter((key) => {
      const { hostId, model } = splitCellKey(key);
      return hostId === host.id && isLoaded(host, model);
    });
    if (done.length === 0) return;
    const next = new Set(this.loading.value);
    for (const key of done) next.delete(key);
    this.loading.value = next;
  }
}

/** The dashboard's one store, fed by `live.ts`. */
export const fleet: FleetStore = new FleetStore();
