/**
 * `deno task bench`: runs the benchmarks and prints a Markdown report to paste into BENCHMARKS.md.
 *
 * @module
 */

import { simBench } from "./sim_bench.ts";

// Deno wants --allow-all for /proc/cpuinfo; lscpu says the same under --allow-run.
const lscpu = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output()
  .then((out) => new TextDecoder().decode(out.stdout), () => "");
const cpu = /Model name:\s*(.*)/.exec(lscpu)?.[1] ?? "unknown CPU";
console.log(
  `## ${
    new Date().toISOString().slice(0, 10)
  }: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores (${cpu})\n`,
);
console.log(await simBench());
