/**
 * The router: picks the host for one request from the registry's in-memory view (DESIGN.md
 * "Routing"). It does no I/O, reads no clock and keeps no state, so the same inputs always give
 * the same answer; the caller's `seq` counter is what turns ties into round-robin.
 *
 * Inference is priced in expected milliseconds until the request starts running, lowest first:
 * 1. `loaded`: the model is loaded (or loading because the hub already sent requests for it) and
 *    has a free slot: 0 ms;
 * 2. `loaded-busy`: loaded but every slot taken: the expected wait for a slot;
 * 3. `on-disk`: the expected load time from the model's size and the host's measured load rate.
 *
 * A busy host must beat a load to win: on equal cost, `loaded` comes before `on-disk`, which comes
 * before `loaded-busy`.
 *
 * Hot, low-memory and degraded hosts pay a penalty in every tier, so a cooler host that must load
 * the model can beat a hot one that has it loaded. Pulls and blob uploads are placed by free VRAM.
 *
 * @module
 */

import type { InFlight, RouteHost } from "./host.ts";

/** What a request needs from a host: to run a model, to store a pulled model, or anything. */
export type RoutePurpose = "inference" | "pull" | "any";

/** Why a host was chosen; the hub sends it as `X-Corral-Route`. */
export type RouteReason = "loaded" | "loaded-busy" | "on-disk" | "pull" | "pinned" | "any";

/** Why no host could be chosen. */
export type RouteFailure = "no-hosts" | "not-found" | "pinned-unavailable";

/** One request, as the router sees it. */
export interface RouteRequest {
  /** The model key (`shared/model_name.ts` `modelKey()`); null only for purpose `any`. */
  model: string | null;
  purpose: RoutePurpose;
  /** Host ids already tried for this request: a retry goes to the next-best host. */
  exclude?: ReadonlySet<string>;
  /** A host id or name chosen by an admin; it overrides every rule but reachability. */
  pinned?: string | null;
  /** A counter the caller increments per request: round-robin among equal hosts. */
  seq: number;
}

/** What the hub has measured, with defaults where it knows nothing yet. */
export interface RouteStats {
  /** Typical duration in ms of one request for `model` (a model key), e.g. an EWMA. */
  expectedRunMs(model: string): number;
}

/** One candidate host and what choosing it means. */
export interface RouteChoice {
  host: RouteHost;
  reason: RouteReason;
  /** Expected ms until the request starts running, penalties included; 0 for pull, any, pinned. */
  costMs: number;
  /** True when the host is loaded-busy: the hub queues the request rather than sending it now. */
  wait: boolean;
}

/**
 * The router's answer: the best choice and every candidate best first, or why there is none. A
 * `not-found` message names the model key; the hub answers 404 with the name as the client sent it.
 */
export type RouteResult =
  | { ok: true; choice: RouteChoice; ranked: RouteChoice[] }
  | { ok: false; failure: RouteFailure; message: string };

/** Fixed cost of loading a model from disk, in ms, before its bytes are counted. */
export const LOAD_BASE_MS = 1000;
/** Bytes of free VRAM a model needs, as a multiple of its size on disk (KV cache, graph). */
export const VRAM_HEADROOM = 1.2;
/** Added when a model does not fit in free VRAM, so Ollama must first evict another. */
export const EVICTION_PENALTY_MS = 2000;
/** Added to a load on a host already serving requests: Ollama loads one model at a time. */
export const BUSY_LOAD_PENALTY_MS = 250;
/** Added in every tier for a host with a GPU at or above 90 °C. */
export const HOT_PENALTY_MS = 5000;
/** Added in every tier for a host with under 10 % of its memory available. */
export const LOW_MEMORY_PENALTY_MS = 3000;
/** Added in every tier for a host whose status is `degraded`. */
export const DEGRADED_PENALTY_MS = 2000;
/** Hosts whose free VRAM differs by at most this many bytes are equal for pulls (1 GiB). */
export const PULL_VRAM_TIE_BYTES = 1024 ** 3;
/** The run time used when {@link RouteStats.expectedRunMs} returns no usable number. */
export const DEFAULT_EXPECTED_RUN_MS = 10_000;
/** The load rate, in bytes per second, used when a host reports none (1 GiB/s). */
export const FALLBACK_LOAD_RATE = 1024 ** 3;

/** A choice with the keys it is sorted by. */
interface Candidate {
  choice: RouteChoice;
  /** Tier: inference 0 loaded, 1 on-disk, 2 loaded-busy; placement 0 on-disk, 1 elsewhere. */
  tier: number;
  /** Inference: free slots for the model. Placement: 1 when the disk is full. */
  free: number;
  /** Requests in flight on the host, all models. */
  total: number;
  /** The host's position in the input, the last tie-break before round-robin. */
  order: number;
}

