/**
 * Keeps one link open per host and feeds what the links hear into the registry: agents found by
 * discovery or listed statically (an {@link AgentLink} each, keyed by agent id), and plain Ollama
 * servers added by URL (an {@link OllamaLink} each). A statically listed agent's id is learnt from
 * its first snapshot; an announcement for an agent already linked changes nothing unless its
 * address moved.
 *
 * @module
 */

import type { Announce } from "../shared/discovery.ts";
import { httpUrl } from "../shared/http_url.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";
import { type AgentLink, startAgentLink } from "./agent_link.ts";
import { ollamaHostId, type OllamaLink, startOllamaLink } from "./ollama_link.ts";
import type { Registry } from "./registry.ts";

/** Options for {@link Fleet}. */
export interface FleetOptions {
  registry: Registry;
  /** The fleet token for agents, or `null` in insecure mode. */
  token: string | null;
  offlineAfterMs: number;
  log?: (message: string) => void;
  /** @default Date.now */
  now?: () => number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

interface Linked {
  link: AgentLink | OllamaLink;
  source: "discovery" | "static" | "ollama";
}

/** The hub's links to its hosts. */
export class Fleet {
  #options: FleetOptions;
  #byId = new Map<string, Linked>();
  /** Static agents whose id is not known yet, by URL. */
  #pending = new Map<string, AgentLink>();
  #now: () => number;

  /** Creates the fleet; add hosts with the methods below. */
  constructor(options: FleetOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  #agentLink(url: string, onFirst?: (snapshot: AgentSnapshot) => boolean): AgentLink {
    const { registry, token, offlineAfterMs } = this.#options;
    let id: string | null = null;
    return startAgentLink({
      url,
      token,
      offlineAfterMs,
      fetch: this.#options.fetch,
      onSnapshot: (snapshot) => {
        if (id === null) {
          if (onFirst && !onFirst(snapshot)) return;
          id = snapshot.agent.id;
        }
        registry.observe(id, snapshot, this.#now());
      },
      onHeartbeat: () => {
        if (id !== null) registry.heartbeat(id, this.#now());
      },
      onLost: (reason) => {
        if (id !== null) registry.lost(id, reason, this.#now());
        else this.#options.log?.(`cannot reach the agent at ${url}: ${reason}`);
      },
    });
  }

  /** An agent announced itself. */
  announced(announce: Announce, from: { hostname: string }): void {
    const url = httpUrl(from.hostname, announce.port);
    const existing = this.#byId.get(announce.id);
    if (existing && (existing.link.url === url || existing.source !== "discovery")) return;
    existing?.link.stop();
    this.#options.registry.add(
      { id: announce.id, name: announce.name, kind: "agent", url, source: "discovery" },
      this.#now(),
    );
    const link = this.#agentLink(url, (snapshot) => snapshot.agent.id === announce.id);
    this.#byId.set(announce.id, { link, source: "discovery" });
    this.#options.log?.(`found agent "${announce.name}" (${announce.id}) at ${url}`);
  }

  /** An agent listed in the configuration, by URL. */
  addStatic(url: string): void {
    const base = url.replace(/\/+$/, "");
    if (this.#pending.has(base)) return;
    const link = this.#agentLink(base, (snapshot) => {
      const { id, name } = snapshot.agent;
      this.#pending.delete(base);
      const existing = this.#byId.get(id);
      if (existing) existing.link.stop();
      this.#byId.set(id, { link, source: "static" });
      this.#options.registry.add(
        { id, name, kind: "agent", url: base, source: "static" },
        this.#now(),
      );
      return true;
    });
    this.#pending.set(base, link);
  }

  /** A plain Ollama server without an agent. */
  addOllama(
    server: { url: string; name: string | null; slots: number; contextLength?: number },
  ): string {
    const id = ollamaHostId(server.url);
    if (this.#byId.has(id)) return id;
    const name = server.name ?? new URL(server.url).host;
    const { registry } = this.#options;
    registry.add({ id, name, kind: "ollama", url: server.url, source: "ollama" }, this.#now());
    const link = startOllamaLink({
      id,
      name,
      url: server.url,
      slots: server.slots,
      contextLength: server.contextLength ?? 0,
      fetch: this.#options.fetch,
      now: this.#now,
      onSnapshot: (snapshot) => registry.observe(id, snapshot, this.#now()),
      onLost: (reason) => registry.lost(id, reason, this.#now()),
    });
    this.#byId.set(id, { link, source: "ollama" });
    return id;
  }

  /** Asks a plain Ollama's link to poll everything now (after a pull, delete, ...). */
  refresh(id: string): void {
    const linked = this.#byId.get(id);
    if (linked && "refresh" in linked.link) linked.link.refresh();
  }

  /** Closes every link. */
  stop(): void {
    for (const { link } of this.#byId.values()) link.stop();
    for (const link of this.#pending.values()) link.stop();
    this.#byId.clear();
    this.#pending.clear();
  }
}
