/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import type { FleetState } from "../shared/dashboard.ts";
import { EventQueue } from "./event_queue.ts";
import { host, pull } from "./testing.ts";

const fleetState: FleetState = {
  hub: { name: "hub", version: "1" },
  time: 0,
  hosts: [],
  sparks: {},
  pulls: [],
  queued: 0,
};
const point = { t: 1, gpu: 1, cpu: 1, vram: 0 };

Deno.test("EventQueue keeps only a host's newest state, where the first one stood", () => {
  const q = new EventQueue();
  q.push({ name: "host", data: host("a", { inFlight: 1 }) });
  q.push({ name: "host", data: host("b") });
  q.push({ name: "host", data: host("a", { inFlight: 2 }) });
  assert.equal(q.size, 2);
  const events = q.drain();
  assert.deepEqual(events.map((e) => e.name === "host" && [e.data.id, e.data.inFlight]), [
    ["a", 2],
    ["b", 0],
  ]);
  assert.equal(q.size, 0);
  assert.deepEqual(q.drain(), []);
});

Deno.test("EventQueue drops everything before a fleet event", () => {
  const q = new EventQueue();
  q.push({ name: "host", data: host("a") });
  q.push({ name: "spark", data: { id: "a", point } });
  q.push({ name: "fleet", data: fleetState });
  q.push({ name: "queue", data: { queued: 1 } });
  assert.deepEqual(q.drain().map((e) => e.name), ["fleet", "queue"]);
});

Deno.test("EventQueue: a host removed after an update drops the update; one added back stays", () => {
  const q = new EventQueue();
  q.push({ name: "host", data: host("a") });
  q.push({ name: "host-removed", data: { id: "a" } });
  q.push({ name: "host", data: host("a", { inFlight: 5 }) });
  const events = q.drain();
  assert.deepEqual(events.map((e) => e.name), ["host-removed", "host"]);
  assert.equal(q.size, 0);
});

Deno.test("EventQueue keeps every spark point, the newest pull state and queue length", () => {
  const q = new EventQueue();
  q.push({ name: "spark", data: { id: "a", point } });
  q.push({ name: "pull", data: pull("p", "a", "m", { completed: 1 }) });
  q.push({ name: "spark", data: { id: "a", point: { ...point, t: 2 } } });
  q.push({ name: "pull", data: pull("p", "a", "m", { completed: 2 }) });
  q.push({ name: "queue", data: { queued: 3 } });
  q.push({ name: "queue", data: { queued: 1 } });
  const events = q.drain();
  assert.deepEqual(events.map((e) => e.name), ["spark", "pull", "spark", "queue"]);
  assert.equal(events[1]!.name === "pull" && events[1]!.data.completed, 2);
  assert.equal(events[3]!.name === "queue" && events[3]!.data.queued, 1);
});
