import assert from "node:assert/strict";
import { modelKey } from "../shared/model_name.ts";
import type { ModelShape } from "../shared/protocol.ts";
import type { InFlight, RouteHost, RouteModel } from "./host.ts";
import { GRAPH_PRIOR_BYTES, kvBytes } from "./memory_model.ts";
import {
  BUSY_LOAD_PENALTY_MS,
  DEFAULT_EXPECTED_RUN_MS,
  DEGRADED_PENALTY_MS,
  EVICTION_HORIZON_S,
  EVICTION_MAX_WEIGHT,
  HOT_PENALTY_MS,
  IN_USE_EVICTION_MS,
  LOAD_BASE_MS,
  LOW_MEMORY_PENALTY_MS,
  REPLICA_HOLD_MS,
  route,
  type RouteChoice,
  type RouteRequest,
  type RouteResult,
  type RouteStats,
} from "./router.ts";
import { QWEN3_8B_SHAPE } from "../shared/model_shape_testing.ts";

const GB = 1e9;
const GiB = 1024 ** 3;
const M = modelKey("qwen3:8b")!;
const OTHER = modelKey("llama3.2")!;

type HostSpec = Partial<Omit<RouteHost, "loaded" | "onDisk">> & {
  /** Model keys, or `[key, { size?, contextLength? }]`; 6 GB with no reported context by default. */
  loaded?: (string | [string, Partial<RouteModel>])[];
  onDisk?: Record<string, number>;
  /** Shapes of models on disk. */
  shapes?: Record<string, ModelShape>;
};

/** An online, reachable, one-slot host with 24 GB free that loads at 2 GB/s, unless told otherwise. */
function host(id: string, spec: HostSpec = {}): RouteHost {
  const { loaded = [], onDisk = {}, shapes = {}, ...rest } = spec;
  return {
    id,
    name: id.toUpperCase(),
    status: "online",
    ollamaReachable: true,
    slots: 1,
    contextLength: 0,
    maxLoaded: 3,
    loaded: new Map(loaded.map((entry) => {
      const [key, model] = typeof entry === "string" ? [entry, {}] : entry;
      return [key, { size: 6 * GB, contextLength: null, shape: null, ...model }];
    })),
    onDisk: new Map(
      Object.entries(onDisk).map((
        [m, size],
      ) => [m, { size, contextLength: null, shape: shapes[m] ?? null }]),
    ),
    freeVram: 24 * GB,
    totalVram: 24 * GB,
    loadRate: 2 * GB,
    hot: false,
    lowMemory: false,
    diskFull: false,
    ...rest,
  };
}

/**
 * Requests in flight: `{ hostId: { modelKey: count } }`, sent by the hub with the contexts in
 * `contexts` (`{ hostId: { modelKey: ctx } }`, none by default).
 */
function flights(
  counts: Record<string, Record<string, number>> = {},
  ages: Record<string, number> = {},
  contexts: Record<string, Record<string, number>> = {},
): InFlight {
  return {
    of: (id, model) => counts[id]?.[model] ?? 0,
    total: (id) => Object.values(counts[id] ?? {}).reduce((a, b) => a + b, 0),
    youngestAgeMs: (id) => ages[id] ?? 0,
    contextOf: (id, model) => contexts[id]?.[model] ?? null,
    models: (id) =>
      new Map(Object.keys(counts[id] ?? {}).map((m) => [m, contexts[id]?.[m] ?? null])),
  };
}

/**
 * Measured run time (every model, every host) and sustained demand: `rates` are requests per
 * second by model key (every context), none by default.
 */
function stats(runMs = 10_000, rates: Record<string, number> = {}): RouteStats {
  return {
    expectedRunMs: () => runMs,
    arrivalRate: (model) => rates[model] ?? 0,
    overhead: () => undefined,
  };
}

/** Demand that keeps more than one slot busy: another copy of the model is wanted. */
const SUSTAINED = (runMs: number) => ({ [M]: 2000 / runMs });

function run(
  hosts: RouteHost[],
  request: Partial<RouteRequest> = {},
  inFlight = flights(),
  routeStats = stats(),
): RouteResult {
  return route(hosts, inFlight, { model: M, purpose: "inference", seq: 0, ...request }, routeStats);
}

function ok(result: RouteResult): { choice: RouteChoice; ranked: RouteChoice[] } {
  assert.ok(result.ok, `expected a choice, got ${JSON.stringify(result)}`);
  return result;
}

function ids(choices: RouteChoice[]): string[] {
  return choices.map((c) => c.host.id);
}

/** A choice in one line: `"<host id> <reason> <costMs>"`, then `" wait"` when it waits. */
function brief(c: RouteChoice): string {
  return `${c.host.id} ${c.reason} ${c.costMs}${c.wait ? " wait" : ""}`;
}

