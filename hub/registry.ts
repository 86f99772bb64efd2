/**
 * The live registry: every host the hub knows, its health ({@link nextHealth}), its latest
 * snapshot, and the router's view of it. Fed by discovery, the agents' state streams and the polls
 * of plain Ollama servers; read by the router on every request (`routeHosts()` is a cached array,
 * rebuilt only when something changed). Changes are published as {@link RegistryEvent}s for history,
 * alerts and the dashboard.
 *
 * No I/O here: the links (`agent_link.ts`, `ollama_link.ts`) do the talking and report what they
 * heard; `now` is always passed in.
 *
 * @module
 */

import { type AgentSnapshot, OLLAMA_NOT_POLLED } from "../shared/protocol.ts";
import type { HostKind, HostRecord, HostStatus, RouteHost } from "./host.ts";
import { type AdminState, type Health, initialHealth, nextHealth } from "./host_status.ts";
import type { InFlightTable } from "./in_flight.ts";
import type { MemoryBook } from "./memory_model.ts";
import { DEFAULT_LOAD_RATE, reportedInFlight, toRouteHost } from "./route_view.ts";

/** What changed in the registry. */
export type RegistryEvent =
  | { type: "added"; host: HostRecord }
  | { type: "status"; host: HostRecord; from: HostStatus; to: HostStatus; reason: string | null }
  | { type: "reboot"; host: HostRecord; previousBootId: string; bootId: string }
  | { type: "ollama-version"; host: HostRecord; from: string; to: string }
  | { type: "snapshot"; host: HostRecord }
  | { type: "removed"; host: HostRecord };

/** How a host became known. */
export interface HostIdentity {
  id: string;
  name: string;
  kind: HostKind;
  url: string;
  source: HostRecord["source"];
}

interface Entry {
  record: HostRecord;
  health: Health;
  loadRate: number;
}

/** The hub's hosts. */
export class Registry {
  #entries = new Map<string, Entry>();
  #listeners = new Set<(event: RegistryEvent) => void>();
  #routeHosts: RouteHost[] | null = null;
  readonly #inFlight: InFlightTable;

  readonly #memory: MemoryBook | null;

  /**
   * @param inFlight Gets each agent's reported in-flight counts.
   * @param memory Learns each loaded model's memory from every snapshot, for the router.
   */
  constructor(inFlight: InFlightTable, memory: MemoryBook | null = null) {
    this.#inFlight = inFlight;
    this.#memory = memory;
  }

