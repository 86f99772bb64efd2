/**
 * `deno task bench`: runs the benchmarks and prints a Markdown report to paste into BENCHMARKS.md.
 *
 * @module
 */

import { simBench } from "./sim_bench.ts";

const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
  .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
console.log(
  `## ${
    new Date().toISOString().slice(0, 10)
  }: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores (${cpu})\n`,
);
console.log(await simBench());