Deno.test("route() sends inference to a host with the model loaded and a free slot", () => {
  const { choice } = ok(
    run([host("disk", { onDisk: { [M]: 5 * GB } }), host("hot", { loaded: [M] })]),
  );
  assert.equal(brief(choice), "hot loaded 0");
});

Deno.test("route() counts a model as loaded while the hub has requests for it in flight", () => {
  const hosts = [
    host("a", { onDisk: { [M]: 5 * GB } }),
    host("b", { onDisk: { [M]: 5 * GB }, slots: 4 }),
  ];
  const { choice } = ok(run(hosts, {}, flights({ b: { [M]: 1 } })));
  assert.equal(brief(choice), "b loaded 0");
});

Deno.test("route() prefers more free slots among loaded hosts, then fewer requests in flight", () => {
  const hosts = [host("a", { loaded: [M], slots: 4 }), host("b", { loaded: [M], slots: 4 })];
  // b has more free slots though more requests in flight for other models.
  const freer = flights({ a: { [M]: 2 }, b: { [M]: 1, [OTHER]: 3 } });
  assert.equal(ok(run(hosts, {}, freer)).choice.host.id, "b");
  const busyElsewhere = flights({ a: { [M]: 1, [OTHER]: 2 }, b: { [M]: 1 } });
  for (let seq = 0; seq < 4; seq++) {
    assert.equal(ok(run(hosts, { seq }, busyElsewhere)).choice.host.id, "b", `seq ${seq}`);
  }
});

Deno.test("route() round-robins by seq among equal hosts and keeps the order of the rest", () => {
  const hosts = [
    host("a", { loaded: [M] }),
    host("b", { loaded: [M] }),
    host("c", { loaded: [M] }),
    host("d", { onDisk: { [M]: 5 * GB } }),
  ];
  const firsts = [0, 1, 2, 3, 4, 5].map((seq) => ok(run(hosts, { seq })).choice.host.id);
  assert.deepEqual(firsts, ["a", "b", "c", "a", "b", "c"]);
  assert.deepEqual(ids(ok(run(hosts, { seq: 1 })).ranked), ["b", "c", "a", "d"]);
  assert.equal(ok(run(hosts, { seq: -1 })).choice.host.id, "c");
});

Deno.test("route() prices a loaded-busy host by the expected wait for a slot", async (t) => {
  const cases: [slots: number, inFlight: number, runs: number][] = [
    [1, 1, 1],
    [1, 3, 3],
    [2, 2, 1],
    [2, 5, 2],
    [4, 8, 2],
  ];
  for (const [slots, count, runs] of cases) {
    await t.step(`${count} in flight on ${slots} slots waits ${runs} runs`, () => {
      const { choice } = ok(
        run([host("a", { loaded: [M], slots })], {}, flights({ a: { [M]: count } }), stats(700)),
      );
      assert.equal(brief(choice), `a loaded-busy ${700 * runs} wait`);
    });
  }
});

Deno.test("route() asks stats for the model key and falls back to the default run time", () => {
  const hosts = [host("a", { loaded: [M] }), host("b", { loaded: [M] })];
  const inFlight = flights({ a: { [M]: 1 }, b: { [M]: 1 } });
  for (const measured of [NaN, -1, Infinity]) {
    const asked: string[] = [];
    const { ranked } = ok(run(hosts, {}, inFlight, {
      ...stats(),
      expectedRunMs: (model) => (asked.push(model), measured),
    }));
    assert.ok(asked.every((m) => m === M));
    assert.deepEqual(ranked.map((c) => c.costMs), [
      DEFAULT_EXPECTED_RUN_MS,
      DEFAULT_EXPECTED_RUN_MS,
    ]);
  }
});

Deno.test("route() with sustained demand waits for a busy host only when its wait beats a load", async (t) => {
  // Loading 5 GB at 2 GB/s elsewhere costs 1000 + 2500 = 3500 ms.
  const hosts = [host("busy", { loaded: [M] }), host("disk", { onDisk: { [M]: 5 * GB } })];
  const inFlight = flights({ busy: { [M]: 1 } });
  await t.step("a short wait wins", () => {
    const { ranked } = ok(run(hosts, {}, inFlight, stats(3000, SUSTAINED(3000))));
    assert.deepEqual(ranked.map(brief), ["busy loaded-busy 3000 wait", "disk on-disk 3500"]);
  });
  await t.step("an equal wait loses to a load", () => {
    assert.equal(ok(run(hosts, {}, inFlight, stats(3500, SUSTAINED(3500)))).choice.host.id, "disk");
  });
  await t.step("a long wait loses to a load", () => {
    const { ranked } = ok(run(hosts, {}, inFlight, stats(4000, SUSTAINED(4000))));
    assert.deepEqual(ranked.map(brief), ["disk on-disk 3500", "busy loaded-busy 4000 wait"]);
  });
});

