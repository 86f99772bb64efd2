import assert from "node:assert/strict";
import type { InFlight, RouteHost } from "../../hub/host.ts";
import { route, type RouteRequest, type RouteResult, type RouteStats } from "../../hub/router.ts";
import { modelKey } from "../../shared/model_name.ts";
import { leastConnections, randomRouter, sticky } from "./baseline_routers.ts";

const M = modelKey("qwen3:8b")!;
const OTHER = modelKey("llama3.2:3b")!;
const GB = 1e9;

/** An online host with `M` on disk; only the fields the baselines read matter. */
function host(id: string, spec: Partial<RouteHost> & { has?: "disk" | "loaded" | "none" } = {}) {
  const { has = "disk", ...rest } = spec;
  const model = { size: 5 * GB, contextLength: null, shape: null };
  return {
    id,
    name: id.toUpperCase(),
    status: "online",
    ollamaReachable: true,
    slots: 1,
    contextLength: 0,
    maxLoaded: 3,
    loaded: new Map(has === "loaded" ? [[M, model]] : []),
    onDisk: new Map(has === "none" ? [[OTHER, model]] : [[M, model]]),
    freeVram: 24 * GB,
    totalVram: 24 * GB,
    loadRate: 2 * GB,
    hot: false,
    lowMemory: false,
    diskFull: false,
    ...rest,
  } as unknown as RouteHost;
}

function flights(totals: Record<string, number> = {}): InFlight {
  return {
    of: () => 0,
    total: (id: string) => totals[id] ?? 0,
    youngestAgeMs: () => 0,
    contextOf: () => null,
    models: () => new Map(),
  } as unknown as InFlight;
}

const stats = { expectedRunMs: () => 1000 } as unknown as RouteStats;
const req = (seq: number, extra: Partial<RouteRequest> = {}): RouteRequest => ({
  model: M,
  purpose: "inference",
  seq,
  ...extra,
});
const ids = (result: RouteResult) =>
  result.ok ? result.ranked.map((c) => c.host.id) : result.failure;

Deno.test("leastConnections picks the host with the fewest requests in flight", () => {
  const hosts = [host("a"), host("b", { has: "loaded" }), host("c")];
  const result = leastConnections(hosts, flights({ a: 3, b: 2, c: 1 }), req(0), stats);
  assert.deepEqual(ids(result), ["c", "b", "a"]);
  assert.ok(result.ok);
  assert.deepEqual(
    result.ranked.map((c) => [c.reason, c.costMs, c.wait]),
    [["on-disk", 0, false], ["loaded", 0, false], ["on-disk", 0, false]],
  );
});

Deno.test("leastConnections rotates ties by seq", () => {
  const hosts = [host("a"), host("b"), host("c"), host("d")];
  const inFlight = flights({ d: 1 });
  assert.deepEqual(ids(leastConnections(hosts, inFlight, req(0), stats)), ["a", "b", "c", "d"]);
  assert.deepEqual(ids(leastConnections(hosts, inFlight, req(1), stats)), ["b", "c", "a", "d"]);
  assert.deepEqual(ids(leastConnections(hosts, inFlight, req(5), stats)), ["c", "a", "b", "d"]);
});

Deno.test("the baselines skip hosts that cannot serve the model, and say why when none can", () => {
  const routers = [leastConnections, randomRouter(1)];
  for (const router of routers) {
    const hosts = [
      host("off", { status: "offline" }),
      host("dead", { ollamaReachable: false }),
      host("none", { has: "none" }),
      host("tried"),
      host("ok"),
    ];
    const exclude = new Set(["tried"]);
    assert.deepEqual(ids(router(hosts, flights(), req(0, { exclude }), stats)), ["ok"]);
    const notFound = router([host("none", { has: "none" })], flights(), req(0), stats);
    assert.equal(notFound.ok, false);
    assert.ok(!notFound.ok && notFound.failure === "not-found");
    assert.ok(!notFound.ok && notFound.message === `model '${M}' not found`);
    const noHosts = router([host("off", { status: "offline" })], flights(), req(0), stats);
    assert.ok(!noHosts.ok && noHosts.failure === "no-hosts");
  }
});

Deno.test("randomRouter is repeatable and spreads requests evenly", () => {
  const hosts = [host("a"), host("b"), host("c"), host("d", { has: "none" })];
  const pick = (seed: number) => {
    const router = randomRouter(seed);
    return Array.from({ length: 3000 }, (_, i) => {
      const result = router(hosts, flights(), req(i), stats);
      assert.ok(result.ok);
      assert.equal(result.ranked.length, 3);
      return result.choice.host.id;
    });
  };
  const picks = pick(42);
  assert.deepEqual(pick(42), picks);
  for (const id of ["a", "b", "c"]) {
    const share = picks.filter((p) => p === id).length / picks.length;
    assert.ok(Math.abs(share - 1 / 3) < 0.04, `${id}: ${share}`);
  }
});

Deno.test("the baselines leave pinned requests and pulls to the hub's router", () => {
  const hosts = [host("a"), host("b")];
  const pinned = req(0, { pinned: "b" });
  assert.deepEqual(
    leastConnections(hosts, flights(), pinned, stats),
    route(hosts, flights(), pinned, stats),
  );
  const pull = req(0, { purpose: "pull" });
  assert.deepEqual(
    randomRouter(1)(hosts, flights(), pull, stats),
    route(hosts, flights(), pull, stats),
  );
});

Deno.test("sticky sends a model where it is loaded, however busy, else the least busy disk", () => {
  const hosts = [host("a"), host("b", { has: "loaded" }), host("c"), host("d", { has: "none" })];
  assert.deepEqual(ids(sticky(hosts, flights({ a: 0, b: 9, c: 1 }), req(0), stats)), [
    "b",
    "a",
    "c",
  ]);
  const cold = [host("a"), host("c")];
  assert.deepEqual(ids(sticky(cold, flights({ a: 2, c: 1 }), req(0), stats)), ["c", "a"]);
});
