/**
 * The routing benchmark's pure parts: the seeded open-loop workload (Poisson arrivals, Zipf model
 * popularity, the clients' `num_ctx` per scenario), the summary of one run's outcomes, and the
 * issue's targets checked on the summaries (issue 13, "Done means").
 *
 * @module
 */

import { rng } from "../sim/text.ts";
import { quantile } from "./load.ts";

/** What the clients send: nothing (Ollama's defaults), all one `num_ctx`, or a mix of two. */
export const SCENARIOS = ["defaults", "pinned", "mixed"] as const;
export type Scenario = typeof SCENARIOS[number];

/** The routers compared. `corral` is the hub's own; the others are `baseline_routers.ts`. */
export const ROUTERS = ["corral", "least-connections", "random", "sticky"] as const;
export type RouterName = typeof ROUTERS[number];

/** The `num_ctx` every client sends in the `pinned` scenario. */
export const PINNED_NUM_CTX = 8192;
/** The two `num_ctx` of the `mixed` scenario, each sent by half the requests. */
export const MIXED_NUM_CTX = [4096, 16384] as const;

/** What {@link buildWorkload} makes. */
export interface WorkloadOptions {
  requests: number;
  /** Mean arrivals per second (real time). */
  ratePerSecond: number;
  /** The models, most popular first. */
  models: readonly string[];
  /** The Zipf exponent of popularity: the model of rank k is asked for in proportion to k^-s. */
  zipfS: number;
  seed: number;
  scenario: Scenario;
}

/** One request of the workload. */
export interface PlannedRequest {
  /** Its index in the workload. */
  seq: number;
  /** When to send it, in ms after the run's start. */
  atMs: number;
  model: string;
  prompt: string;
  /** `options.num_ctx` to send, or `null` for none. */
  numCtx: number | null;
}

/** Zipf weights for `n` ranks with exponent `s`, normalised to sum to 1. */
export function zipfWeights(n: number, s: number): number[] {
  const raw = Array.from({ length: n }, (_, k) => Math.pow(k + 1, -s));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
}

const TOPICS = [
  "the river at dawn",
  "a small garden",
  "load balancing",
  "the morning train",
  "a quiet library",
  "mountain weather",
  "a good cup of tea",
  "the city at night",
];

/**
 * The seeded workload. Arrivals and models come from one generator and the clients' contexts from
 * another, so every scenario of a seed has the same arrival times, models and prompts and differs
 * only in the `num_ctx` it sends.
 *
 * @throws {RangeError} When a count or rate is not positive, or no model is given.
 */
export function buildWorkload(options: WorkloadOptions): PlannedRequest[] {
  const { requests, ratePerSecond, models, zipfS, seed, scenario } = options;
  if (!(Number.isInteger(requests) && requests > 0)) {
    throw new RangeError(`Cannot build a workload of ${requests} requests: need an integer ≥ 1`);
  }
  if (!(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
    throw new RangeError(`Cannot build a workload at ${ratePerSecond} requests/s: need > 0`);
  }
  if (models.length === 0) throw new RangeError("Cannot build a workload without models");
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of zipfWeights(models.length, zipfS)) cumulative.push(acc += w);
  const rand = rng(seed);
  const contexts = rng(seed ^ 0x5bd1e995);
  const planned: PlannedRequest[] = [];
  let atMs = 0;
  for (let seq = 0; seq < requests; seq++) {
    // Exponential gaps: a Poisson process. 1 - u is in (0, 1], so the log is finite.
    atMs += -Math.log(1 - rand()) / ratePerSecond * 1000;
    const u = rand();
    let rank = cumulative.findIndex((c) => u < c);
    if (rank < 0) rank = models.length - 1;
    const topic = TOPICS[Math.floor(rand() * TOPICS.length)]!;
    const pick = contexts();
    const numCtx = scenario === "pinned"
      ? PINNED_NUM_CTX
      : scenario === "mixed"
      ? MIXED_NUM_CTX[pick < 0.5 ? 0 : 1]
      : null;
    planned.push({
      seq,
      atMs,
      model: models[rank]!,
      prompt: `Request ${seq}: write two short sentences about ${topic}.`,
      numCtx,
    });
  }
  return planned;
}

/** How one request went, as the client saw it. */
export interface RequestOutcome {
  ok: boolean;
  /** From its planned arrival to the stream's last byte (or the failure), ms. */
  latencyMs: number;
  /** From its planned arrival to the first byte of the body, ms; `null` when none came. */
  ttfbMs: number | null;
  /** The first word of `X-Corral-Route`, or `null` when there was none. */
  route: string | null;
  /** `X-Corral-Host`, or `null`. */
  host: string | null;
  /** What went wrong, in a word or two (`http 503`, `stream error`, `timeout`); `null` when ok. */
  failure: string | null;
  /** The start of the error's text, when there was one. */
  detail?: string;
}

