/**
 * The router: picks the host for one request from the registry's in-memory view (DESIGN.md
 * "Routing"). It does no I/O, reads no clock and keeps no state, so the same inputs always give
 * the same answer; the caller's `seq` counter is what turns ties into round-robin.
 *
 * Inference is priced in expected milliseconds until the request starts running, lowest first:
 * 1. `loaded`: a runner of the model with the request's context is loaded (or being loaded by
 *    the hub's own requests) and has a free slot: 0 ms;
 * 2. `loaded-busy`: such a runner, every slot taken: the expected wait for a slot, from the
 *    measured run time of the model on that host;
 * 3. `on-disk` (or `reload`, when a runner with another context must go first): the expected load
 *    time, plus what the load evicts. Memory is predicted as Ollama sizes it (`memory_model.ts`:
 *    the context Ollama will give the request on that host, times its slots), and the victims are
 *    the ones Ollama's scheduler would pick ({@link planLoad}); each costs its recent demand times
 *    its reload. A load that can only make room by unloading a model in use is a last resort.
 *
 * A model gets another copy only when its sustained demand (arrivals per second × run time) exceeds
 * the slots of its loaded copies; until then, queueing behind a busy copy beats loading one, so a
 * brief burst does not start a cascade of loads and evictions across the fleet.
 *
 * A busy host must beat a load to win: on equal cost, `loaded` comes before `on-disk`, which comes
 * before `loaded-busy`; among free runners, the host where the model has run fastest comes first. Hot, low-memory and degraded hosts pay a penalty in every tier, so a cooler
 * host that must load the model can beat a hot one that has it loaded. Pulls and blob uploads are
 * placed by free VRAM.
 *
 * @module
 */

import type { ModelShape } from "../shared/protocol.ts";
import type { InFlight, RouteHost, RouteModel } from "./host.ts";
import { effectiveContext, footprint, slotsFor } from "./memory_model.ts";

/** What a request needs from a host: to run a model, to store a pulled model, or anything. */
export type RoutePurpose = "inference" | "pull" | "any";

/** Why a host was chosen; the hub sends it as `X-Corral-Route`. */
export type RouteReason =
  | "loaded"
  | "loaded-busy"
  | "on-disk"
  | "reload"
  | "pull"
  | "pinned"
  | "any";

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
  /**
   * The `num_ctx` the request sets (after the fleet policy); `null` or absent: none, so each host
   * gives it its own default context.
   */
  numCtx?: number | null;
  /**
   * A request that sets `num_ctx` may run on a loaded runner with a larger context (the hub then
   * sends it that context), rather than make Ollama load one with exactly its own. @default false
   */
  shareLarger?: boolean;
}

/** What the hub has measured, with defaults where it knows nothing yet. */
export interface RouteStats {
  /**
   * Typical duration in ms of one request for `model` (a model key), e.g. an EWMA; on `hostId`
   * when given and measured there.
   */
  expectedRunMs(model: string, hostId?: string): number;
  /**
   * Recent requests per second for `model`, sustained (averaged over tens of seconds): those
   * asking for context `numCtx` (`null`: those setting none), or all of them when `undefined`.
   */
  arrivalRate(model: string, numCtx: number | null | undefined): number;
  /** Bytes a loaded `model` takes beyond weights and KV cache, once seen loaded (memory_model.ts). */
  overhead(model: string): number | undefined;
}

