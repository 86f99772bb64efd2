/**
 * `deno task bench`: runs the benchmarks and prints a Markdown report to paste into BENCHMARKS.md.
 *
 * ```
 * deno task bench                                  # everything
 * deno task bench --only agent --warmup 30 --window 60
 * deno task bench --only hub --requests 4000 --streams 20
 * deno task bench --only history --days 7 --hosts 20
 * deno task bench --only router
 * deno task bench --only routing --scenarios defaults --routers corral,least-connections
 * deno task bench --only dashboard --hosts 50 --seconds 20
 * ```
 *
 * Progress goes to standard error, the report to standard output.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AGENT_BENCH_DEFAULTS, agentBench } from "./agent_bench.ts";
import { DASHBOARD_BENCH_DEFAULTS, dashboardBench } from "./dashboard_bench.ts";
import {
  HISTORY_BENCH_DEFAULTS,
  HISTORY_PARTS,
  historyBench,
  type HistoryPart,
} from "./history_bench.ts";
import { HUB_BENCH_DEFAULTS, hubBench } from "./hub_bench.ts";
import { routerBenchReport, runRouterBench } from "./router_bench.ts";
import { ROUTING_BENCH_DEFAULTS, routingBench } from "./routing_bench.ts";
import { simBench } from "./sim_bench.ts";
import { type RouterName, ROUTERS, type Scenario, SCENARIOS } from "./workload.ts";

const HELP = `Usage: deno task bench [options]

Options:
  --only NAME        run one benchmark: sim, agent, hub, history, router, routing or dashboard
                     (default: all)
  --warmup S         agent: seconds before the steady-state window (default ${AGENT_BENCH_DEFAULTS.warmupSeconds})
  --window S         agent: seconds of steady-state sampling (default ${AGENT_BENCH_DEFAULTS.windowSeconds})
  --requests N       agent, hub and history: requests per path (per hub for history) and concurrency
                     (default ${AGENT_BENCH_DEFAULTS.requests} for the agent, ${HUB_BENCH_DEFAULTS.requests} for the hub, ${HISTORY_BENCH_DEFAULTS.requests} for history);
                     routing: requests per run (default ${ROUTING_BENCH_DEFAULTS.requests})
  --streams N        agent and hub: streamed generates per path, 0 to skip
                     (default ${AGENT_BENCH_DEFAULTS.streams} for the agent, ${HUB_BENCH_DEFAULTS.streams} for the hub)
  --rows N           history: request rows written in one burst (default ${HISTORY_BENCH_DEFAULTS.burstRows})
  --seconds S        history: seconds of writes at ${HISTORY_BENCH_DEFAULTS.sustainedRate} rows/s (default ${HISTORY_BENCH_DEFAULTS.sustainedSeconds});
                     dashboard: seconds the big fleet's page is watched (default ${DASHBOARD_BENCH_DEFAULTS.seconds})
  --days N           history: days of generated history to query (default ${HISTORY_BENCH_DEFAULTS.days})
  --hosts N          history: hosts in the generated fleet (default ${HISTORY_BENCH_DEFAULTS.hosts});
                     dashboard: hosts in the big fleet (default ${DASHBOARD_BENCH_DEFAULTS.hosts})
  --parts LIST       history: some of ${HISTORY_PARTS.join(",")} (default all)
  --decisions N      router: timed routing decisions (default 200000)
  --rate R           routing: mean arrivals per second (default ${ROUTING_BENCH_DEFAULTS.rate})
  --speed X          routing: simulator speed (default ${ROUTING_BENCH_DEFAULTS.speed})
  --seed N           routing: the workload's seed (default ${ROUTING_BENCH_DEFAULTS.seed})
  --scenarios LIST   routing: some of ${SCENARIOS.join(",")} (default all)
  --routers LIST     routing: some of ${ROUTERS.join(",")} (default all)
  -h, --help         this help`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  Deno.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string" },
      warmup: { type: "string" },
      window: { type: "string" },
      requests: { type: "string" },
      streams: { type: "string" },
      rows: { type: "string" },
      seconds: { type: "string" },
      days: { type: "string" },
      hosts: { type: "string" },
      parts: { type: "string" },
      decisions: { type: "string" },
      rate: { type: "string" },
      speed: { type: "string" },
      seed: { type: "string" },
      scenarios: { type: "string" },
      routers: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
const BENCHES = ["sim", "agent", "hub", "history", "router", "routing", "dashboard"] as const;
type Bench = typeof BENCHES[number];
if (values.only !== undefined && !(BENCHES as readonly string[]).includes(values.only)) {
  fail(`--only must be one of ${BENCHES.join(", ")}, not ${JSON.stringify(values.only)}`);
}
const runs = (bench: Bench) => values.only === undefined || values.only === bench;
function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, not ${value}`);
  return n;
}
const defined = <T extends object>(options: T): Partial<T> =>
  Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
const agentOptions = defined({
  warmupSeconds: count("warmup", values.warmup, 0),
  windowSeconds: count("window", values.window, 1),
  requests: count("requests", values.requests, 1),
  streams: count("streams", values.streams, 0),
});
const hubOptions = defined({
  requests: count("requests", values.requests, 1),
  streams: count("streams", values.streams, 0),
});
function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) fail(`--${name} must be a number > 0, not ${value}`);
  return n;
}
function listOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(",").map((p) => p.trim());
  const bad = list.filter((p) => !(allowed as readonly string[]).includes(p));
  if (bad.length > 0 || list.length === 0) {
    fail(`--${name} must list some of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
  }
  return list as T[];
}
const parts = (value: string | undefined) => listOf<HistoryPart>("parts", value, HISTORY_PARTS);
const historyOptions = defined({
  requests: count("requests", values.requests, 1),
  burstRows: count("rows", values.rows, 1),
  sustainedSeconds: count("seconds", values.seconds, 1),
  days: count("days", values.days, 1),
  hosts: count("hosts", values.hosts, 1),
  parts: parts(values.parts),
});
const decisions = count("decisions", values.decisions, 1);
const routingOptions = defined({
  requests: count("requests", values.requests, 1),
  rate: positive("rate", values.rate),
  speed: positive("speed", values.speed),
  seed: count("seed", values.seed, 0),
  scenarios: listOf<Scenario>("scenarios", values.scenarios, SCENARIOS),
  routers: listOf<RouterName>("routers", values.routers, ROUTERS),
});
const dashboardOptions = defined({
  hosts: count("hosts", values.hosts, 1),
  seconds: count("seconds", values.seconds, 1),
});

// Deno wants --allow-all for /proc/cpuinfo; lscpu says the same under --allow-run.
const lscpu = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output()
  .then((out) => new TextDecoder().decode(out.stdout), () => "");
const cpu = /Model name:\s*(.*)/.exec(lscpu)?.[1] ?? "unknown CPU";
console.log(
  `## ${
    new Date().toISOString().slice(0, 10)
  }: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores (${cpu})\n`,
);
const sections: (() => Promise<string> | string)[] = [];
if (runs("sim")) sections.push(simBench);
if (runs("agent")) sections.push(() => agentBench(agentOptions));
if (runs("hub")) sections.push(() => hubBench(hubOptions));
if (runs("history")) sections.push(() => historyBench(historyOptions));
if (runs("dashboard")) sections.push(() => dashboardBench(dashboardOptions));
if (runs("routing")) sections.push(() => routingBench(routingOptions));
// Last, alone: nothing else runs in the process while route() is timed.
if (runs("router")) sections.push(() => routerBenchReport(runRouterBench({ decisions })));
for (const [i, section] of sections.entries()) {
  if (i > 0) console.log();
  console.log(await section());
}