/** One run's figures. Percentiles are of successful requests only. */
export interface RunSummary {
  requests: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  ttfbP50Ms: number;
  ttfbP95Ms: number;
  /** Successful requests by route reason. */
  routes: Record<string, number>;
  /** Requests by the host that served them (failures included, when a host answered). */
  hosts: Record<string, number>;
  /** Failures by kind. */
  failureKinds: Record<string, number>;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Summarises one run. */
export function summarize(outcomes: readonly RequestOutcome[]): RunSummary {
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  const routes: Record<string, number> = {};
  const hosts: Record<string, number> = {};
  const failureKinds: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.host !== null) bump(hosts, o.host);
    if (!o.ok) {
      bump(failureKinds, o.failure ?? "unknown");
      continue;
    }
    latencies.push(o.latencyMs);
    if (o.ttfbMs !== null) ttfbs.push(o.ttfbMs);
    bump(routes, o.route ?? "none");
  }
  latencies.sort((a, b) => a - b);
  ttfbs.sort((a, b) => a - b);
  return {
    requests: outcomes.length,
    failures: outcomes.length - latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    p99Ms: quantile(latencies, 0.99),
    ttfbP50Ms: quantile(ttfbs, 0.5),
    ttfbP95Ms: quantile(ttfbs, 0.95),
    routes,
    hosts,
    failureKinds,
  };
}

/** What the targets compare of one run. */
export interface TargetFigures {
  p95Ms: number;
  /** Model loads over the fleet; `null` when the simulators could not say. */
  coldLoads: number | null;
}

/** One target of the issue, checked. */
export interface TargetCheck {
  /** What is compared, in words. */
  what: string;
  /** The measured ratio (or `null` when a run is missing or a figure unknown). */
  ratio: number | null;
  /** The most the ratio may be. */
  limit: number;
  /** Whether it holds; `null` when it could not be checked. */
  holds: boolean | null;
}

/** "Corral p95 / least-connections p95" at defaults and with mixed contexts: at most this. */
export const P95_RATIO_LIMIT = 0.5;
/** "Corral cold loads / least-connections cold loads" at defaults: at most this. */
export const DEFAULTS_LOADS_RATIO_LIMIT = 0.1;
/** The same with mixed contexts. */
export const MIXED_LOADS_RATIO_LIMIT = 0.5;
/**
 * "With pinned contexts no worse than at defaults": Corral pinned / Corral at defaults, at most
 * this, so that run-to-run noise on this shared machine (a few ms of p95, a load or two) does not
 * decide it. Set to 1 for the strict reading.
 */
export const NO_WORSE_LIMIT = 1.1;

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  if (b === 0) return a === 0 ? 1 : Infinity;
  return a / b;
}

/**
 * Checks the targets on whatever runs there are.
 *
 * @param figures The figures of a (router, scenario) run, or `undefined` when it was not run.
 */
export function checkTargets(
  figures: (router: RouterName, scenario: Scenario) => TargetFigures | undefined,
): TargetCheck[] {
  // Corral in a scenario against a router in a scenario: p95 and cold loads, each with its limit.
  const targets: [Scenario, RouterName, Scenario, p95: number, loads: number][] = [
    ["defaults", "least-connections", "defaults", P95_RATIO_LIMIT, DEFAULTS_LOADS_RATIO_LIMIT],
    ["pinned", "corral", "defaults", NO_WORSE_LIMIT, NO_WORSE_LIMIT],
    ["mixed", "least-connections", "mixed", P95_RATIO_LIMIT, MIXED_LOADS_RATIO_LIMIT],
    // Against the rules of the proxy Corral replaces (the `sticky` baseline): at least as good at
    // defaults, twice as good with mixed contexts.
    ["defaults", "sticky", "defaults", 1, 1],
    ["mixed", "sticky", "mixed", 0.5, 0.5],
  ];
  const checks: TargetCheck[] = [];
  for (const [scenario, against, againstScenario, p95Limit, loadsLimit] of targets) {
    const mine = figures("corral", scenario);
    const theirs = figures(against, againstScenario);
    const them = against === "corral" ? "Corral" : against;
    const at = againstScenario === scenario ? "" : ` at ${againstScenario}`;
    const add = (metric: string, r: number | null, limit: number) =>
      checks.push({
        what: `${scenario}: Corral ${metric} / ${them} ${metric}${at}`,
        ratio: r,
        limit,
        holds: r === null ? null : r <= limit,
      });
    add("p95", ratio(mine?.p95Ms, theirs?.p95Ms), p95Limit);
    add("cold loads", ratio(mine?.coldLoads, theirs?.coldLoads), loadsLimit);
  }
  return checks;
}
