/**
 * What the hub knows about one host, in the two shapes it needs: the full {@link HostRecord} kept by
 * the registry (status, last snapshot, history of transitions), and the compact {@link RouteHost}
 * the router reads on every request. The registry rebuilds a host's `RouteHost` only when its
 * snapshot or status changes, so routing never walks snapshots or parses model names.
 *
 * @module
 */

import type { AgentSnapshot, ModelShape } from "../shared/protocol.ts";

/**
 * A host's place in the registry's state machine (`hub/host_status.ts`):
 * - `online`: its state stream (or poll) is live and its Ollama answers;
 * - `degraded`: live but impaired: its Ollama does not answer, or it is on probation after flapping;
 * - `offline`: its stream or heartbeat was lost; it gets no requests until it comes back;
 * - `draining`: an operator asked it to take no new requests (those in flight finish);
 * - `maintenance`: an operator took it out entirely.
 */
export type HostStatus = "online" | "degraded" | "offline" | "draining" | "maintenance";

/** How the hub reaches a host: through its agent, or straight to a plain Ollama (fewer metrics). */
export type HostKind = "agent" | "ollama";

/** A model loaded on a host (or on its disk), as the router sees it. */
export interface RouteModel {
  /** Bytes in memory (`size` in `/api/ps`), or on disk for {@link RouteHost.onDisk}. */
  size: number;
  /** Loaded: the context its runner has (`context_length`), `null` when not reported. */
  contextLength: number | null;
  /** On disk: its attention shape, once the agent has read it. */
  shape: ModelShape | null;
}

/** One host as the router needs it: everything precomputed, nothing to parse. */
export interface RouteHost {
  id: string;
  name: string;
  status: HostStatus;
  /** False when the host's Ollama does not answer: the host gets nothing. */
  ollamaReachable: boolean;
  /** Parallel request slots per loaded model (`OLLAMA_NUM_PARALLEL`). */
  slots: number;
  /** The host's `OLLAMA_CONTEXT_LENGTH`; 0 when Ollama picks by VRAM. */
  contextLength: number;
  /** Models Ollama keeps loaded at once (`OLLAMA_MAX_LOADED_MODELS`' default: 3 per GPU). */
  maxLoaded: number;
  /** Loaded models by model key (`shared/model_name.ts` `modelKey()`). */
  loaded: ReadonlyMap<string, RouteModel>;
  /** Models on disk by model key, with their size on disk. */
  onDisk: ReadonlyMap<string, RouteModel>;
  /** Free GPU memory in bytes, summed over the host's GPUs; for a CPU-only host, available RAM. */
  freeVram: number;
  /** Total GPU memory (or RAM on a CPU-only host), for tie-breaks. */
  totalVram: number;
  /** Measured model load throughput in bytes per second (a default until a load is observed). */
  loadRate: number;
  /** A GPU at or above 90 °C. */
  hot: boolean;
  /** Available memory under 10 %. */
  lowMemory: boolean;
  /** The disk that holds models at or above 90 % used. */
  diskFull: boolean;
}

/** Requests in flight, as the router sees them: the hub's own count or the agent's, whichever is higher. */
export interface InFlight {
  /** Requests for `model` (a model key) now on `hostId`. */
  of(hostId: string, model: string): number;
  /** All requests now on `hostId`. */
  total(hostId: string): number;
  /** How long ago (ms) the hub sent its latest request for `model` to `hostId`; 0 when none runs. */
  youngestAgeMs(hostId: string, model: string): number;
  /**
   * The context of the hub's latest request in flight for `model` on `hostId` (the runner it will
   * run on has, or will be loaded with, that context); `null` when none is in flight.
   */
  contextOf(hostId: string, model: string): number | null;
  /** The models the hub has requests in flight for on `hostId`, with their contexts. */
  models(hostId: string): ReadonlyMap<string, number | null>;
}

/** The full record the registry keeps for a host. */
export interface HostRecord {
  id: string;
  name: string;
  kind: HostKind;
  /** The agent's API (`http://10.0.0.5:11435`) or the plain Ollama's base URL. */
  url: string;
  /** Where the hub learnt of it. */
  source: "discovery" | "static" | "ollama";
  status: HostStatus;
  /** When `status` last changed (ms since the epoch). */
  since: number;
  /** The latest snapshot; for a plain Ollama, one the hub assembles from its polls. */
  snapshot: AgentSnapshot | null;
  /** When the hub last heard anything from the host (snapshot, heartbeat or poll). */
  lastSeen: number;
  /** Why the host is not online, in words, when it is not. */
  reason: string | null;
  /** The router's view, rebuilt on each change. */
  route: RouteHost;
}
