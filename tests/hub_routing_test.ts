/**
 * Each routing rule, end to end: a hub in front of three simulated hosts, with the decision read
 * from `X-Corral-Host` / `X-Corral-Route` and checked against what the simulators themselves
 * report (`/_sim/state`). Replies are long (thousands of tokens) so that a request stays in flight
 * while the next one is routed; the test cancels them, which also checks that a client's
 * disconnect reaches the host.
 */

import assert from "node:assert/strict";
import { type DemoHostSpec, startDemoFleet } from "../scripts/demo_fleet.ts";
import { simState, waitFor } from "./_utils.ts";

const LONG = { reply_tokens: [20_000, 20_000], context_length: 65_536 };
const SPECS: DemoHostSpec[] = [
  {
    name: "a",
    preset: "rtx4090",
    preload: ["llama3.2:3b"],
    models: ["llama3.2:3b", "qwen3:8b"],
    profile: LONG,
  },
  {
    name: "b",
    preset: "rtx4090",
    preload: [],
    models: ["llama3.2:3b", "gemma3:4b"],
    profile: LONG,
  },
  { name: "c", preset: "a100", preload: ["qwen3:8b"], models: ["qwen3:8b"], profile: LONG },
];

/** A streamed chat whose first line has arrived; `cancel()` hangs up. */
async function openStream(url: string, model: string, query = "") {
  const abort = new AbortController();
  const response = await fetch(`${url}/api/chat${query}`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [{ role: "user", content: "Tell me everything" }] }),
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  await reader.read();
  return {
    host: response.headers.get("x-corral-host"),
    route: reason(response),
    queuedMs: response.headers.get("x-corral-queued-ms"),
    async cancel() {
      await reader.cancel();
      abort.abort();
    },
  };
}

async function quick(url: string, model: string, query = "") {
  const response = await fetch(`${url}/api/generate${query}`, {
    method: "POST",
    body: JSON.stringify({ model, prompt: "Hi", stream: false, options: { num_predict: 3 } }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return { host: response.headers.get("x-corral-host"), route: reason(response) };
}

/** The route's reason: `X-Corral-Route` up to its details (`loaded; ctx=8192` is `loaded`). */
function reason(response: Response): string | null {
  return response.headers.get("x-corral-route")?.split(";")[0] ?? null;
}

Deno.test("the hub routes by the rules in DESIGN.md, and the hosts agree", async (t) => {
  await using fleet = await startDemoFleet({ specs: SPECS, speed: 4 });
  const url = fleet.hub.url;
  const sim = (name: string) => fleet.hosts.find((h) => h.spec.name === name)!.sim.url;
  const inFlight = async (name: string, model: string) =>
    (await simState(sim(name))).loaded.find((m) => m.name === model)?.in_flight ?? 0;

  await t.step("1. loaded with a free slot: the host that has it in memory", async () => {
    assert.deepEqual(await quick(url, "llama3.2:3b"), { host: "a", route: "loaded" });
    assert.deepEqual(await quick(url, "qwen3:8b"), { host: "c", route: "loaded" });
  });

  const busyA = await openStream(url, "llama3.2:3b");
  await t.step(
    "2. loaded but busy, with no sustained demand: the request waits in the fleet queue for the " +
      "busy copy instead of loading another (which would evict, and start a cascade)",
    async () => {
      assert.deepEqual([busyA.host, busyA.route], ["a", "loaded"]);
      assert.equal(await inFlight("a", "llama3.2:3b"), 1);
      const waiting = openStream(url, "llama3.2:3b");
      await waitFor("the request queued at the hub", async () => {
        const health = await (await fetch(`${fleet.hub.controlUrl}/healthz`)).json();
        return health.queued === 1;
      });
      // Not in a host's own queue, and no second copy loaded on b, which has it on disk.
      assert.equal(
        (await simState(sim("a"))).loaded.find((m) => m.name === "llama3.2:3b")?.waiting,
        0,
      );
      assert.ok(!(await simState(sim("b"))).loaded.some((m) => m.name === "llama3.2:3b"));
      await busyA.cancel();
      const next = await waiting;
      assert.deepEqual([next.host, next.route], ["a", "loaded"], "it takes the slot that freed");
      assert.ok(Number(next.queuedMs) > 0);
      await next.cancel();
    },
  );

  await t.step("a client that hangs up stops the work on the host", async () => {
    await waitFor("host a idle", async () => await inFlight("a", "llama3.2:3b") === 0);
  });

  await t.step("draining and maintenance hosts get nothing; resume brings them back", async () => {
    const drain = await fetch(`${fleet.hub.controlUrl}/api/hosts/c/drain`, { method: "POST" });
    assert.equal((await drain.json()).status, "draining");
    assert.deepEqual(await quick(url, "qwen3:8b"), { host: "a", route: "on-disk" });
    await fetch(`${fleet.hub.controlUrl}/api/hosts/a/maintenance`, { method: "POST" });
    const none = await fetch(`${url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3:8b", prompt: "x", stream: false }),
    });
    assert.equal(none.status, 404, "no usable host has qwen3:8b");
    await none.body?.cancel();
    await fetch(`${fleet.hub.controlUrl}/api/hosts/a/resume`, { method: "POST" });
    await fetch(`${fleet.hub.controlUrl}/api/hosts/c/resume`, { method: "POST" });
    const back = await quick(url, "qwen3:8b");
    assert.equal(back.route, "loaded");
  });

  await t.step("an admin can pin a host with ?host= or X-Corral-Target", async () => {
    assert.deepEqual(await quick(url, "gemma3:4b", "?host=b"), { host: "b", route: "pinned" });
    const response = await fetch(`${url}/api/generate`, {
      method: "POST",
      headers: { "x-corral-target": "c" },
      body: JSON.stringify({
        model: "qwen3:8b",
        prompt: "x",
        stream: false,
        options: { num_predict: 2 },
      }),
    });
    assert.equal(response.headers.get("x-corral-host"), "c");
    assert.equal(response.headers.get("x-corral-route"), "pinned");
    await response.body?.cancel();
    const unknown = await fetch(`${url}/api/generate?host=nowhere`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3:8b", prompt: "x", stream: false }),
    });
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error, /nowhere/);
  });
});
