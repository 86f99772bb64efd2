/**
 * `deno task bench`: runs the benchmarks and prints a Markdown report to paste into BENCHMARKS.md.
 *
 * ```
 * deno task bench                                  # everything
 * deno task bench --only agent --warmup 30 --window 60
 * ```
 *
 * Progress goes to standard error, the report to standard output.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AGENT_BENCH_DEFAULTS, agentBench } from "./agent_bench.ts";
import { simBench } from "./sim_bench.ts";

const HELP = `Usage: deno task bench [options]

Options:
  --only sim|agent   run one benchmark (default: all)
  --warmup S         agent: seconds before the steady-state window (default ${AGENT_BENCH_DEFAULTS.warmupSeconds})
  --window S         agent: seconds of steady-state sampling (default ${AGENT_BENCH_DEFAULTS.windowSeconds})
  --requests N       agent: requests per path and concurrency (default ${AGENT_BENCH_DEFAULTS.requests})
  --streams N        agent: streamed generates per path, 0 to skip (default ${AGENT_BENCH_DEFAULTS.streams})
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
if (values.only !== undefined && values.only !== "sim" && values.only !== "agent") {
  fail(`--only must be sim or agent, not ${JSON.stringify(values.only)}`);
}
function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, not ${value}`);
  return n;
}
const agentOptions = {
  warmupSeconds: count("warmup", values.warmup, 0),
  windowSeconds: count("window", values.window, 1),
  requests: count("requests", values.requests, 1),
  streams: count("streams", values.streams, 0),
};

// Deno wants --allow-all for /proc/cpuinfo; lscpu says the same under --allow-run.
const lscpu = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output()
  .then((out) => new TextDecoder().decode(out.stdout), () => "");
const cpu = /Model name:\s*(.*)/.exec(lscpu)?.[1] ?? "unknown CPU";
console.log(
  `## ${
    new Date().toISOString().slice(0, 10)
  }: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores (${cpu})\n`,
);
if (values.only !== "agent") console.log(await simBench());
if (values.only === undefined) console.log();
if (values.only !== "sim") {
  console.log(
    await agentBench(
      Object.fromEntries(Object.entries(agentOptions).filter(([, v]) => v !== undefined)),
    ),
  );
}
