/**
 * How fast the simulator itself answers with zero simulated work (`--speed 1e9`), in its own
 * process: the floor that hub and agent overheads will later be measured against.
 *
 * @module
 */

import { runLoad } from "./load.ts";

/** Starts `deno task sim` on a free port in a child process and returns its URL. */
export async function spawnSim(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "sim", "--port", "0", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/http:\/\/\S+:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The simulator exited before listening: ${text}`);
    text += value;
  }
  const url = /http:\/\/\S+:\d+/.exec(text)![0];
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Runs the simulator benchmark and returns a Markdown report. */
export async function simBench(): Promise<string> {
  const sim = await spawnSim([
    "--speed",
    "1e9",
    "--profile",
    "a100",
    "--models",
    "llama3.2:3b",
    "--preload",
    "llama3.2:3b",
    "--num-parallel",
    "128",
    "--keep-alive=-1",
    "--context-length",
    "2048",
    "--reply-tokens",
    "20000,20000",
  ]);
  try {
    // Wait for the preload: the first request would otherwise pay for it.
    await fetch(`${sim.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3.2:3b", prompt: "" }),
    }).then((r) => r.body?.cancel());
    const small = JSON.stringify({
      model: "llama3.2:3b",
      prompt: "hi",
      stream: false,
      options: { num_predict: 1 },
    });
    const send = async () => {
      const response = await fetch(`${sim.url}/api/generate`, { method: "POST", body: small });
      if (!response.ok) throw new Error(`status ${response.status}`);
      await response.arrayBuffer();
    };
    const rows = [
      "| concurrency | requests | p50 ms | p99 ms | req/s |",
      "|---:|---:|---:|---:|---:|",
    ];
    await runLoad(send, { concurrency: 8, count: 400 }); // warm up
    for (const concurrency of [1, 16, 128]) {
      const r = await runLoad(send, { concurrency, count: 4000 });
      if (r.failures > 0) {
        throw new Error(`${r.failures} requests failed at concurrency ${concurrency}`);
      }
      rows.push(
        `| ${concurrency} | ${r.requests} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${
          r.requestsPerSecond.toFixed(0)
        } |`,
      );
    }

    // One long stream: how many NDJSON lines per second the simulator can emit.
    const t0 = performance.now();
    const response = await fetch(`${sim.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({
        model: "llama3.2:3b",
        prompt: "long",
        options: { num_predict: 20000 },
      }),
    });
    const firstByte = performance.now() - t0;
    const text = await response.text();
    const seconds = (performance.now() - t0) / 1000;
    const lines = text.split("\n").filter(Boolean).length;
    return [
      "### Simulator alone (`/api/generate`, 1 token, non-streamed, zero simulated work)",
      "",
      ...rows,
      "",
      `Stream: ${lines} NDJSON lines in ${seconds.toFixed(2)} s (${
        (lines / seconds).toFixed(0)
      } lines/s), first byte after ${firstByte.toFixed(1)} ms.`,
    ].join("\n");
  } finally {
    await sim.stop();
  }
}
