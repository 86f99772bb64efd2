/**
 * The router against its budget: "a decision in at most 50 µs for 50 hosts with 200 models each".
 *
 * Builds a seeded, mixed fleet (models loaded, busy, on disk only, hot, degraded, disk full) and a
 * mixed stream of requests (mostly models loaded somewhere, some only on disk, pulls, blob uploads,
 * unknown models, retries), then times each `route()` call on its own with `performance.now()`
 * (whose own cost, well under 0.1 µs, is included).
 *
 * ```
 * deno run scripts/bench/router_bench.ts [--decisions N]   # exits 1 when p50 is over budget
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { InFlight, RouteHost, RouteModel } from "../../hub/host.ts";
import type { ModelShape } from "../../shared/protocol.ts";
import { route, type RouteRequest, type RouteStats } from "../../hub/router.ts";
import { rng } from "../sim/text.ts";

/** The budget for one decision's median, in microseconds. */
export const ROUTER_BUDGET_P50_US = 50;

/** What {@link runRouterBench} builds and how long it runs. */
export interface RouterBenchOptions {
  /** Hosts in the fleet. @default {50} */
  hosts?: number;
  /** Models on disk per host. @default {200} */
  modelsPerHost?: number;
  /** Timed decisions. @default {200_000} */
  decisions?: number;
  /** Untimed decisions first, so the JIT has compiled `route()`. @default {20_000} */
  warmup?: number;
  /** Seed of the fleet and the request stream. @default {1} */
  seed?: number;
}

/** The figures of one run, in microseconds per decision. */
export interface RouterBenchResult {
  hosts: number;
  modelsPerHost: number;
  decisions: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  /** How many decisions ended with each reason or failure, to show the mix was mixed. */
  outcomes: Record<string, number>;
}

const GB = 1e9;

function key(i: number): string {
  return `registry.ollama.ai/library/model-${i}:latest`;
}

/** In-flight counts as the hub would keep them: per host, per model, and a running total. */
class FleetInFlight implements InFlight {
  #byHost = new Map<string, Map<string, number>>();
  #totals = new Map<string, number>();
  add(hostId: string, model: string, n: number): void {
    let models = this.#byHost.get(hostId);
    if (models === undefined) this.#byHost.set(hostId, models = new Map());
    models.set(model, (models.get(model) ?? 0) + n);
    this.#totals.set(hostId, (this.#totals.get(hostId) ?? 0) + n);
  }
  of(hostId: string, model: string): number {
    return this.#byHost.get(hostId)?.get(model) ?? 0;
  }
  total(hostId: string): number {
    return this.#totals.get(hostId) ?? 0;
  }
  youngestAgeMs(): number {
    return 0;
  }
  contextOf(): number | null {
    return 8192;
  }
  /** As the hub's table keeps them: one map per host, kept up to date, not built per call. */
  models(hostId: string): ReadonlyMap<string, number | null> {
    return this.#contexts.get(hostId) ?? NONE;
  }
  #contexts = new Map<string, Map<string, number | null>>();
  /** Marks every model in flight as sent with the policy's context. */
  seal(): void {
    for (const [hostId, models] of this.#byHost) {
      this.#contexts.set(hostId, new Map([...models.keys()].map((m) => [m, 8192])));
    }
  }
}

const NONE: ReadonlyMap<string, number | null> = new Map();

/** A 32-layer model's attention, with 8 KV heads of 128: 128 KiB of KV cache per token. */
const SHAPE: ModelShape = {
  architecture: "llama",
  blockCount: 32,
  headCount: 32,
  headCountKv: 8,
  keyLength: 128,
  valueLength: 128,
  embeddingLength: 4096,
  contextLength: 131072,
  embedding: false,
};

function disk(size: number): RouteModel {
  return { size, contextLength: null, shape: SHAPE };
}

/** Builds the fleet: a catalogue twice the size of one host's shelf, popular models loaded. */
function buildFleet(hostCount: number, modelsPerHost: number, rand: () => number) {
  const catalogue = modelsPerHost * 2;
  const popular = 20;
  const hosts: RouteHost[] = [];
  const inFlight = new FleetInFlight();
  for (let h = 0; h < hostCount; h++) {
    const id = `host-${h}`;
    const onDisk = new Map<string, RouteModel>();
    for (let m = 0; m < popular; m++) onDisk.set(key(m), disk((1 + (m % 20)) * GB));
    while (onDisk.size < modelsPerHost) {
      const m = popular + Math.floor(rand() * (catalogue - popular));
      onDisk.set(key(m), disk((1 + (m % 40)) * GB));
    }
    const loaded = new Map<string, RouteModel>();
    const slots = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < 3; k++) {
      const m = key(Math.floor(rand() * popular));
      // Loaded with the policy's context or another one: some requests will need a reload.
      const contextLength = rand() < 0.8 ? 8192 : 4096;
      loaded.set(m, { size: onDisk.get(m)!.size * 1.2, contextLength, shape: null });
      const busy = Math.floor(rand() * (slots * 2 + 1)); // from idle to a queue of a slot's worth
      if (busy > 0) inFlight.add(id, m, busy);
    }
    const totalVram = [24, 48, 80, 96][h % 4]! * GB;
    hosts.push({
      id,
      name: `Host ${h}`,
      status: rand() < 0.1 ? "degraded" : "online",
      ollamaReachable: rand() > 0.02,
      slots,
      contextLength: 0,
      maxLoaded: 3 * (1 + (h % 2)),
      loaded,
      onDisk,
      freeVram: Math.floor(rand() * totalVram),
      totalVram,
      loadRate: (1 + rand() * 3) * GB,
      hot: rand() < 0.05,
      lowMemory: rand() < 0.05,
      diskFull: rand() < 0.1,
    });
  }
  inFlight.seal();
  return { hosts, inFlight, catalogue, popular };
}