Deno.test("route() queues behind a busy copy rather than load another for a brief burst", async (t) => {
  const hosts = [host("busy", { loaded: [M] }), host("disk", { onDisk: { [M]: 5 * GB } })];
  const inFlight = flights({ busy: { [M]: 1 } });
  await t.step("demand within the loaded slots: wait, however long the wait", () => {
    // 0.05 requests/s of 4 s each keep 0.2 slots busy: one slot serves them.
    const { ranked } = ok(run(hosts, {}, inFlight, stats(4000, { [M]: 0.05 })));
    assert.deepEqual(ranked.map(brief), [
      "busy loaded-busy 4000 wait",
      `disk on-disk ${3500 + REPLICA_HOLD_MS}`,
    ]);
  });
  await t.step("demand past the loaded slots: load another copy", () => {
    // 0.3 requests/s of 4 s each keep 1.2 slots busy.
    assert.equal(ok(run(hosts, {}, inFlight, stats(4000, { [M]: 0.3 }))).choice.host.id, "disk");
  });
  await t.step("no copy loaded anywhere: a load is never held back", () => {
    const cold = [host("a", { onDisk: { [M]: 5 * GB } })];
    assert.equal(brief(ok(run(cold, {}, flights(), stats(4000))).choice), "a on-disk 3500");
  });
});

Deno.test("route() prices a load from disk by size, load rate, eviction and busyness", async (t) => {
  const size = 8 * GB; // 1000 + 8 GB / 2 GB/s = 5000 ms
  const cost = (spec: HostSpec, inFlight = flights()) =>
    ok(run([host("a", { onDisk: { [M]: size }, ...spec })], {}, inFlight)).choice.costMs;
  await t.step("fits in free VRAM", () => assert.equal(cost({}), LOAD_BASE_MS + 4000));
  await t.step("evicting an idle model nobody asks for costs nothing more", () => {
    // Without a shape, the KV cache at the host's 32k default is guessed as 0.8 × the weights:
    // 8 + 6.4 + 0.5 GB do not fit in 10 GB free, and do once OTHER's 6 GB are unloaded.
    assert.equal(cost({ loaded: [OTHER], freeVram: 10 * GB }), 5000);
  });
  await t.step("a slower host", () => assert.equal(cost({ loadRate: 1 * GB }), 9000));
  await t.step("a host busy with another model", () => {
    assert.equal(cost({}, flights({ a: { [OTHER]: 1 } })), 5000 + BUSY_LOAD_PENALTY_MS);
  });
  await t.step("a host with no load rate yet still gets a finite cost", () => {
    assert.ok(Number.isFinite(cost({ loadRate: 0 })));
  });
});

Deno.test("route() prefers the host where a load is cheapest", () => {
  const hosts = [
    host("evict", { onDisk: { [M]: 8 * GB }, freeVram: 4 * GB, loaded: [OTHER] }),
    host("slow", { onDisk: { [M]: 8 * GB }, loadRate: 1 * GB }),
    host("fast", { onDisk: { [M]: 8 * GB }, loadRate: 4 * GB }),
    host("none", { onDisk: { [OTHER]: 1 * GB } }),
  ];
  const busyOther = stats(10_000, { [OTHER]: 1 }); // evicting OTHER costs 3 reloads of 6 GB
  assert.deepEqual(ids(ok(run(hosts, {}, flights(), busyOther)).ranked), ["fast", "slow", "evict"]);
});

Deno.test("route() adds each host penalty in every tier", async (t) => {
  const penalties: [string, HostSpec, number][] = [
    ["hot", { hot: true }, HOT_PENALTY_MS],
    ["lowMemory", { lowMemory: true }, LOW_MEMORY_PENALTY_MS],
    ["degraded", { status: "degraded" }, DEGRADED_PENALTY_MS],
    ["all three", { hot: true, lowMemory: true, status: "degraded" }, 10_000],
  ];
  for (const [name, spec, ms] of penalties) {
    await t.step(name, () => {
      const loaded = host("a", { loaded: [M], ...spec });
      assert.equal(brief(ok(run([loaded])).choice), `a loaded ${ms}`);
      const busy = ok(run([loaded], {}, flights({ a: { [M]: 1 } }), stats(100))).choice;
      assert.equal(brief(busy), `a loaded-busy ${100 + ms} wait`);
      const disk = ok(run([host("a", { onDisk: { [M]: 2 * GB }, ...spec })])).choice;
      assert.equal(brief(disk), `a on-disk ${2000 + ms}`);
    });
  }
});

Deno.test("route() loads on a cool host rather than use a hot one with the model loaded", () => {
  const hosts = [
    host("hot", { loaded: [M], hot: true }),
    host("cool", { onDisk: { [M]: 4 * GB } }),
  ];
  assert.equal(brief(ok(run(hosts)).choice), "cool on-disk 3000");
  const degraded = [host("deg", { loaded: [M], status: "degraded" }), hosts[1]!];
  assert.equal(ok(run(degraded)).choice.host.id, "deg"); // 2000 ms beats a 3000 ms load
  // On equal cost the loaded host wins, though the other has more free slots.
  const tie = [hosts[0]!, host("cool", { onDisk: { [M]: 8 * GB }, slots: 4 })];
  assert.deepEqual(ids(ok(run(tie)).ranked), ["hot", "cool"]);
});

