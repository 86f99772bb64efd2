import assert from "node:assert/strict";
import { FOREVER } from "../../shared/duration.ts";
import { findInCatalogue } from "./catalogue.ts";
import { realClock } from "./clock.ts";
import { resolveProfile } from "./profile.ts";
import { Scheduler } from "./scheduler.ts";
import { libraryLayers, ModelStore } from "./store.ts";

function setup(overrides: Record<string, unknown> = {}) {
  const profile = resolveProfile({ overrides: { load_base: "100ms", ...overrides } });
  const store = new ModelStore();
  for (const name of profile.models) {
    const spec = findInCatalogue(name)!;
    store.put(spec, libraryLayers(spec), 0);
  }
  const scheduler = new Scheduler({ profile, clock: realClock, toReal: (ms) => ms / 1000 });
  const request = (
    name: string,
    keepAliveMs?: number,
    signal = new AbortController().signal,
    numCtx = 4096,
  ) =>
    scheduler.acquire({
      model: store.get(name)!,
      settings: { numCtx, extra: "" },
      keepAliveMs,
      signal,
    });
  return { scheduler, request, [Symbol.dispose]: () => scheduler.close() };
}

Deno.test("Scheduler grants slots in arrival order once the parallel limit is reached", async () => {
  using s = setup({ num_parallel: 2 });
  const a = await s.request("llama3.2:3b");
  const b = await s.request("llama3.2:3b");
  const order: string[] = [];
  const c = s.request("llama3.2:3b").then((lease) => (order.push("c"), lease));
  const d = s.request("llama3.2:3b").then((lease) => (order.push("d"), lease));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, [], "both wait while two slots are held");
  a.release();
  (await c).release();
  b.release();
  (await d).release();
  assert.deepEqual(order, ["c", "d"]);
});

Deno.test("Scheduler: the latest keep_alive wins and 0 unloads once in-flight work ends", async () => {
  using s = setup({ num_parallel: 2 });
  const first = await s.request("llama3.2:3b", FOREVER);
  assert.equal(first.loaded, true);
  const second = await s.request("llama3.2:3b", 0);
  assert.equal(second.loaded, false);
  assert.equal(s.scheduler.loaded()[0]!.keepAliveMs, 0);
  first.release();
  assert.equal(s.scheduler.loaded().length, 1, "still busy with the second request");
  second.release();
  assert.equal(s.scheduler.loaded().length, 0);
});

Deno.test("Scheduler: a waiter that gives up leaves the queue and the next one gets the slot", async () => {
  using s = setup();
  const held = await s.request("llama3.2:3b");
  const gone = new AbortController();
  const abandoned = s.request("llama3.2:3b", undefined, gone.signal);
  const next = s.request("llama3.2:3b");
  gone.abort();
  await assert.rejects(abandoned, { status: 499, message: "request canceled" });
  held.release();
  (await next).release();
});

Deno.test("Scheduler: MAX_LOADED_MODELS waits for a busy model to go idle before evicting it", async () => {
  using s = setup({ max_loaded_models: 1 });
  const busy = await s.request("llama3.2:3b");
  let loaded = false;
  const other = s.request("gemma3:4b").then((lease) => (loaded = true, lease));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(loaded, false, "no eviction while the only model is busy");
  busy.release();
  const lease = await other;
  assert.deepEqual(s.scheduler.loaded().map((r) => r.model.name), ["gemma3:4b"]);
  lease.release();
});

Deno.test("Scheduler.close() fails a load in progress at once and leaves no timer behind", async () => {
  using s = setup({ load_base: "1h" });
  const loading = s.request("llama3.2:3b");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(s.scheduler.loading?.model, "llama3.2:3b");
  s.scheduler.close();
  await assert.rejects(loading, { status: 500, message: "server is shutting down" });
});

Deno.test("Scheduler evicts the idle model with the shortest keep_alive, ties by model name", async () => {
  using s = setup({ max_loaded_models: 2 });
  // llama loads first, so that map order alone would pick it.
  (await s.request("llama3.2:3b", 600_000)).release();
  (await s.request("gemma3:4b", 600_000)).release();
  (await s.request("qwen3:8b", 600_000)).release();
  const names = () => s.scheduler.loaded().map((r) => r.model.name).sort();
  assert.deepEqual(names(), ["llama3.2:3b", "qwen3:8b"], "gemma3:4b sorts before llama3.2:3b");
  // A shorter keep_alive goes first whatever its name; one kept forever goes last.
  (await s.request("qwen3:8b", FOREVER)).release();
  (await s.request("llama3.2:3b", 1_000)).release();
  (await s.request("gemma3:4b", 600_000)).release();
  assert.deepEqual(names(), ["gemma3:4b", "qwen3:8b"]);
});

Deno.test("Scheduler counts loads, reloads and evictions, and not expiries or unloads", async () => {
  using s = setup({ max_loaded_models: 1, num_parallel: 2 });
  const counters = () => ({ ...s.scheduler.counters });
  assert.deepEqual(counters(), { loads: 0, reloads: 0, evictions: 0 });

  (await s.request("llama3.2:3b")).release();
  (await s.request("llama3.2:3b")).release();
  assert.deepEqual(counters(), { loads: 1, reloads: 0, evictions: 0 }, "a loaded model is reused");

  (await s.request("llama3.2:3b", undefined, undefined, 8192)).release();
  assert.deepEqual(counters(), { loads: 2, reloads: 1, evictions: 0 }, "another num_ctx reloads");

  (await s.request("gemma3:4b")).release();
  assert.deepEqual(counters(), { loads: 3, reloads: 1, evictions: 1 }, "MAX_LOADED_MODELS evicts");

  assert.equal(s.scheduler.unload(s.scheduler.loaded()[0]!.model), true);
  assert.deepEqual(s.scheduler.loaded(), []);
  (await s.request("gemma3:4b", 0)).release();
  assert.deepEqual(s.scheduler.loaded(), [], "keep_alive 0 unloads once idle");
  (await s.request("qwen3:8b", 20)).release();
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(s.scheduler.loaded(), [], "keep_alive expired");
  assert.deepEqual(counters(), { loads: 5, reloads: 1, evictions: 1 }, "none of these evicts");
});

Deno.test("Scheduler counts an eviction for memory once, when the busy victim goes idle", async () => {
  using s = setup({ gpus: [{ name: "Mid", vram: "8GiB", bandwidth: "360GB/s" }] });
  const busy = await s.request("qwen3:8b");
  const waiting = s.request("gemma3:4b");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.scheduler.counters.evictions, 0, "not until it is unloaded");
  busy.release();
  (await waiting).release();
  assert.deepEqual(s.scheduler.loaded().map((r) => r.model.name), ["gemma3:4b"]);
  assert.deepEqual({ ...s.scheduler.counters }, { loads: 2, reloads: 0, evictions: 1 });
});
