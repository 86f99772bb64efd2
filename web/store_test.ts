/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { effect } from "@preact/signals";
import type { FleetState } from "../shared/dashboard.ts";
import { FleetStore } from "./store.ts";
import { host, pull } from "./testing.ts";

function fleetState(overrides: Partial<FleetState> = {}): FleetState {
  return {
    hub: { name: "hub", version: "1.0.0" },
    time: Date.now(),
    hosts: [host("a"), host("b")],
    sparks: {},
    pulls: [],
    queued: 0,
    ...overrides,
  };
}

/** Counts how often `read` is re-run by a change of what it reads. */
function runs(read: () => unknown): { count: number; stop: () => void } {
  const counter = { count: -1, stop: () => {} };
  counter.stop = effect(() => {
    read();
    counter.count++;
  });
  return counter;
}

Deno.test("FleetStore: a fleet event sets hub, hosts, sparks, pulls and queue", () => {
  const store = new FleetStore();
  assert.equal(store.ready.value, false);
  store.apply([{
    name: "fleet",
    data: fleetState({
      sparks: { a: [{ t: 2, gpu: 1, cpu: 1, vram: 0 }, { t: 1, gpu: 1, cpu: 1, vram: 0 }] },
      pulls: [pull("p1", "a", "qwen3:8b")],
      queued: 4,
    }),
  }]);
  assert.equal(store.ready.value, true);
  assert.deepEqual(store.hub.value, { name: "hub", version: "1.0.0" });
  assert.deepEqual(store.hostIds.value, ["a", "b"]);
  assert.equal(store.host("a")!.value.name, "a");
  assert.deepEqual(store.spark("a").value.map((p) => p.t), [1, 2]);
  assert.deepEqual(store.spark("b").value, []);
  assert.equal(store.pulls.value.get("p1")!.model, "qwen3:8b");
  assert.equal(store.queued.value, 4);
});

Deno.test("FleetStore: a host event re-runs only what reads that host", () => {
  const store = new FleetStore();
  store.apply([{ name: "fleet", data: fleetState() }]);
  const a = runs(() => store.host("a")!.value);
  const b = runs(() => store.host("b")!.value);
  const ids = runs(() => store.hostIds.value);
  const order = runs(() => store.order.value);
  store.apply([{ name: "host", data: host("b", { inFlight: 2 }) }]);
  assert.deepEqual([a.count, b.count, ids.count, order.count], [0, 1, 0, 0]);
  assert.equal(store.totals.value.inFlight, 2);
  // A change of rank reorders: b goes first once it needs attention.
  store.apply([{ name: "host", data: host("b", { hot: true }) }]);
  assert.deepEqual(store.order.value, ["b", "a"]);
  assert.equal(order.count, 1);
  for (const r of [a, b, ids, order]) r.stop();
});

Deno.test("FleetStore: hosts come and go; a new fleet event replaces them, keeping live ones", () => {
  const store = new FleetStore();
  store.apply([{ name: "fleet", data: fleetState() }]);
  const a = store.host("a");
  store.apply([
    { name: "host", data: host("c") },
    { name: "spark", data: { id: "b", point: { t: 1, gpu: 5, cpu: 5, vram: 0.1 } } },
    { name: "host-removed", data: { id: "b" } },
  ]);
  assert.deepEqual(store.hostIds.value, ["a", "c"]);
  assert.equal(store.host("b"), undefined);
  store.apply([{ name: "fleet", data: fleetState({ hosts: [host("a", { inFlight: 7 })] }) }]);
  assert.deepEqual(store.hostIds.value, ["a"]);
  assert.equal(store.host("a"), a, "the same signal, so the card is not remounted");
  assert.equal(a!.value.inFlight, 7);
  assert.equal(store.host("c"), undefined);
});

Deno.test("FleetStore: spark points append within the window; pull and queue events update", () => {
  const store = new FleetStore();
  store.apply([{ name: "fleet", data: fleetState() }]);
  const now = Date.now();
  store.apply([
    { name: "spark", data: { id: "a", point: { t: now - 600_000, gpu: 1, cpu: 1, vram: 0 } } },
    { name: "spark", data: { id: "a", point: { t: now, gpu: 50, cpu: 5, vram: 0.2 } } },
    { name: "pull", data: pull("p", "a", "m", { completed: 10, total: 100 }) },
    { name: "queue", data: { queued: 2 } },
  ]);
  assert.deepEqual(store.spark("a").value.map((p) => p.gpu), [50]);
  assert.equal(store.pulls.value.get("p")!.completed, 10);
  assert.equal(store.queued.value, 2);
});

Deno.test("FleetStore: a load started here lasts until the host shows the model loaded", () => {
  const store = new FleetStore();
  store.apply([{ name: "fleet", data: fleetState() }]);
  store.startLoading("a", "qwen3:8b");
  store.startLoading("b", "qwen3:8b");
  assert.ok(store.isLoading("a", "qwen3:8b"));
  store.apply([{ name: "host", data: host("a", { models: ["qwen3:8b"] }) }]);
  assert.ok(store.isLoading("a", "qwen3:8b"), "on disk is not loaded");
  store.apply([{ name: "host", data: host("a", { loaded: ["qwen3:8b"] }) }]);
  assert.ok(!store.isLoading("a", "qwen3:8b"));
  assert.ok(store.isLoading("b", "qwen3:8b"), "another host's load is untouched");
  store.endLoading("b", "qwen3:8b");
  assert.equal(store.loading.value.size, 0);
});

Deno.test("FleetStore: now() follows the hub's clock; clear() forgets everything", () => {
  const store = new FleetStore();
  store.apply([{ name: "fleet", data: fleetState({ time: Date.now() + 60_000 }) }]);
  const skew = store.now() - Date.now();
  assert.ok(skew > 55_000 && skew <= 60_000, `skew ${skew}`);
  store.clear();
  assert.equal(store.ready.value, false);
  assert.deepEqual(store.hostIds.value, []);
  assert.equal(store.host("a"), undefined);
  assert.equal(store.hub.value, null);
});