Deno.test("route() gives nothing to offline, draining, maintenance or unreachable hosts", async (t) => {
  const out: [string, HostSpec][] = [
    ["offline", { status: "offline" }],
    ["draining", { status: "draining" }],
    ["maintenance", { status: "maintenance" }],
    ["unreachable", { ollamaReachable: false }],
    ["unreachable and degraded", { ollamaReachable: false, status: "degraded" }],
  ];
  for (const [name, spec] of out) {
    await t.step(name, () => {
      const hosts = [host("x", { loaded: [M], ...spec }), host("ok", { onDisk: { [M]: 5 * GB } })];
      for (const purpose of ["inference", "pull", "any"] as const) {
        assert.deepEqual(ids(ok(run(hosts, { purpose })).ranked), ["ok"], purpose);
      }
      const alone = run([host("x", { loaded: [M], ...spec })]);
      assert.equal(alone.ok ? "ok" : alone.failure, "no-hosts");
    });
  }
});

Deno.test("route() fails with no-hosts, saying why, when no host is eligible", () => {
  assert.deepEqual(run([]), {
    ok: false,
    failure: "no-hosts",
    message: "No host can take requests: none is known",
  });
  const hosts = [
    host("a", { status: "offline" }),
    host("b", { status: "offline" }),
    host("c", { status: "draining" }),
    host("d", { ollamaReachable: false }),
    host("e", { loaded: [M] }),
  ];
  assert.deepEqual(run(hosts, { exclude: new Set(["e"]), purpose: "any", model: null }), {
    ok: false,
    failure: "no-hosts",
    message:
      "No host can take requests: 5 known (2 offline, 1 draining, 1 Ollama not answering, 1 already tried)",
  });
});

Deno.test("route() fails with not-found when no eligible host has the model", () => {
  const hosts = [
    host("a", { onDisk: { [OTHER]: GB } }),
    host("b", { loaded: [M], status: "draining" }),
  ];
  const message = `model '${M}' not found`;
  assert.deepEqual(run(hosts), { ok: false, failure: "not-found", message });
});

Deno.test("route() skips excluded hosts so a retry goes to the next-best", () => {
  const hosts = [
    host("a", { loaded: [M] }),
    host("b", { onDisk: { [M]: 4 * GB } }),
    host("c", { onDisk: { [M]: 8 * GB } }),
  ];
  assert.deepEqual(ids(ok(run(hosts)).ranked), ["a", "b", "c"]);
  assert.deepEqual(ids(ok(run(hosts, { exclude: new Set(["a"]) })).ranked), ["b", "c"]);
  assert.deepEqual(ids(ok(run(hosts, { exclude: new Set(["a", "b"]) })).ranked), ["c"]);
  const all = run(hosts, { exclude: new Set(["a", "b", "c"]) });
  assert.equal(all.ok ? "ok" : all.failure, "no-hosts");
});

Deno.test("route() ranks every candidate best first and only hosts that can serve the model", () => {
  const hosts = [
    host("disk", { onDisk: { [M]: 2 * GB } }),
    host("busy", { loaded: [M] }),
    host("nothing"),
    host("loaded", { loaded: [M], slots: 2 }),
    host("hotLoaded", { loaded: [M], hot: true }),
  ];
  // Demand for far more than the 3 loaded slots: another copy is worth loading.
  const demand = stats(1500, { [M]: 10 });
  const { choice, ranked } = ok(run(hosts, {}, flights({ busy: { [M]: 1 } }), demand));
  assert.equal(choice, ranked[0]);
  assert.deepEqual(ranked.map(brief), [
    "loaded loaded 0",
    "busy loaded-busy 1500 wait",
    "disk on-disk 2000",
    `hotLoaded loaded ${HOT_PENALTY_MS}`,
  ]);
});

Deno.test("route() is deterministic for the same inputs", () => {
  const hosts = [
    host("a", { loaded: [M] }),
    host("b", { loaded: [M] }),
    host("c", { onDisk: { [M]: GB } }),
  ];
  assert.deepEqual(run(hosts, { seq: 7 }), run(hosts, { seq: 7 }));
});

Deno.test("route() treats a host reporting zero slots as having one", () => {
  const hosts = [host("a", { loaded: [M], slots: 0 })];
  assert.equal(
    brief(ok(run(hosts, {}, flights({ a: { [M]: 1 } }), stats(100))).choice),
    "a loaded-busy 100 wait",
  );
});

