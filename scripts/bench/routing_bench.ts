/**
 * The routing benchmark (issue 13, point 6): the same seeded open-loop workload through Corral's
 * router and two baselines, on a heterogeneous simulated fleet, at Ollama's defaults and with
 * clients that set their own context.
 *
 * - The fleet: four simulated hosts behind real agents and a real hub (`startDemoFleet`), with
 *   different VRAM (so that Ollama's default context differs: 4k under 23 GiB, 32k from 23 GiB,
 *   256k from 47 GiB, capped at the model's own) and different `OLLAMA_NUM_PARALLEL`; every host
 *   has all six models on disk and none loaded; Ollama's default keep_alive (5m).
 * - The workload ({@link buildWorkload}): Poisson arrivals of streamed `/api/generate`, models of
 *   2–19 GB with Zipf popularity, short replies; each request is sent with plain `fetch` at its
 *   planned time whatever the others are doing (open loop), and read to the end of its stream.
 *   Latency and time to first byte are counted from the planned time, so that a client that falls
 *   behind cannot hide a slow fleet.
 * - The scenarios: no options (`defaults`), `num_ctx: 8192` on every request (`pinned`), half 4096
 *   and half 16384 (`mixed`).
 * - The routers: `corral` (the hub as shipped), `least-connections` and `random`
 *   (`baseline_routers.ts`) with the hub's fleet policy off ({@link BASELINE_HUB_SETTINGS}), as a
 *   proxy that passes requests through unchanged, and `sticky`, the rules of the proxy Corral
 *   replaces (num_ctx 8192 and keep_alive 30m set where missing; stick to a loaded host).
 *
 * Each (router, scenario) pair gets a fresh, cold fleet; at the end each simulator's scheduler
 * says how many loads, reloads and evictions it did.
 *
 * @module
 */

import { type DemoFleet, type DemoHostSpec, startDemoFleet } from "../demo_fleet.ts";
import type { RouteFn } from "../../hub/dispatch.ts";
import { modelKey } from "../../shared/model_name.ts";
import { resolveProfile } from "../sim/profile.ts";
import type { SchedulerCounters } from "../sim/scheduler.ts";
import { sleep } from "./agent_bench.ts";
import { leastConnections, randomRouter, sticky, STICKY_HUB_SETTINGS } from "./baseline_routers.ts";
import {
  buildWorkload,
  checkTargets,
  MIXED_NUM_CTX,
  PINNED_NUM_CTX,
  type PlannedRequest,
  type RequestOutcome,
  type RouterName,
  ROUTERS,
  type RunSummary,
  type Scenario,
  SCENARIOS,
  summarize,
  zipfWeights,
} from "./workload.ts";

/** What {@link routingBench} runs. */
export interface RoutingBenchOptions {
  /** Requests per run. */
  requests: number;
  /** Mean arrivals per second, real time. */
  rate: number;
  /** Simulator speed: every simulated duration divided by this. */
  speed: number;
  seed: number;
  scenarios: readonly Scenario[];
  routers: readonly RouterName[];
}

/** The defaults of `deno task bench --only routing`: about 90 s a run, 9 runs. */
export const ROUTING_BENCH_DEFAULTS: RoutingBenchOptions = {
  requests: 1080,
  rate: 12,
  speed: 10,
  seed: 1,
  scenarios: SCENARIOS,
  routers: ROUTERS,
};

/** The models, most popular first (Zipf, {@link ZIPF_S}). Sizes 2.0 to 18.6 GB on disk. */
export const ROUTING_MODELS = [
  "qwen3:8b",
  "llama3.2:3b",
  "qwen3:30b",
  "gemma3:12b",
  "qwen3:14b",
  "qwen3:4b",
] as const;

/** The Zipf exponent of model popularity. */
export const ZIPF_S = 1.1;

const PROFILE = { reply_tokens: [16, 48] };
const models = [...ROUTING_MODELS];

/**
 * The fleet: 164 GiB of VRAM over four hosts whose default contexts and slots differ, so that the
 * same model takes 2.5 GiB on one and spills out of 80 GiB on another.
 */
export const ROUTING_HOSTS: readonly DemoHostSpec[] = [
  {
    name: "gpu-4090",
    preset: "rtx4090",
    preload: [],
    models,
    profile: { ...PROFILE, num_parallel: 2 },
  },
  {
    name: "gpu-3090x2",
    preset: "dual-3090",
    preload: [],
    models,
    profile: { ...PROFILE, num_parallel: 2 },
  },
  {
    name: "gpu-a100",
    preset: "a100",
    preload: [],
    models,
    profile: { ...PROFILE, num_parallel: 4 },
  },
  {
    name: "gpu-3060",
    preset: "rtx3060",
    preload: [],
    models,
    profile: { ...PROFILE, num_parallel: 1 },
  },
];