/**
 * Picks the host for a request, and ranks every other candidate behind it for retries.
 *
 * @param hosts Every host the registry knows, in a stable order.
 * @param inFlight Requests now in flight, per host and model.
 * @param request The request: model key, purpose, hosts to skip, pin and round-robin counter.
 * @param stats Measured run times.
 * @returns The choice and the ranking, or a failure with a message for the client.
 * @throws {TypeError} When an inference or pull request has no model.
 * @example
 * ```ts
 * const result = route(hosts, inFlight, { model: modelKey("qwen3")!, purpose: "inference", seq: n++ }, stats);
 * if (result.ok) send(result.choice.host);
 * ```
 */
export function route(
  hosts: readonly RouteHost[],
  inFlight: InFlight,
  request: RouteRequest,
  stats: RouteStats,
): RouteResult {
  const { model, purpose, exclude, pinned, seq } = request;
  if (pinned !== undefined && pinned !== null) return routePinned(hosts, pinned, exclude);
  if (model === null && purpose !== "any") {
    throw new TypeError(`Cannot route a "${purpose}" request: 'model' is null`);
  }
  const eligible: number[] = [];
  for (let i = 0; i < hosts.length; i++) {
    if (isEligible(hosts[i]!, exclude)) eligible.push(i);
  }
  if (eligible.length === 0) {
    return { ok: false, failure: "no-hosts", message: noHostsMessage(hosts, exclude) };
  }
  let candidates: Candidate[];
  if (purpose === "inference") {
    candidates = inferenceCandidates(hosts, eligible, inFlight, model!, stats);
    if (candidates.length === 0) {
      // Ollama's own words (server/routes.go): the hub answers 404 with this body.
      return { ok: false, failure: "not-found", message: `model '${model}' not found` };
    }
    candidates.sort(compareInference);
    rotateTies(candidates, sameInference, seq);
  } else if (purpose === "pull" || purpose === "any") {
    candidates = placementCandidates(hosts, eligible, inFlight, purpose === "pull" ? model : null);
    candidates.sort(comparePlacement);
    rotateTies(candidates, samePlacement, seq);
  } else {
    throw new TypeError(`Cannot route a request: unknown purpose "${purpose}"`);
  }
  const ranked = new Array<RouteChoice>(candidates.length);
  for (let i = 0; i < candidates.length; i++) ranked[i] = candidates[i]!.choice;
  return { ok: true, choice: ranked[0]!, ranked };
}

/** Whether a host takes requests at all: online or degraded, with an Ollama that answers. */
export function takesRequests(host: RouteHost): boolean {
  return (host.status === "online" || host.status === "degraded") && host.ollamaReachable;
}

function isEligible(host: RouteHost, exclude: ReadonlySet<string> | undefined): boolean {
  return takesRequests(host) && !(exclude !== undefined && exclude.has(host.id));
}

/** The penalties every inference tier pays on this host. */
function penaltyMs(host: RouteHost): number {
  let ms = 0;
  if (host.hot) ms += HOT_PENALTY_MS;
  if (host.lowMemory) ms += LOW_MEMORY_PENALTY_MS;
  if (host.status === "degraded") ms += DEGRADED_PENALTY_MS;
  return ms;
}

function inferenceCandidates(
  hosts: readonly RouteHost[],
  eligible: readonly number[],
  inFlight: InFlight,
  model: string,
  stats: RouteStats,
): Candidate[] {
  const candidates: Candidate[] = [];
  let runMs = -1; // asked for once, and only when a host is busy
  for (const i of eligible) {
    const host = hosts[i]!;
    const mine = inFlight.of(host.id, model);
    const slots = host.slots >= 1 ? host.slots : 1;
    let reason: RouteReason;
    let tier: number;
    let costMs = penaltyMs(host);
    if (mine > 0 || host.loaded.has(model)) {
      if (mine < slots) {
        reason = "loaded";
        tier = 0;
      } else {
        if (runMs < 0) {
          const measured = stats.expectedRunMs(model);
          runMs = Number.isFinite(measured) && measured >= 0 ? measured : DEFAULT_EXPECTED_RUN_MS;
        }
        reason = "loaded-busy";
        tier = 2;
        // The first slot frees when a running request ends: the rest of a typical run, or, for a
        // request already running longer than typical, about as long again as it has run.
        const age = inFlight.youngestAgeMs(host.id, model);
        const firstFree = age > 0 ? Math.max(runMs - age, age) : runMs;
        costMs += firstFree + runMs * (Math.ceil((mine - slots + 1) / slots) - 1);
      }
    } else {
      const onDisk = host.onDisk.get(model);
      if (onDisk === undefined) continue;
      reason = "on-disk";
      tier = 1;
      const rate = host.loadRate > 0 ? host.loadRate : FALLBACK_LOAD_RATE;
      costMs += LOAD_BASE_MS + onDisk.size / rate * 1000;
      if (onDisk.size * VRAM_HEADROOM > host.freeVram) costMs += EVICTION_PENALTY_MS;
    }
    const total = inFlight.total(host.id);
    if (tier === 1 && total > 0) costMs += BUSY_LOAD_PENALTY_MS;
    candidates.push({
      choice: { host, reason, costMs, wait: tier === 2 },
      tier,
      free: slots - mine,
      total,
      order: i,
    });
  }
  return candidates;
}