Deno.test("route() sends a pinned request to the host with that id, else that name", async (t) => {
  const hosts = [
    host("gpu1", { name: "Alpha" }),
    host("gpu2", { name: "gpu1" }),
    host("gpu3", { name: "Beta" }),
  ];
  await t.step("by id, before a host named the same", () => {
    const { choice, ranked } = ok(run(hosts, { pinned: "gpu1" }));
    assert.deepEqual(choice, { host: hosts[0], reason: "pinned", costMs: 0, wait: false });
    assert.deepEqual(ranked, [choice]);
  });
  await t.step("by name, ignoring case", () => {
    assert.equal(ok(run(hosts, { pinned: "beta" })).choice.host.id, "gpu3");
  });
  await t.step("whatever the model or purpose", () => {
    const { choice } = ok(run(hosts, { pinned: "gpu3", model: null, purpose: "any" }));
    assert.equal(brief(choice), "gpu3 pinned 0");
  });
});

Deno.test("route() lets a pin reach draining, maintenance and degraded hosts", () => {
  for (const status of ["draining", "maintenance", "degraded"] as const) {
    const { choice } = ok(run([host("a", { status, hot: true })], { pinned: "a" }));
    assert.equal(brief(choice), "a pinned 0", status);
  }
});

Deno.test("route() fails with pinned-unavailable for an unknown, offline, unreachable or tried host", () => {
  const hosts = [
    host("a", { name: "down", status: "offline" }),
    host("b", { name: "mute", ollamaReachable: false, status: "degraded" }),
    host("c", { name: "tried", loaded: [M] }),
  ];
  const cases: [pinned: string, exclude: string[], message: string][] = [
    ["nope", [], 'No host named "nope"'],
    ["a", [], 'Cannot use pinned host "down": it is offline'],
    ["mute", [], 'Cannot use pinned host "mute": its Ollama does not answer (status degraded)'],
    ["c", ["c"], 'Cannot use pinned host "tried": it was already tried'],
  ];
  for (const [pinned, exclude, message] of cases) {
    assert.deepEqual(run(hosts, { pinned, exclude: new Set(exclude) }), {
      ok: false,
      failure: "pinned-unavailable",
      message,
    });
  }
});

Deno.test("route() pulls onto a host that already has the model on disk", () => {
  const hosts = [
    host("roomy", { freeVram: 80 * GB }),
    host("has", { freeVram: 1 * GB, onDisk: { [M]: GB } }),
    host("loaded", { freeVram: 0, loaded: [M] }),
  ];
  const { ranked } = ok(run(hosts, { purpose: "pull" }));
  assert.deepEqual(ranked.map(brief), ["has on-disk 0", "loaded on-disk 0", "roomy pull 0"]);
});

Deno.test("route() pulls onto the most free VRAM, disk-full hosts last", () => {
  const hosts = [
    host("full", { freeVram: 80 * GB, diskFull: true }),
    host("small", { freeVram: 8 * GB }),
    host("big", { freeVram: 40 * GB, hot: true, status: "degraded" }),
    host("fullSmall", { freeVram: 2 * GB, diskFull: true }),
  ];
  const { ranked } = ok(run(hosts, { purpose: "pull" }));
  assert.deepEqual(ranked.map(brief), [
    "big pull 0",
    "small pull 0",
    "full pull 0",
    "fullSmall pull 0",
  ]);
});

Deno.test("route() round-robins pulls among hosts within 1 GiB of free VRAM", () => {
  const hosts = [
    host("a", { freeVram: 20 * GiB }),
    host("b", { freeVram: 20.5 * GiB }),
    host("c", { freeVram: 19.5 * GiB }), // within 1 GiB of b, the best
    host("d", { freeVram: 19 * GiB }), // 1.5 GiB short of b
  ];
  const firsts = [0, 1, 2, 3].map((seq) => ok(run(hosts, { purpose: "pull", seq })).choice.host.id);
  assert.deepEqual(firsts, ["b", "a", "c", "b"]);
  for (let seq = 0; seq < 3; seq++) {
    assert.equal(ok(run(hosts, { purpose: "pull", seq })).ranked[3]!.host.id, "d");
  }
});

Deno.test("route() places a request with no model like a pull, with reason any", () => {
  const hosts = [
    host("a", { freeVram: 4 * GB, onDisk: { [M]: GB } }),
    host("b", { freeVram: 30 * GB }),
    host("c", { freeVram: 60 * GB, diskFull: true }),
  ];
  const { ranked } = ok(run(hosts, { purpose: "any", model: null }));
  assert.deepEqual(ranked.map(brief), ["b any 0", "a any 0", "c any 0"]);
});

Deno.test("route() throws a TypeError for an inference or pull request with no model", () => {
  for (const purpose of ["inference", "pull"] as const) {
    assert.throws(() => run([host("a")], { purpose, model: null }), {
      name: "TypeError",
      message: `Cannot route a "${purpose}" request: 'model' is null`,
    });
  }
});