/**
 * The hub settings of the baseline runs: the fleet's context and keep-alive policy off, so that
 * requests reach Ollama as the client sent them (a plain proxy). The one place to change if the
 * hub's keys for "leave Ollama's own behaviour" differ. A hub that does not know the keys yet runs
 * without them (a warning says so): it has no such policy to turn off.
 */
export const BASELINE_HUB_SETTINGS: Record<string, unknown> = {
  routing: { num_ctx: "ollama", keep_alive: "ollama" },
};

/** A request that has not finished after this long (real ms) is a failure (`timeout`). */
const REQUEST_TIMEOUT_MS = 120_000;
/** How often progress goes to standard error. */
const PROGRESS_MS = 15_000;

/** One (router, scenario) run. */
export interface RoutingRun {
  router: RouterName;
  scenario: Scenario;
  summary: RunSummary;
  /** The simulators' load, reload and eviction counts, summed over the fleet. */
  counters: SchedulerCounters;
  /** Wall time of the workload, from the first arrival to the last answer, seconds. */
  seconds: number;
  /** The most a request was sent after its planned time, ms (the client keeping up). */
  maxSendLagMs: number;
  /** Per host: loads. */
  loadsByHost: Record<string, number>;
}

/**
 * Another decision under a router's name, for comparing e.g. an older `route()` from git on the
 * same fleet and workload (scripts only; the bench itself never passes one).
 */
export interface RouterOverride {
  route: RouteFn;
  /** The hub's settings for the run. @default {@link BASELINE_HUB_SETTINGS} */
  hub?: Record<string, unknown>;
}

/** Starts a cold fleet for one router, with the baselines' settings where the hub knows them. */
async function startFleet(
  router: RouterName,
  speed: number,
  seed: number,
  override: RouterOverride | undefined,
): Promise<DemoFleet> {
  const route: RouteFn | undefined = override
    ? override.route
    : router === "least-connections"
    ? leastConnections
    : router === "random"
    ? randomRouter(seed)
    : router === "sticky"
    ? sticky
    : undefined;
  const settings = override
    ? override.hub ?? BASELINE_HUB_SETTINGS
    : router === "corral"
    ? {}
    : router === "sticky"
    ? STICKY_HUB_SETTINGS
    : BASELINE_HUB_SETTINGS;
  const fleet = await startDemoFleet({ specs: ROUTING_HOSTS, speed, hub: settings, route });
  // Ready when the hub knows every model is on every host's disk.
  const keys = ROUTING_MODELS.map((m) => modelKey(m)!);
  const deadline = performance.now() + 15_000;
  while (!fleet.hub.registry.routeHosts().every((h) => keys.every((k) => h.onDisk.has(k)))) {
    if (performance.now() > deadline) {
      await fleet.stop();
      throw new Error("The hub did not see every model on every host's disk within 15 s");
    }
    await sleep(20);
  }
  return fleet;
}

/** Sends one planned request at `due` (a `performance.now()` time) and reads its stream. */
async function send(url: string, planned: PlannedRequest, due: number): Promise<RequestOutcome> {
  let ttfbMs: number | null = null;
  let route: string | null = null;
  let host: string | null = null;
  const outcome = (failure: string | null): RequestOutcome => ({
    ok: failure === null,
    latencyMs: performance.now() - due,
    ttfbMs,
    route,
    host,
    failure,
  });
  const body: Record<string, unknown> = {
    model: planned.model,
    prompt: planned.prompt,
    stream: true,
  };
  if (planned.numCtx !== null) body.options = { num_ctx: planned.numCtx };
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    route = response.headers.get("x-corral-route")?.split(/[\s;,]/, 1)[0] || null;
    host = response.headers.get("x-corral-host");
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => "");
      return { ...outcome(`http ${response.status}`), detail: text.slice(0, 200) };
    }
    // Only the last line matters (the final metrics, or an error): keep the stream's tail.
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let tail = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (ttfbMs === null) ttfbMs = performance.now() - due;
      tail = (tail + decoder.decode(value, { stream: true })).slice(-4096);
    }
    const last = tail.trimEnd().split("\n").at(-1) ?? "";
    let line: { done?: unknown; error?: unknown } = {};
    try {
      line = JSON.parse(last);
    } catch {
      return outcome("bad stream");
    }
    if (line.error !== undefined) {
      return { ...outcome("stream error"), detail: String(line.error).slice(0, 200) };
    }
    return outcome(line.done === true ? null : "truncated");
  } catch (error) {
    return outcome((error as Error).name === "TimeoutError" ? "timeout" : "connection");
  }
}

