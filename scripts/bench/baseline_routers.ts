/**
 * The routing benchmark's baselines: what a proxy that knows nothing of Ollama's memory does. Both
 * have the contract of `hub/router.ts` `route()` (they are passed to the hub as its `route`), so
 * they run on the same hub, agents and fleet queue as Corral's router and differ only in the
 * decision:
 *
 * - {@link leastConnections}: among the eligible hosts that have the model (on disk or loaded), the
 *   one with the fewest requests in flight, ties round-robin; what Olla and LiteLLM do.
 * - {@link randomRouter}: uniform among the same hosts, from a seeded generator.
 * - {@link sticky}: the two rules of the proxy Corral replaces (Ollama Fleet Manager, as issue 13
 *   describes it), run with {@link STICKY_HUB_SETTINGS}: `num_ctx` 8192 and `keep_alive` 30m on
 *   requests that carry none, and a model loaded somewhere goes there, queueing behind it.
 *
 * Neither ever waits in the fleet queue (`wait: false`): a busy host queues in its own Ollama.
 * Pulls, "any" requests and pinned requests go to the hub's own router, as they would in Corral.
 *
 * @module
 */

import type { InFlight, RouteHost } from "../../hub/host.ts";
import {
  rotateTies,
  route,
  type RouteChoice,
  type RouteRequest,
  type RouteResult,
  type RouteStats,
  takesRequests,
} from "../../hub/router.ts";
import type { RouteFn } from "../../hub/dispatch.ts";
import { rng } from "../sim/text.ts";

/** The eligible hosts that have the model, as choices in input order; or why there are none. */
function candidates(
  hosts: readonly RouteHost[],
  inFlight: InFlight,
  request: RouteRequest,
  stats: RouteStats,
): RouteChoice[] | RouteResult {
  const model = request.model!;
  const eligible = hosts.filter((h) => takesRequests(h) && !request.exclude?.has(h.id));
  // With no eligible host, the hub's router gives the same "no-hosts" answer, in its words.
  if (eligible.length === 0) return route(hosts, inFlight, request, stats);
  const choices: RouteChoice[] = [];
  for (const host of eligible) {
    const loaded = host.loaded.has(model) || inFlight.of(host.id, model) > 0;
    if (!loaded && !host.onDisk.has(model)) continue;
    choices.push({ host, reason: loaded ? "loaded" : "on-disk", costMs: 0, wait: false });
  }
  if (choices.length === 0) {
    // Ollama's own words (server/routes.go), as the hub's router says them.
    return { ok: false, failure: "not-found", message: `model '${model}' not found` };
  }
  return choices;
}

/** Whether this request is one the baselines decide (inference, not pinned). */
function decidesItself(request: RouteRequest): boolean {
  return request.purpose === "inference" &&
    (request.pinned === undefined || request.pinned === null);
}

/**
 * Least connections: fewest requests in flight on the host (all models), ties rotated by
 * `request.seq`; the rest ranked the same way for retries.
 *
 * @example
 * ```ts
 * await startDemoFleet({ route: leastConnections, hub: BASELINE_HUB_SETTINGS });
 * ```
 */
export const leastConnections: RouteFn = (hosts, inFlight, request, stats) => {
  if (!decidesItself(request)) return route(hosts, inFlight, request, stats);
  const found = candidates(hosts, inFlight, request, stats);
  if (!Array.isArray(found)) return found;
  const load = new Map(found.map((c) => [c, inFlight.total(c.host.id)]));
  // A stable sort keeps input order among equals; each run of equals is then rotated by seq.
  const ranked = [...found].sort((a, b) => load.get(a)! - load.get(b)!);
  rotateTies(ranked, (a, b) => load.get(a) === load.get(b), request.seq);
  return { ok: true, choice: ranked[0]!, ranked };
};

/** The hub's settings for {@link sticky}: the peer's context and keep-alive, no sharing. */
export const STICKY_HUB_SETTINGS = {
  routing: { num_ctx: 8192, keep_alive: "30m", share_larger_context: false },
};

/**
 * Sticky: hosts with the model loaded (whatever its context) first, the least busy of them,
 * however busy; only when none has it loaded, the least busy host with it on disk.
 */
export const sticky: RouteFn = (hosts, inFlight, request, stats) => {
  if (!decidesItself(request)) return route(hosts, inFlight, request, stats);
  const found = candidates(hosts, inFlight, request, stats);
  if (!Array.isArray(found)) return found;
  const key = (c: RouteChoice) => (c.reason === "loaded" ? 0 : 1e9) + inFlight.total(c.host.id);
  const ranked = [...found].sort((a, b) => key(a) - key(b));
  rotateTies(ranked, (a, b) => key(a) === key(b), request.seq);
  return { ok: true, choice: ranked[0]!, ranked };
};

/**
 * A random router: each request picks uniformly among the hosts that have the model, from its own
 * generator seeded with `seed`, so that a run is repeatable given the same order of requests.
 *
 * @param seed The generator's seed.
 * @returns A {@link RouteFn} whose ranking is a random permutation of the candidates.
 */
export function randomRouter(seed: number): RouteFn {
  const rand = rng(seed);
  return (hosts, inFlight, request, stats) => {
    if (!decidesItself(request)) return route(hosts, inFlight, request, stats);
    const found = candidates(hosts, inFlight, request, stats);
    if (!Array.isArray(found)) return found;
    const ranked = [...found];
    for (let i = ranked.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [ranked[i], ranked[j]] = [ranked[j]!, ranked[i]!];
    }
    return { ok: true, choice: ranked[0]!, ranked };
  };
}