Deno.test("route() expects a long-running request to run about as long again", () => {
  const busy = host("busy", { loaded: [M] });
  const cold = host("cold", { onDisk: { [M]: 2 * GB } });
  const load = LOAD_BASE_MS + 1000; // 2 GB at 2 GB/s
  // Typical runs take 100 ms: a request 50 ms in leaves 50 ms, well under a load.
  let result = run([busy, cold], {}, flights({ busy: { [M]: 1 } }, { busy: 50 }), stats(100));
  assert.ok(result.ok);
  assert.equal(result.choice.host.id, "busy");
  assert.equal(result.choice.costMs, 50);
  // One that has already run 30 s is not about to end: loading elsewhere wins.
  // With demand for two slots, a copy elsewhere is wanted.
  result = run(
    [busy, cold],
    {},
    flights({ busy: { [M]: 1 } }, { busy: 30_000 }),
    stats(100, { [M]: 20 }),
  );
  assert.ok(result.ok);
  assert.equal(result.choice.host.id, "cold");
  assert.equal(result.ranked.find((c) => c.host.id === "busy")!.costMs, 30_000);
  assert.ok(load < 30_000);
});

Deno.test("route() keeps requests with different contexts on runners with their context", async (t) => {
  const shapes = { [M]: QWEN3_8B_SHAPE };
  const at4k = host("at4k", {
    loaded: [[M, { contextLength: 4096 }]],
    onDisk: { [M]: 5 * GB },
    shapes,
  });
  const free = host("free", { onDisk: { [M]: 5 * GB }, shapes });
  await t.step("the same context runs where it is loaded", () => {
    assert.equal(brief(ok(run([free, at4k], { numCtx: 4096 })).choice), "at4k loaded 0");
  });
  await t.step("another context loads where nothing is evicted, not over a runner", () => {
    const { choice, ranked } = ok(run([at4k, free], { numCtx: 16384 }));
    assert.equal(choice.host.id, "free");
    assert.equal(choice.context, 16384);
    assert.deepEqual(ranked.map((c) => `${c.host.id} ${c.reason}`), [
      "free on-disk",
      "at4k reload",
    ]);
  });
  await t.step("a reload over a runner in use is a last resort", () => {
    const inUse = flights({ at4k: { [M]: 1 } }, {}, { at4k: { [M]: 4096 } });
    const { ranked } = ok(run([at4k], { numCtx: 16384 }, inUse));
    assert.equal(ranked[0]!.reason, "reload");
    assert.ok(ranked[0]!.load?.blocked);
    assert.ok(ranked[0]!.costMs >= IN_USE_EVICTION_MS);
  });
  await t.step("without num_ctx, each host's VRAM tier decides: 24 GiB gives 32k", () => {
    const gpu24 = { totalVram: 24 * GiB, onDisk: { [M]: 5 * GB }, shapes };
    const at4k24 = host("at4k", { ...gpu24, loaded: [[M, { contextLength: 4096 }]] });
    const at32k = host("at32k", { ...gpu24, loaded: [[M, { contextLength: 32768 }]] });
    assert.equal(brief(ok(run([at4k24, at32k])).choice), "at32k loaded 0");
    assert.equal(ok(run([at4k24, at32k])).choice.context, 32768);
    // 12 GiB gives 4k: the 4k runner serves it there.
    const small = host("small", {
      ...gpu24,
      totalVram: 12 * GiB,
      loaded: [[M, { contextLength: 4096 }]],
    });
    assert.equal(brief(ok(run([small])).choice), "small loaded 0");
    // 80 GiB gives 256k, capped at the model's 40,960.
    const big = host("big", { ...gpu24, totalVram: 80 * GiB });
    assert.equal(ok(run([big])).choice.context, 40960);
  });
  await t.step(
    "the hub's own requests in flight set the runner's context before the agent reports it",
    () => {
      const loading = host("loading", { onDisk: { [M]: 5 * GB }, shapes, slots: 4 });
      const sent = flights({ loading: { [M]: 1 } }, {}, { loading: { [M]: 8192 } });
      assert.equal(brief(ok(run([loading], { numCtx: 8192 }, sent)).choice), "loading loaded 0");
      assert.equal(ok(run([loading], { numCtx: 4096 }, sent)).choice.reason, "reload");
    },
  );
});