/**
 * Runs one router on one scenario: a fresh fleet, the seeded workload, the simulators' counts.
 *
 * @param log Progress lines (standard error in the bench).
 */
export async function runRoutingCase(
  router: RouterName,
  scenario: Scenario,
  options: Pick<RoutingBenchOptions, "requests" | "rate" | "speed" | "seed">,
  log: (line: string) => void = () => {},
  override?: RouterOverride,
): Promise<RoutingRun> {
  const plan = buildWorkload({
    requests: options.requests,
    ratePerSecond: options.rate,
    models: ROUTING_MODELS,
    zipfS: ZIPF_S,
    seed: options.seed,
    scenario,
  });
  const fleet = await startFleet(router, options.speed, options.seed, override);
  try {
    const url = `${fleet.hub.url}/api/generate`;
    const outcomes: Promise<RequestOutcome>[] = [];
    let results: RequestOutcome[];
    let done = 0;
    let failed = 0;
    let maxSendLagMs = 0;
    const t0 = performance.now();
    const progress = setInterval(() => {
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      log(
        `  ${router}/${scenario}: ${s} s, ${outcomes.length} sent, ${done} done, ${failed} failed`,
      );
    }, PROGRESS_MS);
    try {
      for (const planned of plan) {
        const due = t0 + planned.atMs;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
        outcomes.push(
          send(url, planned, due).then((o) => {
            done++;
            if (!o.ok) failed++;
            return o;
          }),
        );
      }
      results = await Promise.all(outcomes);
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - t0) / 1000;
    const firstFailure = results.find((o) => !o.ok);
    if (firstFailure) {
      log(
        `  first failure: ${firstFailure.failure}${
          firstFailure.detail ? ` ${firstFailure.detail}` : ""
        } (host ${firstFailure.host ?? "none"})`,
      );
    }
    const perHost = fleet.hosts.map((h) => h.sim.sim.scheduler.counters);
    const counters = perHost.reduce<SchedulerCounters>((sum, c) => ({
      loads: sum.loads + c.loads,
      reloads: sum.reloads + c.reloads,
      evictions: sum.evictions + c.evictions,
    }), { loads: 0, reloads: 0, evictions: 0 });
    const loadsByHost = Object.fromEntries(
      fleet.hosts.map((h, i) => [h.spec.name, perHost[i]!.loads]),
    );
    return {
      router,
      scenario,
      summary: summarize(results),
      counters,
      seconds,
      maxSendLagMs,
      loadsByHost,
    };
  } finally {
    await fleet.stop();
  }
}

const seconds = (ms: number) =>
  !Number.isFinite(ms) ? "–" : ms < 1000 ? (ms / 1000).toFixed(3) : (ms / 1000).toFixed(2);
const GIB = 1024 ** 3;

/** "gpu-4090 (24 GiB, 2 slots)": the host as its simulator's profile describes it. */
function describeHost(spec: DemoHostSpec): string {
  const profile = resolveProfile({ preset: spec.preset, overrides: { ...spec.profile } });
  const vram = profile.gpus.reduce((sum, gpu) => sum + gpu.vram, 0) / GIB;
  const slots = profile.numParallel;
  return `${spec.name} (${vram} GiB, ${slots} slot${slots === 1 ? "" : "s"})`;
}

const SCENARIO_TITLES: Record<Scenario, string> = {
  defaults: "clients send no options (Ollama's defaults)",
  pinned: `every client sends \`num_ctx: ${PINNED_NUM_CTX}\``,
  mixed: `half the requests send \`num_ctx: ${MIXED_NUM_CTX[0]}\`, half \`${MIXED_NUM_CTX[1]}\``,
};