/**
 * A mixed stream: 70 % popular models, 20 % models on some disks only, 4 % pulls (half of models
 * some host has), 2 % blob uploads, 3 % unknown models, 1 % retries that exclude a host.
 */
function buildRequests(
  count: number,
  fleet: ReturnType<typeof buildFleet>,
  rand: () => number,
): RouteRequest[] {
  const requests: RouteRequest[] = [];
  for (let seq = 0; seq < count; seq++) {
    const r = rand();
    const popular = key(Math.floor(rand() * fleet.popular));
    const shelf = key(fleet.popular + Math.floor(rand() * (fleet.catalogue - fleet.popular)));
    // Most requests carry the policy's context; some their own, some none (OpenAI's).
    const c = rand();
    const numCtx = c < 0.8 ? 8192 : c < 0.9 ? 16384 : null;
    if (r < 0.70) requests.push({ model: popular, purpose: "inference", seq, numCtx });
    else if (r < 0.90) requests.push({ model: shelf, purpose: "inference", seq, numCtx });
    else if (r < 0.92) requests.push({ model: shelf, purpose: "pull", seq });
    else if (r < 0.94) requests.push({ model: key(2e6 + seq), purpose: "pull", seq });
    else if (r < 0.96) requests.push({ model: null, purpose: "any", seq });
    else if (r < 0.99) requests.push({ model: key(1e6 + seq), purpose: "inference", seq });
    else {
      const tried = new Set([`host-${Math.floor(rand() * fleet.hosts.length)}`]);
      requests.push({ model: popular, purpose: "inference", seq, exclude: tried, numCtx });
    }
  }
  return requests;
}

/**
 * Runs the router benchmark.
 *
 * @param options Fleet size and run length.
 * @returns Per-decision figures in microseconds.
 */
export function runRouterBench(options: RouterBenchOptions = {}): RouterBenchResult {
  const {
    hosts: hostCount = 50,
    modelsPerHost = 200,
    decisions = 200_000,
    warmup = 20_000,
    seed = 1,
  } = options;
  const rand = rng(seed); // Seeded: the same fleet and requests on every run.
  const fleet = buildFleet(hostCount, modelsPerHost, rand);
  const requests = buildRequests(warmup + decisions, fleet, rand);
  const runMs = new Map<string, number>();
  const stats: RouteStats = {
    expectedRunMs: (model) => runMs.get(model) ?? 10_000,
    // Popular models are in demand (evictions cost something), the rest barely.
    arrivalRate: (model) => runMs.has(model) ? 0.5 : 0.001,
    overhead: () => 400e6,
  };
  for (let m = 0; m < fleet.popular; m++) runMs.set(key(m), 500 + m * 400);

  const outcomes: Record<string, number> = {};
  for (let i = 0; i < warmup; i++) route(fleet.hosts, fleet.inFlight, requests[i]!, stats);
  const times = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    const request = requests[warmup + i]!;
    const start = performance.now();
    const result = route(fleet.hosts, fleet.inFlight, request, stats);
    times[i] = performance.now() - start;
    const outcome = result.ok ? result.choice.reason : result.failure;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  let sum = 0;
  for (const t of times) sum += t;
  times.sort();
  const at = (q: number) => times[Math.min(decisions - 1, Math.ceil(q * decisions) - 1)]! * 1000;
  return {
    hosts: hostCount,
    modelsPerHost,
    decisions,
    p50Us: at(0.5),
    p99Us: at(0.99),
    meanUs: sum / decisions * 1000,
    maxUs: times[decisions - 1]! * 1000,
    outcomes,
  };
}

/** The figures as a Markdown section for BENCHMARKS.md. */
export function routerBenchReport(result: RouterBenchResult): string {
  const f = (us: number) => us.toFixed(2);
  const verdict = result.p50Us <= ROUTER_BUDGET_P50_US ? "within" : "OVER";
  const mix = Object.entries(result.outcomes).sort(([, a], [, b]) => b - a)
    .map(([name, n]) => `${name} ${(n / result.decisions * 100).toFixed(1)} %`).join(", ");
  return [
    `### Router: ${result.hosts} hosts × ${result.modelsPerHost} models, ${result.decisions} decisions`,
    "",
    "| p50 µs | p99 µs | mean µs | max µs | budget p50 µs |",
    "|---|---|---|---|---|",
    `| ${f(result.p50Us)} | ${f(result.p99Us)} | ${f(result.meanUs)} | ${
      f(result.maxUs)
    } | ${ROUTER_BUDGET_P50_US} (${verdict}) |`,
    "",
    `Outcomes: ${mix}.`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { decisions: { type: "string" } },
    strict: true,
  });
  const decisions = values.decisions === undefined ? undefined : Number(values.decisions);
  if (decisions !== undefined && !(Number.isInteger(decisions) && decisions > 0)) {
    console.error(`--decisions must be a positive integer, not ${values.decisions}`);
    Deno.exit(2);
  }
  const result = runRouterBench({ decisions });
  console.log(routerBenchReport(result));
  if (result.p50Us > ROUTER_BUDGET_P50_US) Deno.exit(1);
}