Deno.test("route() predicts Ollama's victims: idle runners in name order until the load fits", async (t) => {
  const A = modelKey("aaa:1b")!;
  const B = modelKey("bbb:1b")!;
  const Z = modelKey("zzz:1b")!;
  const shapes = { [M]: QWEN3_8B_SHAPE };
  // qwen3:8b at 8192: 5 GB + 8192 × 147,456 B + the graph prior ≈ 6.75 GB.
  const need = 5 * GB + kvBytes(QWEN3_8B_SHAPE, 8192, 1) + GRAPH_PRIOR_BYTES;
  const full = (free: number) =>
    host("a", {
      onDisk: { [M]: 5 * GB },
      shapes,
      loaded: [[Z, { size: 3 * GB }], [B, { size: 3 * GB }], [A, { size: 3 * GB }]],
      maxLoaded: 9,
      freeVram: free,
    });
  await t.step("fits: nothing evicted", () => {
    const { choice } = ok(run([full(need)], { numCtx: 8192 }));
    assert.deepEqual(choice.load?.evicts, []);
    assert.equal(choice.load?.bytes, need);
  });
  await t.step("one short: the first by name goes", () => {
    assert.deepEqual(ok(run([full(need - 1)], { numCtx: 8192 })).choice.load?.evicts, [A]);
  });
  await t.step("a busy runner is skipped, as Ollama skips it", () => {
    const { choice } = ok(run([full(need - 1)], { numCtx: 8192 }, flights({ a: { [A]: 1 } })));
    assert.deepEqual(choice.load?.evicts, [B]);
    assert.equal(choice.load?.blocked, false);
  });
  await t.step("more than two short: two go", () => {
    const evicts = ok(run([full(need - 3.5 * GB)], { numCtx: 8192 })).choice.load?.evicts;
    assert.deepEqual(evicts, [A, B]);
  });
  await t.step("MAX_LOADED_MODELS reached: one goes though memory is free", () => {
    const capped = { ...full(80 * GB), maxLoaded: 3 };
    assert.deepEqual(ok(run([capped], { numCtx: 8192 })).choice.load?.evicts, [A]);
  });
  await t.step("each victim costs its demand times its reload, capped", () => {
    const base = ok(run([full(need - 1)], { numCtx: 8192 })).choice.costMs;
    // aaa at 0.01 requests/s: 0.6 of a 1000 + 1500 ms reload over the 60 s horizon.
    const light = ok(
      run([full(need - 1)], { numCtx: 8192 }, flights(), stats(10_000, { [A]: 0.01 })),
    );
    assert.equal(
      Math.round(light.choice.costMs - base),
      Math.round(0.01 * EVICTION_HORIZON_S * 2500),
    );
    const hot = ok(run([full(need - 1)], { numCtx: 8192 }, flights(), stats(10_000, { [A]: 50 })));
    assert.equal(Math.round(hot.choice.costMs - base), EVICTION_MAX_WEIGHT * 2500);
  });
  await t.step("a victim whose other copies have room to spare costs a quarter", () => {
    const other = host("b", { loaded: [[A, { size: 3 * GB }]] });
    const base = ok(run([full(need - 1)], { numCtx: 8192 })).choice.costMs;
    const extra = (rate: number, runMs: number, hosts = [full(need - 1), other]) =>
      Math.round(
        ok(run(hosts, { numCtx: 8192 }, flights(), stats(runMs, { [A]: rate }))).choice.costMs -
          base,
      );
    // aaa at 0.05/s: 3 reloads' worth alone; with b's copy, whose slot covers 0.05 × 1 s many
    // times over, a quarter of that.
    assert.equal(extra(0.05, 1000, [full(need - 1)]), 3 * 2500);
    assert.equal(extra(0.05, 1000), Math.round(3 * 2500 / 4));
    // Hysteresis: at 0.7/s of 1 s each (0.7 busy slots), b's one slot could take it (0.85) but
    // not with the 1.5 margin: the copy this host holds is kept at full price.
    assert.equal(extra(0.7, 1000), 3 * 2500);
  });
  await t.step("a reload costs what its other context was serving", () => {
    const at4k = host("a", {
      onDisk: { [M]: 5 * GB },
      shapes,
      loaded: [[M, { size: 6 * GB, contextLength: 4096 }]],
    });
    const demand = (all: number, mine: number): RouteStats => ({
      ...stats(),
      arrivalRate: (_model, numCtx) => numCtx === undefined ? all : mine,
    });
    const idle = ok(run([at4k], { numCtx: 8192 }, flights(), demand(0, 0))).choice;
    assert.equal(idle.reason, "reload");
    // 0.01/s still ask for 4096: 0.6 of a reload (1000 + 2500 ms) over the 60 s horizon.
    const used = ok(run([at4k], { numCtx: 8192 }, flights(), demand(0.02, 0.01))).choice;
    assert.equal(
      Math.round(used.costMs - idle.costMs),
      Math.round(0.01 * EVICTION_HORIZON_S * 3500),
    );
  });
});

Deno.test("route() never evicts a model in use while another host can load without it", () => {
  const shapes = { [M]: QWEN3_8B_SHAPE };
  const crowded = host("crowded", {
    onDisk: { [M]: 5 * GB },
    shapes,
    loaded: [[OTHER, { size: 20 * GB }]],
    freeVram: 4 * GB,
    loadRate: 8 * GB, // faster: it would win on load time alone
  });
  const roomy = host("roomy", { onDisk: { [M]: 5 * GB }, shapes });
  const inUse = flights({ crowded: { [OTHER]: 1 } });
  const { choice, ranked } = ok(run([crowded, roomy], { numCtx: 8192 }, inUse));
  assert.equal(choice.host.id, "roomy");
  assert.equal(ranked[1]!.load?.blocked, true);
  // Alone, it is still an answer: Ollama waits for the runner to go idle.
  assert.equal(ok(run([crowded], { numCtx: 8192 }, inUse)).choice.host.id, "crowded");
});

