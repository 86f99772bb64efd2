/**
 * Context-aware routing end to end: two clients asking for the same model with different
 * `num_ctx` (Ollama reloads a runner whose context differs from a request's), and one host made
 * busy, must not make the model reload over and over. Checked against what the simulated hosts
 * themselves counted (loads, reloads, evictions in `/_sim/state`).
 */

import assert from "node:assert/strict";
import { type DemoHostSpec, startDemoFleet } from "../scripts/demo_fleet.ts";

const SHORT = { reply_tokens: [8, 16] };
const SPECS: DemoHostSpec[] = [
  // 48 GiB, two slots: qwen3:8b fits at 4096 and at 16384 (not both at once with gemma3:12b).
  { name: "big", preset: "dual-3090", preload: [], models: ["qwen3:8b"], profile: SHORT },
  // 24 GiB, one slot.
  { name: "small", preset: "rtx4090", preload: [], models: ["qwen3:8b"], profile: SHORT },
];

interface Counters {
  loads: number;
  reloads: number;
  evictions: number;
}

async function generate(url: string, numCtx: number): Promise<{ host: string; route: string }> {
  const response = await fetch(`${url}/api/generate`, {
    method: "POST",
    body: JSON.stringify({
      model: "qwen3:8b",
      prompt: "Hello there",
      options: { num_ctx: numCtx },
    }),
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  const last = JSON.parse(text.trim().split("\n").at(-1)!);
  assert.equal(last.done, true, text.slice(-200));
  return {
    host: response.headers.get("x-corral-host")!,
    route: response.headers.get("x-corral-route")!,
  };
}

Deno.test("two clients with different num_ctx and a busy host do not reload the model over and over", async () => {
  await using fleet = await startDemoFleet({ specs: SPECS, speed: 20 });
  const url = fleet.hub.url;
  const counters = () => {
    const total: Counters = { loads: 0, reloads: 0, evictions: 0 };
    for (const host of fleet.hosts) {
      const c = host.sim.sim.state().counters as Counters;
      total.loads += c.loads;
      total.reloads += c.reloads;
      total.evictions += c.evictions;
    }
    return total;
  };
  const small = fleet.hosts.find((h) => h.spec.name === "small")!;
  const routes: { ctx: number; host: string; route: string }[] = [];
  const client = async (ctx: number, count: number) => {
    for (let i = 0; i < count; i++) routes.push({ ctx, ...await generate(url, ctx) });
  };

  // Each client's first requests place its context; then "small" is kept busy (every request to
  // it waits 300 ms first) while both clients go on side by side.
  await Promise.all([client(4096, 3), client(16384, 3)]);
  const placed = counters();
  small.sim.sim.faults.set({ stall: { count: 1000, ms: 300 } });
  await Promise.all([client(4096, 12), client(16384, 12)]);
  const after = counters();

  const summary = JSON.stringify({ placed, after, routes }, null, 1);
  // At most one load per context per host, ever: no reload ping-pong between the two clients.
  assert.ok(after.loads <= 4, `too many loads: ${summary}`);
  assert.ok(after.reloads <= 1, `a runner was reloaded over and over: ${summary}`);
  assert.equal(after.loads - placed.loads, 0, `loads after the contexts were placed: ${summary}`);
  // Every request after placement ran on a loaded runner with its own context, or a larger one
  // it shared (the hub then sent it that context, so Ollama did not reload the runner).
  for (const r of routes.slice(6)) {
    const match = /^loaded(?:-busy)?; ctx=(\d+)(?:; asked=(\d+))?$/.exec(r.route);
    assert.ok(match, `${r.route}: ${summary}`);
    assert.equal(Number(match[2] ?? match[1]), r.ctx, summary);
    assert.ok(Number(match[1]) >= r.ctx, summary);
  }
});