/** The runs as a Markdown section for BENCHMARKS.md. */
export function routingBenchReport(
  options: RoutingBenchOptions,
  runs: readonly RoutingRun[],
): string {
  const lines: string[] = [];
  const weights = zipfWeights(ROUTING_MODELS.length, ZIPF_S);
  lines.push(
    `### Routing: ${ROUTING_HOSTS.length} hosts, ${ROUTING_MODELS.length} models, ${options.requests} requests at ${options.rate}/s (simulator ×${options.speed}, seed ${options.seed})`,
    "",
    `Hosts: ${
      ROUTING_HOSTS.map(describeHost).join(", ")
    }; all models on every disk, none loaded; keep_alive 5m; replies ${
      PROFILE.reply_tokens.join("–")
    } tokens.`,
    `Models by popularity (Zipf s=${ZIPF_S}): ${
      ROUTING_MODELS.map((m, i) => `${m} ${(weights[i]! * 100).toFixed(0)} %`).join(", ")
    }. Latency and TTFB in seconds from each request's planned arrival; percentiles of successful requests.`,
  );
  for (const scenario of SCENARIOS) {
    const these = runs.filter((r) => r.scenario === scenario);
    if (these.length === 0) continue;
    lines.push(
      "",
      `#### Routing: ${SCENARIO_TITLES[scenario]}`,
      "",
      "| router | requests | failures | p50 | p95 | p99 | TTFB p50 | TTFB p95 | cold loads | reloads | evictions | routes | run s |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    );
    for (const run of these) {
      const s = run.summary;
      const routes = Object.entries(s.routes).sort(([, a], [, b]) => b - a)
        .map(([name, n]) => `${name} ${n}`).join(", ");
      const c = run.counters;
      lines.push(
        `| ${run.router} | ${s.requests} | ${s.failures} | ${seconds(s.p50Ms)} | ${
          seconds(s.p95Ms)
        } | ${seconds(s.p99Ms)} | ${seconds(s.ttfbP50Ms)} | ${
          seconds(s.ttfbP95Ms)
        } | ${c.loads} | ${c.reloads} | ${c.evictions} | ${routes} | ${run.seconds.toFixed(0)} |`,
      );
    }
    const failing = these.filter((r) => r.summary.failures > 0);
    for (const run of failing) {
      const kinds = Object.entries(run.summary.failureKinds).map(([k, n]) => `${k} ${n}`).join(
        ", ",
      );
      lines.push("", `Failures of ${run.router}: ${kinds}.`);
    }
  }
  const byKey = new Map(runs.map((r) => [`${r.router}/${r.scenario}`, r]));
  const checks = checkTargets((router, scenario) => {
    const run = byKey.get(`${router}/${scenario}`);
    return run && { p95Ms: run.summary.p95Ms, coldLoads: run.counters.loads };
  });
  lines.push(
    "",
    "#### Routing: the issue's targets",
    "",
    "| target | measured | at most | holds |",
    "|---|---:|---:|---|",
  );
  for (const check of checks) {
    const measured = check.ratio === null ? "–" : check.ratio.toFixed(3);
    const holds = check.holds === null ? "not run" : check.holds ? "yes" : "**no**";
    lines.push(`| ${check.what} | ${measured} | ${check.limit} | ${holds} |`);
  }
  const checked = checks.filter((c) => c.holds !== null);
  const held = checked.filter((c) => c.holds).length;
  lines.push(
    "",
    checked.length === 0
      ? "No target could be checked: run `corral` and `least-connections` on `defaults` at least."
      : `${held} of ${checked.length} checked targets hold${
        checked.length < checks.length ? ` (${checks.length - checked.length} not run)` : ""
      }.`,
  );
  return lines.join("\n");
}

/**
 * Runs every (router, scenario) pair asked for, scenario by scenario, and reports them.
 *
 * @returns The Markdown section.
 */
export async function routingBench(options: Partial<RoutingBenchOptions> = {}): Promise<string> {
  const o: RoutingBenchOptions = { ...ROUTING_BENCH_DEFAULTS, ...options };
  const runs: RoutingRun[] = [];
  const total = o.scenarios.length * o.routers.length;
  for (const scenario of o.scenarios) {
    for (const router of o.routers) {
      console.error(
        `routing ${
          runs.length + 1
        }/${total}: ${router}, ${scenario}, ${o.requests} requests at ${o.rate}/s`,
      );
      const run = await runRoutingCase(router, scenario, o, (line) => console.error(line));
      const s = run.summary;
      console.error(
        `  done in ${run.seconds.toFixed(0)} s: p50 ${seconds(s.p50Ms)} s, p95 ${
          seconds(s.p95Ms)
        } s, ${s.failures} failed, ${run.counters.loads} loads (${
          Object.entries(run.loadsByHost).map(([h, n]) => `${h} ${n}`).join(", ")
        }); requests by host: ${
          Object.entries(s.hosts).map(([h, n]) => `${h} ${n}`).join(", ")
        }; max send lag ${run.maxSendLagMs.toFixed(0)} ms`,
      );
      runs.push(run);
    }
  }
  return routingBenchReport(o, runs);
}