Deno.test("route() counts loads the hub has sent but the agent does not report yet", () => {
  const shapes = { [M]: QWEN3_8B_SHAPE, [OTHER]: QWEN3_8B_SHAPE };
  const a = host("a", { onDisk: { [M]: 5 * GB, [OTHER]: 5 * GB }, shapes, freeVram: 10 * GB });
  // Alone, M at 8192 (≈ 6.75 GB) fits in 10 GB.
  assert.deepEqual(ok(run([a], { numCtx: 8192 })).choice.load?.evicts, []);
  assert.equal(ok(run([a], { numCtx: 8192 })).choice.load?.spills, false);
  // With OTHER being loaded at 8192 by the hub, they no longer fit together.
  const sent = flights({ a: { [OTHER]: 1 } }, {}, { a: { [OTHER]: 8192 } });
  assert.equal(ok(run([a], { numCtx: 8192 }, sent)).choice.load?.spills, true);
});

Deno.test("route() lets a request share a loaded runner with a larger context, when allowed", async (t) => {
  const shapes = { [M]: QWEN3_8B_SHAPE };
  const at16k = host("at16k", {
    loaded: [[M, { contextLength: 16384 }]],
    onDisk: { [M]: 5 * GB },
    shapes,
  });
  const cold = host("cold", { onDisk: { [M]: 5 * GB }, shapes });
  await t.step("allowed: a 4096 request runs on the 16384 runner, with 16384", () => {
    const { choice } = ok(run([cold, at16k], { numCtx: 4096, shareLarger: true }));
    assert.equal(brief(choice), "at16k loaded 0");
    assert.equal(choice.context, 16384);
  });
  await t.step("not allowed (or no num_ctx): it loads its own", () => {
    assert.equal(ok(run([cold, at16k], { numCtx: 4096 })).choice.host.id, "cold");
  });
  await t.step("never a smaller context than asked", () => {
    const at4k = host("at4k", {
      loaded: [[M, { contextLength: 4096 }]],
      onDisk: { [M]: 5 * GB },
      shapes,
    });
    const { choice } = ok(run([cold, at4k], { numCtx: 16384, shareLarger: true }));
    assert.equal(choice.host.id, "cold");
    assert.equal(choice.context, 16384);
  });
  await t.step("a runner with exactly the context wins a tie with a larger one", () => {
    const at4k = host("at4k", {
      loaded: [[M, { contextLength: 4096 }]],
      onDisk: { [M]: 5 * GB },
      shapes,
    });
    const { ranked } = ok(run([at16k, at4k], { numCtx: 4096, shareLarger: true }));
    assert.deepEqual(ranked.map(brief).slice(0, 2), ["at4k loaded 0", "at16k loaded 0"]);
  });
});

Deno.test("route() prefers, among free runners, the host where the model runs fastest", () => {
  const hosts = [host("slow", { loaded: [M], slots: 4 }), host("fast", { loaded: [M], slots: 2 })];
  const measured: RouteStats = {
    ...stats(),
    expectedRunMs: (_model, hostId) => hostId === "fast" ? 300 : hostId === "slow" ? 900 : 600,
  };
  // Without measurements per host, more free slots win; with them, the fast host does.
  assert.equal(ok(run(hosts)).choice.host.id, "slow");
  assert.deepEqual(ids(ok(run(hosts, {}, flights(), measured)).ranked), ["fast", "slow"]);
  // Within 25 % of each other, hosts are equally fast: free slots decide again.
  const close: RouteStats = { ...stats(), expectedRunMs: (_m, h) => h === "fast" ? 300 : 310 };
  assert.equal(ok(run(hosts, {}, flights(), close)).choice.host.id, "slow");
});

Deno.test("route() loads nothing where a model is known only by the hub's requests in flight", () => {
  // The hub has a request for M at 4096 on "a", whose agent lists M neither loaded nor on disk
  // (its lists lag): a 16384 request cannot be loaded there, and it does not throw.
  const a = host("a", { slots: 1 });
  const b = host("b", { onDisk: { [M]: 5 * GB }, shapes: { [M]: QWEN3_8B_SHAPE } });
  const sent = flights({ a: { [M]: 1 } }, {}, { a: { [M]: 4096 } });
  assert.deepEqual(ids(ok(run([a, b], { numCtx: 16384 }, sent)).ranked), ["b"]);
  // The same context still runs there: the runner being loaded is the request's.
  assert.equal(ok(run([a, b], { numCtx: 4096 }, sent)).choice.reason, "loaded-busy");
});
