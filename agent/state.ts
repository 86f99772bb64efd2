/**
 * The agent's single source of truth about its host: the latest host metrics, GPUs, Ollama report and
 * in-flight counts, assembled into an {@link AgentSnapshot}. Writers (the sampler, the Ollama poller,
 * the proxy) call the setters; readers subscribe and are told of each change.
 *
 * Changes are coalesced: a burst of updates (say, a hundred requests starting at once) becomes one
 * publication a few milliseconds later, serialised once and shared by every subscriber.
 *
 * @module
 */

import {
  type AgentInfo,
  type AgentSnapshot,
  EMPTY_METRICS,
  type GpuReport,
  type HostInfo,
  type HostMetrics,
  OLLAMA_NOT_POLLED,
  type OllamaReport,
  PROTOCOL_VERSION,
} from "../shared/protocol.ts";

/** A published snapshot and its JSON, serialised once for every subscriber. */
export interface Publication {
  snapshot: AgentSnapshot;
  json: string;
}

/** Options for {@link AgentState}. */
export interface AgentStateOptions {
  agent: AgentInfo;
  host: HostInfo;
  /** Ollama's parallel slots, from config. */
  slots: number;
  /** Ollama's `OLLAMA_CONTEXT_LENGTH`, from config; 0 is its choice by VRAM. @default 0 */
  contextLength?: number;
  /** How long to gather changes before publishing. @default 10 */
  coalesceMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Holds the host's state, and tells subscribers when it changes. */
export class AgentState {
  #agent: AgentInfo;
  #host: HostInfo;
  #metrics: HostMetrics = EMPTY_METRICS;
  #gpus: GpuReport = { source: "none", gpus: [], error: null };
  #ollama: OllamaReport;
  #ollamaJson = "";
  #inFlight = new Map<string, number>();
  #seq = 0;
  #current: Publication | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #listeners = new Set<(publication: Publication) => void>();
  #coalesceMs: number;
  #now: () => number;

  /** Creates the state with nothing measured yet. */
  constructor(options: AgentStateOptions) {
    this.#agent = options.agent;
    this.#host = options.host;
    this.#coalesceMs = options.coalesceMs ?? 10;
    this.#now = options.now ?? Date.now;
    this.#ollama = {
      reachable: false,
      version: null,
      error: OLLAMA_NOT_POLLED,
      models: [],
      loaded: [],
      slots: options.slots,
      contextLength: options.contextLength ?? 0,
    };
  }

  /** Records a host sample; every sample is a change (the figures move). */
  setMetrics(metrics: HostMetrics): void {
    this.#metrics = metrics;
    this.#changed();
  }

  /** Records a GPU sample. */
  setGpus(report: GpuReport): void {
    this.#gpus = report;
    this.#changed();
  }

  /** Records what the local Ollama reported; publishes only if something differs. */
  setOllama(polled: Omit<OllamaReport, "slots" | "contextLength">): void {
    const { slots, contextLength } = this.#ollama;
    const report = { ...polled, slots, contextLength };
    const json = JSON.stringify(report);
    if (json === this.#ollamaJson) return;
    this.#ollama = report;
    this.#ollamaJson = json;
    this.#changed();
  }

  /** The last Ollama report. */
  get ollama(): OllamaReport {
    return this.#ollama;
  }

  /** Counts a request to `model` in flight; call the returned function once when it ends. */
  begin(model: string): () => void {
    this.#inFlight.set(model, (this.#inFlight.get(model) ?? 0) + 1);
    this.#changed();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#inFlight.get(model) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(model, left);
      else this.#inFlight.delete(model);
      this.#changed();
    };
  }

  /** Requests in flight, by model. */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.#inFlight);
  }

  /** The latest snapshot, assembling it now if a change is pending. */
  current(): Publication {
    if (this.#current === null) this.#publish(false);
    return this.#current!;
  }

  /** Calls `listener` with each new publication; returns the function that stops it. */
  subscribe(listener: (publication: Publication) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The number of subscribers, for `/metrics`. */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /** Stops the pending publication, if any. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  #changed(): void {
    this.#current = null;
    this.#timer ??= setTimeout(() => this.#publish(true), this.#coalesceMs);
  }

  #publish(notify: boolean): void {
    if (this.#current === null) {
      const snapshot: AgentSnapshot = {
        v: PROTOCOL_VERSION,
        seq: ++this.#seq,
        time: this.#now(),
        agent: this.#agent,
        host: this.#host,
        metrics: this.#metrics,
        gpus: this.#gpus,
        ollama: this.#ollama,
        inFlight: this.inFlight(),
      };
      this.#current = { snapshot, json: JSON.stringify(snapshot) };
    }
    if (!notify) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const listener of this.#listeners) listener(this.#current);
  }
}