/**
 * Lowest cost; then loaded, on-disk, loaded-busy (a busy host must beat a load, not tie with it);
 * then more free slots; then fewer requests in flight.
 */
function compareInference(a: Candidate, b: Candidate): number {
  return a.choice.costMs - b.choice.costMs || a.tier - b.tier || b.free - a.free ||
    a.total - b.total || a.order - b.order;
}

function sameInference(a: Candidate, b: Candidate): boolean {
  return a.choice.costMs === b.choice.costMs && a.tier === b.tier && a.free === b.free &&
    a.total === b.total;
}

/** Pull and any: hosts that have the model first (pull updates it there), then by free VRAM. */
function placementCandidates(
  hosts: readonly RouteHost[],
  eligible: readonly number[],
  inFlight: InFlight,
  model: string | null,
): Candidate[] {
  const candidates: Candidate[] = [];
  for (const i of eligible) {
    const host = hosts[i]!;
    const has = model !== null && (host.onDisk.has(model) || host.loaded.has(model));
    const reason: RouteReason = has ? "on-disk" : model === null ? "any" : "pull";
    candidates.push({
      choice: { host, reason, costMs: 0, wait: false },
      tier: has ? 0 : 1,
      free: host.diskFull ? 1 : 0,
      total: inFlight.total(host.id),
      order: i,
    });
  }
  return candidates;
}

/** On-disk first; then disks with room; then the most free VRAM. */
function comparePlacement(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || a.free - b.free || b.choice.host.freeVram - a.choice.host.freeVram ||
    a.order - b.order;
}

/** `b` sorts after `leader` and is within {@link PULL_VRAM_TIE_BYTES} of it. */
function samePlacement(leader: Candidate, b: Candidate): boolean {
  return leader.tier === b.tier && leader.free === b.free &&
    leader.choice.host.freeVram - b.choice.host.freeVram <= PULL_VRAM_TIE_BYTES;
}

/**
 * Rotates each run of equal candidates (equal to the run's first) by `seq`, so that successive
 * requests start at successive hosts of the run.
 */
function rotateTies(
  sorted: Candidate[],
  same: (leader: Candidate, other: Candidate) => boolean,
  seq: number,
): void {
  let start = 0;
  while (start < sorted.length) {
    const leader = sorted[start]!;
    let end = start + 1;
    while (end < sorted.length && same(leader, sorted[end]!)) end++;
    const size = end - start;
    const shift = size > 1 ? ((Math.trunc(seq) % size) + size) % size : 0;
    if (shift > 0) {
      const run = sorted.slice(start, end);
      for (let k = 0; k < size; k++) sorted[start + k] = run[(k + shift) % size]!;
    }
    start = end;
  }
}

function routePinned(
  hosts: readonly RouteHost[],
  pinned: string,
  exclude: ReadonlySet<string> | undefined,
): RouteResult {
  let host = hosts.find((h) => h.id === pinned);
  if (host === undefined) {
    const lower = pinned.toLowerCase();
    host = hosts.find((h) => h.name.toLowerCase() === lower);
  }
  if (host === undefined) {
    return { ok: false, failure: "pinned-unavailable", message: `No host named "${pinned}"` };
  }
  let why: string | null = null;
  if (host.status === "offline") why = "it is offline";
  else if (!host.ollamaReachable) why = `its Ollama does not answer (status ${host.status})`;
  else if (exclude !== undefined && exclude.has(host.id)) why = "it was already tried";
  if (why !== null) {
    return {
      ok: false,
      failure: "pinned-unavailable",
      message: `Cannot use pinned host "${host.name}": ${why}`,
    };
  }
  // Draining and maintenance hosts stay usable here: pinning is how an admin reaches them.
  const choice: RouteChoice = { host, reason: "pinned", costMs: 0, wait: false };
  return { ok: true, choice, ranked: [choice] };
}

function noHostsMessage(hosts: readonly RouteHost[], exclude: ReadonlySet<string> | undefined) {
  if (hosts.length === 0) return "No host can take requests: none is known";
  const counts = new Map<string, number>();
  for (const host of hosts) {
    const why = host.status !== "online" && host.status !== "degraded"
      ? host.status
      : !host.ollamaReachable
      ? "Ollama not answering"
      : exclude?.has(host.id)
      ? "already tried"
      : "eligible"; // not reached: route() calls this only when no host is eligible
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const parts = [...counts].map(([why, n]) => `${n} ${why}`).join(", ");
  return `No host can take requests: ${hosts.length} known (${parts})`;
}