  /** Calls `listener` on every change; returns the function that unsubscribes. */
  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: RegistryEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("corral-hub: registry listener failed:", error);
      }
    }
  }

  /** Adds a host, or updates its name and URL (an agent that moved). Returns its record. */
  add(identity: HostIdentity, now: number): HostRecord {
    const existing = this.#entries.get(identity.id);
    if (existing) {
      const { record } = existing;
      if (record.url !== identity.url || record.name !== identity.name) {
        record.url = identity.url;
        record.name = identity.name;
        this.#refresh(existing);
      }
      return record;
    }
    const health = initialHealth(now);
    const record: HostRecord = {
      ...identity,
      status: health.status,
      since: health.since,
      snapshot: null,
      lastSeen: 0,
      reason: health.reason,
      route: undefined as unknown as RouteHost,
    };
    const entry = { record, health, loadRate: DEFAULT_LOAD_RATE };
    this.#entries.set(identity.id, entry);
    this.#refresh(entry);
    this.#emit({ type: "added", host: record });
    return record;
  }

  /** Forgets a host. */
  remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#inFlight.remove(id);
    this.#routeHosts = null;
    this.#emit({ type: "removed", host: entry.record });
  }

  /** A new snapshot from the host: it is live, and its models and metrics may have changed. */
  observe(id: string, snapshot: AgentSnapshot, now: number): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    const previous = entry.record.snapshot;
    entry.record.snapshot = snapshot;
    entry.record.lastSeen = now;
    this.#inFlight.setReported(id, reportedInFlight(snapshot));
    if (previous && previous.host.bootId && previous.host.bootId !== snapshot.host.bootId) {
      this.#emit({
        type: "reboot",
        host: entry.record,
        previousBootId: previous.host.bootId,
        bootId: snapshot.host.bootId,
      });
    }
    const [from, to] = [previous?.ollama.version, snapshot.ollama.version];
    if (from && to && from !== to) {
      this.#emit({ type: "ollama-version", host: entry.record, from, to });
    }
    if (snapshot.ollama.error === OLLAMA_NOT_POLLED) {
      this.#refresh(entry); // Too early to judge its Ollama: wait for the agent's first poll.
    } else {
      this.#apply(entry, {
        type: "live",
        at: now,
        ollamaReachable: snapshot.ollama.reachable,
        ollamaError: snapshot.ollama.error,
      }, true);
    }
    this.#emit({ type: "snapshot", host: entry.record });
  }

  /** The host is still there (a heartbeat): nothing else changed. */
  heartbeat(id: string, now: number): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.record.lastSeen = now;
    const ollama = entry.record.snapshot?.ollama;
    if (!ollama || ollama.error === OLLAMA_NOT_POLLED) return;
    const reachable = ollama.reachable;
    this.#apply(entry, { type: "live", at: now, ollamaReachable: reachable }, false);
  }

  /** The hub lost the host: its stream closed, went silent, or its poll failed. */
  lost(id: string, reason: string, now: number): void {
    const entry = this.#entries.get(id);
    if (entry) this.#apply(entry, { type: "lost", at: now, reason }, false);
  }

  /** An operator's request: drain, maintenance, or back to normal (`"none"`). */
  setAdmin(id: string, admin: AdminState, now: number): HostRecord | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    const type = admin === "none" ? "resume" : admin === "draining" ? "drain" : "maintenance";
    this.#apply(entry, { type, at: now }, false);
    return entry.record;
  }

  /** Lets time pass: probation ends. Call it every second or so. */
  tick(now: number): void {
    for (const entry of this.#entries.values()) {
      this.#apply(entry, { type: "tick", at: now }, false);
    }
  }

  /** Records a measured load: `bytes` loaded in `ms`; the host's load rate follows (EWMA). */
  recordLoad(id: string, bytes: number, ms: number): void {
    const entry = this.#entries.get(id);
    if (!entry || !(bytes > 0) || !(ms > 0)) return;
    const rate = bytes / (ms / 1000);
    entry.loadRate = entry.loadRate === DEFAULT_LOAD_RATE
      ? rate
      : 0.7 * entry.loadRate + 0.3 * rate;
    this.#refresh(entry);
  }

  #apply(entry: Entry, event: Parameters<typeof nextHealth>[1], changedSnapshot: boolean): void {
    const before = entry.health;
    const after = nextHealth(before, event);
    entry.health = after;
    if (after === before && !changedSnapshot) return;
    const { record } = entry;
    record.status = after.status;
    record.since = after.since;
    record.reason = after.reason;
    this.#refresh(entry);
    if (before.status !== after.status) {
      this.#emit({
        type: "status",
        host: record,
        from: before.status,
        to: after.status,
        reason: after.reason,
      });
    }
  }

  #refresh(entry: Entry): void {
    const { record, health } = entry;
    record.route = toRouteHost({
      id: record.id,
      name: record.name,
      status: health.status,
      ollamaReachable: health.connected && health.ollamaReachable,
      snapshot: record.snapshot,
      loadRate: entry.loadRate,
    });
    this.#routeHosts = null;
    if (this.#memory) {
      const { route } = record;
      for (const [key, loaded] of route.loaded) {
        const disk = route.onDisk.get(key);
        if (!disk) continue;
        this.#memory.observe(
          key,
          loaded.size,
          disk.size,
          disk.shape,
          loaded.contextLength,
          route.slots,
        );
      }
    }
  }

  /** The router's view of every host; the same array until something changes. */
  routeHosts(): readonly RouteHost[] {
    this.#routeHosts ??= [...this.#entries.values()].map((e) => e.record.route);
    return this.#routeHosts;
  }

  /** Every host record, in the order they became known. */
  records(): HostRecord[] {
    return [...this.#entries.values()].map((e) => e.record);
  }

  /** A host by id. */
  get(id: string): HostRecord | undefined {
    return this.#entries.get(id)?.record;
  }

  /** A host by id, or by name (case-insensitive) when no id matches. */
  find(idOrName: string): HostRecord | undefined {
    const byId = this.#entries.get(idOrName);
    if (byId) return byId.record;
    const lower = idOrName.toLowerCase();
    return this.records().find((r) => r.name.toLowerCase() === lower);
  }
}