/** One candidate host and what choosing it means. */
export interface RouteChoice {
  host: RouteHost;
  reason: RouteReason;
  /** Expected ms until the request starts running, penalties included; 0 for pull, any, pinned. */
  costMs: number;
  /** True when the host is loaded-busy: the hub queues the request rather than sending it now. */
  wait: boolean;
  /** Inference: the context the request's runner has (or will be loaded with) on this host. */
  context?: number;
  /** Inference: that context is a loaded runner's, larger than the request's own `num_ctx`. */
  shared?: boolean;
  /** Inference that loads the model: what the load takes and evicts. */
  load?: LoadPlan | null;
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
/**
 * Added to a load that can only make room by unloading a model with requests in flight: Ollama
 * then waits for them, the host loads nothing else meanwhile, and their next requests reload it.
 * Large enough that it is chosen only when nothing else can serve.
 */
export const IN_USE_EVICTION_MS = 120_000;
/** Added to a load that does not fit even alone, so that Ollama splits it with system memory. */
export const SPILL_PENALTY_MS = 10_000;
/**
 * Added to loading another copy of a model while its loaded copies' slots cover its sustained
 * demand: queueing behind them is then cheaper for the fleet than loading (and evicting) again.
 */
export const REPLICA_HOLD_MS = 60_000;
/** A model's demand, in busy slots, must exceed this share of its loaded slots for another copy. */
export const REPLICA_DEMAND = 0.85;
/**
 * Hysteresis: a copy of a model is cheap to evict only while its other copies could serve this
 * many times its demand (more than the demand that justified loading it).
 */
export const REPLICA_KEEP_MARGIN = 1.5;
/** How far ahead an eviction's cost looks: the evicted model's requests in this many seconds. */
export const EVICTION_HORIZON_S = 60;
/** The most reloads an eviction is charged, however popular the evicted model. */
export const EVICTION_MAX_WEIGHT = 3;
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
  /**
   * Tier: inference 0 loaded (0.5 on a larger context), 1 on-disk, 1.5 reload, 2 loaded-busy;
   * placement 0 on-disk, 1 elsewhere.
   */
  tier: number;
  /**
   * Inference: how fast the model runs on the host, as a step of 25 % in its measured run time
   * (lower is faster; 0 for hosts not compared on speed). Placement: 0.
   */
  speed: number;
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
 * @param request The request: model key, purpose, its `num_ctx`, hosts to skip, pin and
 *   round-robin counter.
 * @param stats Measured run times, sustained demand and models' memory overheads.
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
    candidates = inferenceCandidates(
      hosts,
      eligible,
      inFlight,
      model!,
      request.numCtx ?? null,
      request.shareLarger ?? false,
      stats,
    );
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

/** One eligible host that has the model, before it is priced. */
interface ModelOnHost {
  order: number;
  host: RouteHost;
  disk: RouteModel | undefined;
  loaded: RouteModel | undefined;
  /** Requests in flight for the model on the host. */
  mine: number;
  shape: ModelShape | null;
  /** The context a runner for this request has on this host. */
  context: number;
  slots: number;
  /** A runner for the model is loaded (or being loaded by the hub's requests). */
  present: boolean;
  /** ... with the request's context (or a larger one it may share), so Ollama will not reload it. */
  compatible: boolean;
  /** The runner is compatible only because the request may share its larger context. */
  shared: boolean;
}

function modelOnHost(
  host: RouteHost,
  order: number,
  inFlight: InFlight,
  model: string,
  numCtx: number | null,
  shareLarger: boolean,
): ModelOnHost | null {
  const disk = host.onDisk.get(model);
  const loaded = host.loaded.get(model);
  const mine = inFlight.of(host.id, model);
  if (disk === undefined && loaded === undefined && mine === 0) return null;
  const shape = disk?.shape ?? null;
  const context = effectiveContext(numCtx, host.totalVram, host.contextLength, shape);
  const own = mine > 0 ? inFlight.contextOf(host.id, model) : null;
  const runnerContext = own ?? loaded?.contextLength ?? null;
  const present = loaded !== undefined || mine > 0;
  const exact = present && (runnerContext === null || runnerContext === context);
  const shared = present && !exact && shareLarger && numCtx !== null && runnerContext! > context;
  return {
    order,
    host,
    disk,
    loaded,
    mine,
    shape,
    context: shared ? runnerContext! : context,
    slots: slotsFor(shape, host.slots),
    present,
    compatible: exact || shared,
    shared,
  };
}

/** What loading a model on a host means: what Ollama will evict first, and at what cost. */
export interface LoadPlan {
  /** Predicted bytes the loaded model will take. */
  bytes: number;
  /** Models Ollama will unload to make room, in its order (keys). */
  evicts: string[];
  /** Expected ms that the evictions cost the fleet later: their demand times their reload. */
  evictionCostMs: number;
  /** Room can only be made by unloading a model with requests in flight: Ollama waits for them. */
  blocked: boolean;
  /** It does not fit even alone: Ollama splits it between VRAM and RAM (slow). */
  spills: boolean;
}

/** Loaded copies of each model across the fleet, counted once per decision when needed. */
type Copies = Map<string, number>;

function countCopies(hosts: readonly RouteHost[]): Copies {
  const copies: Copies = new Map();
  for (const host of hosts) {
    if (!takesRequests(host)) continue;
    for (const key of host.loaded.keys()) copies.set(key, (copies.get(key) ?? 0) + 1);
  }
  return copies;
}

/** Expected ms to load `bytes` on `host`. */
function loadMs(host: RouteHost, bytes: number): number {
  const rate = host.loadRate > 0 ? host.loadRate : FALLBACK_LOAD_RATE;
  return LOAD_BASE_MS + bytes / rate * 1000;
}

/**
 * Predicts a load the way Ollama's scheduler makes room (`server/sched.go`): while the model does
 * not fit in free VRAM, or `OLLAMA_MAX_LOADED_MODELS` are loaded, it unloads the first idle runner
 * in keep_alive order, and when none is idle it waits for a busy one. A runner of the same model
 * with another context is unloaded first. The hub sees no runner's keep_alive (the fleet policy
 * makes them equal) and Ollama breaks ties by the model's blob path, which the hub does not see
 * either, so ties go by name here: which idle model goes may differ, how much room is made not.
 */
export function planLoad(
  host: RouteHost,
  model: string,
  numCtx: number | null,
  bytes: number,
  inFlight: InFlight,
  stats: RouteStats,
  copiesOf: () => Copies,
): LoadPlan {
  const plan: LoadPlan = { bytes, evicts: [], evictionCostMs: 0, blocked: false, spills: false };
  let free = host.freeVram;
  let count = host.loaded.size;
  // Loads the hub has sent that the agent does not report yet will take their room first.
  for (const [other, context] of inFlight.models(host.id)) {
    if (other === model || host.loaded.has(other)) continue;
    const disk = host.onDisk.get(other);
    if (disk === undefined) continue;
    const ctx = context ?? effectiveContext(null, host.totalVram, host.contextLength, disk.shape);
    const slots = slotsFor(disk.shape, host.slots);
    free -= footprint(disk.size, disk.shape, ctx, slots, stats.overhead(other)).total;
    count++;
  }
  const fits = () => bytes <= free && count < host.maxLoaded;
  const evict = (key: string, entry: RouteModel) => {
    free += entry.size;
    count--;
    plan.evicts.push(key);
    plan.evictionCostMs += evictionCostMs(host, key, entry, stats, copiesOf);
  };
  const same = host.loaded.get(model);
  if (same !== undefined) {
    // A reload: Ollama unloads the old runner once its requests finish; what it served (the
    // model's demand in other contexts) then needs a load of its own.
    if (inFlight.of(host.id, model) > 0) plan.blocked = true;
    free += same.size;
    count--;
    const others = Math.max(
      0,
      stats.arrivalRate(model, undefined) - stats.arrivalRate(model, numCtx),
    );
    plan.evictionCostMs += Math.min(EVICTION_MAX_WEIGHT, others * EVICTION_HORIZON_S) *
      loadMs(host, host.onDisk.get(model)?.size ?? same.size);
  }
  if (fits()) return plan;
  let busy = 0;
  for (const key of sortedLoaded(host)) {
    if (key === model) continue;
    if (inFlight.of(host.id, key) > 0) {
      busy++;
      continue;
    }
    evict(key, host.loaded.get(key)!);
    if (fits()) return plan;
  }
  if (busy > 0) plan.blocked = true;
  else if (bytes > free) plan.spills = true;
  return plan;
}

const sortedKeys = new WeakMap<RouteHost, string[]>();

/** The host's loaded models in name order (cached per view: views are rebuilt on change). */
function sortedLoaded(host: RouteHost): string[] {
  let keys = sortedKeys.get(host);
  if (keys === undefined) {
    keys = [...host.loaded.keys()].sort();
    sortedKeys.set(host, keys);
  }
  return keys;
}

/**
 * What unloading `key` from `host` costs later: its recent requests per second over
 * {@link EVICTION_HORIZON_S} (at most {@link EVICTION_MAX_WEIGHT} reloads' worth) times a reload on
 * this host. A quarter of that when its other loaded copies would still have room to spare: their
 * slots cover its demand by {@link REPLICA_KEEP_MARGIN} over what justified a copy, so that a copy
 * added for demand is not evicted (and loaded again) while the demand lasts.
 */
function evictionCostMs(
  host: RouteHost,
  key: string,
  entry: RouteModel,
  stats: RouteStats,
  copiesOf: () => Copies,
): number {
  const rate = stats.arrivalRate(key, undefined);
  if (!(rate > 0)) return 0;
  const weight = Math.min(EVICTION_MAX_WEIGHT, rate * EVICTION_HORIZON_S);
  const others = (copiesOf().get(key) ?? 1) - 1;
  const busySlots = rate * validRunMs(stats.expectedRunMs(key)) / 1000;
  const spare = others > 0 &&
    busySlots * REPLICA_KEEP_MARGIN <= others * host.slots * REPLICA_DEMAND;
  const bytes = host.onDisk.get(key)?.size ?? entry.size;
  return weight * loadMs(host, bytes) * (spare ? 0.25 : 1);
}

function inferenceCandidates(
  hosts: readonly RouteHost[],
  eligible: readonly number[],
  inFlight: InFlight,
  model: string,
  numCtx: number | null,
  shareLarger: boolean,
  stats: RouteStats,
): Candidate[] {
  const views: ModelOnHost[] = [];
  let capacity = 0;
  for (const i of eligible) {
    const view = modelOnHost(hosts[i]!, i, inFlight, model, numCtx, shareLarger);
    if (view === null) continue;
    // Copies on hot, short-of-memory or degraded hosts do not count: a cool copy is worth loading.
    if (view.compatible && penaltyMs(view.host) === 0) capacity += view.slots;
    views.push(view);
  }
  let copies: Copies | null = null;
  const copiesOf = () => copies ??= countCopies(hosts);
  // Another copy only for sustained demand beyond the loaded slots (Little's law: arrivals per
  // second times seconds per request is the slots kept busy), not because one is busy right now.
  const busySlots = capacity > 0
    ? stats.arrivalRate(model, numCtx) * validRunMs(stats.expectedRunMs(model)) / 1000
    : 0;
  const replicaWanted = capacity === 0 || busySlots > capacity * REPLICA_DEMAND;
  const candidates: Candidate[] = [];
  for (const view of views) {
    const { host, mine, slots } = view;
    const total = inFlight.total(host.id);
    let costMs = penaltyMs(host);
    let reason: RouteReason;
    let tier: number;
    let plan: LoadPlan | null = null;
    if (view.compatible) {
      if (mine < slots) {
        reason = "loaded";
        // On equal cost, a runner with exactly the request's context beats a larger one.
        tier = view.shared ? 0.5 : 0;
      } else {
        reason = "loaded-busy";
        tier = 2;
        const runMs = validRunMs(stats.expectedRunMs(model, host.id));
        // The first slot frees when a running request ends: the rest of a typical run, or, for a
        // request already running longer than typical, about as long again as it has run.
        const age = inFlight.youngestAgeMs(host.id, model);
        const firstFree = age > 0 ? Math.max(runMs - age, age) : runMs;
        costMs += firstFree + runMs * (Math.ceil((mine - slots + 1) / slots) - 1);
      }
    } else {
      // The weights: on disk, or, when the disk list lags, the loaded runner's size. A model the
      // hub only has requests in flight for is known nowhere on the host: nothing to load from.
      const weights = view.disk?.size ?? view.loaded?.size;
      if (weights === undefined) continue;
      const bytes =
        footprint(weights, view.shape, view.context, slots, stats.overhead(model)).total;
      plan = planLoad(host, model, numCtx, bytes, inFlight, stats, copiesOf);
      reason = view.present ? "reload" : "on-disk";
      // On equal cost, a load that leaves a runner alone beats one that replaces it.
      tier = view.present ? 1.5 : 1;
      costMs += loadMs(host, weights) + plan.evictionCostMs;
      if (total > 0) costMs += BUSY_LOAD_PENALTY_MS;
      if (plan.blocked) costMs += IN_USE_EVICTION_MS;
      if (plan.spills) costMs += SPILL_PENALTY_MS;
      if (!replicaWanted) costMs += REPLICA_HOLD_MS;
    }
    candidates.push({
      choice: {
        host,
        reason,
        costMs,
        // A load that must first unload a runner in use waits in the fleet queue, as a busy host
        // does, rather than in Ollama's: it is routed again once capacity frees.
        wait: tier === 2 || plan?.blocked === true,
        context: view.context,
        shared: view.shared,
        load: plan,
      },
      tier,
      // Among free runners, the host where the model runs fastest first: measured, per host.
      speed: tier < 1 ? speedStep(stats.expectedRunMs(model, host.id)) : 0,
      free: slots - mine,
      total,
      order: view.order,
    });
  }
  return candidates;
}

function validRunMs(measured: number): number {
  return Number.isFinite(measured) && measured >= 0 ? measured : DEFAULT_EXPECTED_RUN_MS;
}

/**
 * Lowest cost; then loaded, on-disk, loaded-busy (a busy host must beat a load, not tie with it);
 * then more free slots; then fewer requests in flight.
 */
function compareInference(a: Candidate, b: Candidate): number {
  return a.choice.costMs - b.choice.costMs || a.tier - b.tier || a.speed - b.speed ||
    b.free - a.free || a.total - b.total || a.order - b.order;
}

function sameInference(a: Candidate, b: Candidate): boolean {
  return a.choice.costMs === b.choice.costMs && a.tier === b.tier && a.speed === b.speed &&
    a.free === b.free && a.total === b.total;
}

/** A run time as a step of 25 %: hosts within a step of each other are equally fast. */
function speedStep(runMs: number): number {
  return Math.round(Math.log(Math.max(validRunMs(runMs), 1)) / Math.log(1.25));
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
      speed: 0,
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
export function rotateTies<T>(
  sorted: T[],
  same: (leader: T, other: T) => boolean,
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
