import assert from "node:assert/strict";
import { modelKey } from "../shared/model_name.ts";
import { PROBATION_MS } from "./host_status.ts";
import { InFlightTable } from "./in_flight.ts";
import { type HostIdentity, Registry, type RegistryEvent } from "./registry.ts";
import { DEFAULT_LOAD_RATE } from "./route_view.ts";
import { testSnapshot } from "./snapshot_testing.ts";

const GB = 1e9;

const ALPHA: HostIdentity = {
  id: "a1",
  name: "Alpha",
  kind: "agent",
  url: "http://10.0.0.1:11435",
  source: "discovery",
};

function setup(): { registry: Registry; inFlight: InFlightTable; events: RegistryEvent[] } {
  const inFlight = new InFlightTable();
  const registry = new Registry(inFlight);
  const events: RegistryEvent[] = [];
  registry.subscribe((e) => events.push(e));
  return { registry, inFlight, events };
}

/** The events of interest in one line each, snapshots left out. */
function summary(events: RegistryEvent[]): string[] {
  return events.flatMap((e) => {
    switch (e.type) {
      case "status":
        return [`status ${e.from}->${e.to}`];
      case "reboot":
        return [`reboot ${e.previousBootId}->${e.bootId}`];
      case "ollama-version":
        return [`ollama-version ${e.from}->${e.to}`];
      case "snapshot":
        return [];
      default:
        return [`${e.type} ${e.host.id}`];
    }
  });
}

Deno.test("Registry.add() registers an offline host once, then updates its URL and name", () => {
  const { registry, events } = setup();
  const record = registry.add(ALPHA, 100);
  assert.equal(record.status, "offline");
  assert.equal(record.reason, "not yet connected");
  assert.equal(record.since, 100);
  assert.equal(record.route.status, "offline");
  assert.deepEqual(summary(events), ["added a1"]);

  const before = registry.routeHosts();
  const moved = registry.add({ ...ALPHA, url: "http://10.0.0.2:11435", name: "Alpha2" }, 200);
  assert.equal(moved, record, "the same record is updated in place");
  assert.equal(record.url, "http://10.0.0.2:11435");
  assert.equal(record.route.name, "Alpha2");
  assert.notEqual(registry.routeHosts(), before);
  assert.equal(registry.records().length, 1);
  assert.deepEqual(summary(events), ["added a1"], "an update is not another addition");
});

Deno.test("Registry.observe() brings a host online and degrades it when its Ollama does not answer", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 10);
  const record = registry.get("a1")!;
  assert.equal(record.status, "online");
  assert.equal(record.reason, null);
  assert.equal(record.lastSeen, 10);
  assert.equal(record.route.ollamaReachable, true);

  registry.observe(
    "a1",
    testSnapshot((s) => {
      s.ollama.reachable = false;
      s.ollama.error = "connection refused";
    }),
    20,
  );
  assert.equal(record.status, "degraded");
  assert.match(record.reason!, /Ollama does not answer: connection refused/);
  assert.equal(record.route.ollamaReachable, false);
  assert.deepEqual(summary(events), [
    "added a1",
    "status offline->online",
    "status online->degraded",
  ]);
  const last = events.findLast((e) => e.type === "status");
  assert.equal(last?.type === "status" && last.reason, record.reason);
  assert.equal(events.filter((e) => e.type === "snapshot").length, 2);
});

Deno.test("Registry.observe() ignores a host it does not know", () => {
  const { registry, events } = setup();
  registry.observe("nobody", testSnapshot(), 10);
  assert.equal(registry.get("nobody"), undefined);
  assert.deepEqual(events, []);
});

Deno.test("Registry.observe() reports a reboot when the boot id changes, not on the first snapshot", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 1);
  registry.observe("a1", testSnapshot(), 2);
  assert.equal(events.filter((e) => e.type === "reboot").length, 0);
  registry.observe("a1", testSnapshot((s) => (s.host.bootId = "boot-2")), 3);
  const reboots = events.filter((e) => e.type === "reboot");
  assert.deepEqual(summary(reboots), ["reboot boot-1->boot-2"]);
});

Deno.test("Registry.observe() reports a new Ollama version, not the first one", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 1);
  registry.observe("a1", testSnapshot((s) => (s.ollama.version = null)), 2);
  registry.observe("a1", testSnapshot((s) => (s.ollama.version = "0.5.0")), 3);
  assert.equal(events.filter((e) => e.type === "ollama-version").length, 0);
  registry.observe("a1", testSnapshot((s) => (s.ollama.version = "0.6.0")), 4);
  assert.deepEqual(summary(events.filter((e) => e.type === "ollama-version")), [
    "ollama-version 0.5.0->0.6.0",
  ]);
});

Deno.test("Registry.heartbeat() keeps a host live without rebuilding the route view", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 1);
  const hosts = registry.routeHosts();
  const count = events.length;
  registry.heartbeat("a1", 1000);
  assert.equal(registry.get("a1")!.lastSeen, 1000);
  assert.equal(registry.get("a1")!.status, "online");
  assert.equal(registry.routeHosts(), hosts);
  assert.equal(events.length, count, "a heartbeat that changes nothing is not an event");

  registry.lost("a1", "no word for 2000 ms", 3000);
  assert.equal(registry.get("a1")!.status, "offline");
  registry.heartbeat("a1", 3500);
  assert.equal(registry.get("a1")!.status, "online", "a heartbeat after a loss means it is back");
});

Deno.test("Registry.lost() takes a host offline with the reason", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 1);
  registry.lost("a1", "the state stream ended", 5);
  const record = registry.get("a1")!;
  assert.equal(record.status, "offline");
  assert.equal(record.since, 5);
  assert.equal(record.reason, "the state stream ended");
  assert.equal(record.route.status, "offline");
  assert.equal(record.route.ollamaReachable, false);
  assert.deepEqual(summary(events), [
    "added a1",
    "status offline->online",
    "status online->offline",
  ]);
  registry.lost("unknown", "whatever", 6); // no throw
});

Deno.test("Registry.setAdmin() drains a host and resumes it", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  registry.observe("a1", testSnapshot(), 1);
  assert.equal(registry.setAdmin("a1", "draining", 2)?.status, "draining");
  assert.equal(registry.routeHosts()[0]!.status, "draining");
  registry.lost("a1", "gone", 3);
  assert.equal(registry.get("a1")!.status, "draining", "still draining while lost");
  registry.observe("a1", testSnapshot(), 4);
  assert.equal(registry.setAdmin("a1", "maintenance", 5)?.status, "maintenance");
  assert.equal(registry.setAdmin("a1", "none", 6)?.status, "online");
  assert.equal(registry.setAdmin("nobody", "draining", 7), undefined);
  assert.deepEqual(summary(events), [
    "added a1",
    "status offline->online",
    "status online->draining",
    "status draining->maintenance",
    "status maintenance->online",
  ]);
});

Deno.test("Registry.tick() ends the probation of a host that flapped", () => {
  const { registry, events } = setup();
  registry.add(ALPHA, 0);
  let lastLoss = 0;
  for (let i = 1; i <= 3; i++) {
    registry.observe("a1", testSnapshot(), i * 1000);
    registry.lost("a1", "gone", lastLoss = i * 1000 + 500);
  }
  registry.observe("a1", testSnapshot(), lastLoss + 100);
  assert.equal(registry.get("a1")!.status, "degraded");
  assert.match(registry.get("a1")!.reason!, /probation/);
  registry.tick(lastLoss + PROBATION_MS - 1);
  assert.equal(registry.get("a1")!.status, "degraded");
  registry.tick(lastLoss + PROBATION_MS);
  assert.equal(registry.get("a1")!.status, "online");
  assert.equal(registry.routeHosts()[0]!.status, "online");
  assert.deepEqual(summary(events).at(-1), "status degraded->online");
});

Deno.test("Registry.routeHosts() returns the same array until something changes", () => {
  const { registry } = setup();
  registry.add(ALPHA, 0);
  registry.add({ ...ALPHA, id: "b1", name: "Beta" }, 0);
  const first = registry.routeHosts();
  assert.deepEqual(first.map((h) => h.id), ["a1", "b1"]);
  assert.equal(registry.routeHosts(), first);
  registry.tick(1);
  assert.equal(registry.routeHosts(), first, "a tick that changes nothing keeps the array");

  registry.observe("a1", testSnapshot(), 2);
  const second = registry.routeHosts();
  assert.notEqual(second, first);
  assert.equal(second[0]!.status, "online");
  assert.equal(first[0]!.status, "offline", "an array already handed out is not changed");
  assert.equal(registry.routeHosts(), second);
});

Deno.test("Registry.find() looks a host up by id, then by name ignoring case", () => {
  const { registry } = setup();
  registry.add(ALPHA, 0);
  registry.add({ ...ALPHA, id: "b1", name: "Beta" }, 0);
  assert.equal(registry.find("a1")?.name, "Alpha");
  assert.equal(registry.find("BETA")?.id, "b1");
  assert.equal(registry.find("alpha")?.id, "a1");
  assert.equal(registry.find("gamma"), undefined);
  // An id wins over another host's name.
  registry.add({ ...ALPHA, id: "c1", name: "b1" }, 0);
  assert.equal(registry.find("b1")?.id, "b1");
});

Deno.test("Registry.remove() forgets the host and its in-flight counts", () => {
  const { registry, inFlight, events } = setup();
  registry.add(ALPHA, 0);
  registry.add({ ...ALPHA, id: "b1", name: "Beta" }, 0);
  registry.observe("a1", testSnapshot((s) => (s.inFlight = { "llama3.2": 2 })), 1);
  const key = modelKey("llama3.2")!;
  assert.equal(inFlight.of("a1", key), 2, "the agent's count reaches the table");
  const before = registry.routeHosts();
  registry.remove("a1");
  assert.equal(registry.get("a1"), undefined);
  assert.equal(registry.find("Alpha"), undefined);
  assert.notEqual(registry.routeHosts(), before);
  assert.deepEqual(registry.routeHosts().map((h) => h.id), ["b1"]);
  assert.equal(inFlight.of("a1", key), 0);
  assert.deepEqual(summary(events).at(-1), "removed a1");
  registry.remove("a1"); // a second time is a no-op
  assert.equal(events.filter((e) => e.type === "removed").length, 1);
});

Deno.test("Registry.recordLoad() sets the load rate the router sees, then averages", () => {
  const { registry } = setup();
  registry.add(ALPHA, 0);
  assert.equal(registry.routeHosts()[0]!.loadRate, DEFAULT_LOAD_RATE);
  const before = registry.routeHosts();
  registry.recordLoad("a1", 4 * GB, 4000); // 1 GB/s
  assert.notEqual(registry.routeHosts(), before);
  assert.equal(registry.routeHosts()[0]!.loadRate, 1 * GB);
  registry.recordLoad("a1", 3 * GB, 1000); // 3 GB/s
  assert.equal(registry.routeHosts()[0]!.loadRate, 0.7 * GB + 0.3 * 3 * GB);
  // Nonsense measurements are ignored.
  const kept = registry.routeHosts();
  registry.recordLoad("a1", 0, 1000);
  registry.recordLoad("a1", GB, 0);
  assert.equal(registry.routeHosts(), kept);
  // And a snapshot keeps the measured rate.
  registry.observe("a1", testSnapshot(), 1);
  assert.equal(registry.routeHosts()[0]!.loadRate, 0.7 * GB + 0.3 * 3 * GB);
});

Deno.test("Registry.subscribe() returns the function that unsubscribes", () => {
  const { registry } = setup();
  const seen: string[] = [];
  const unsubscribe = registry.subscribe((e) => seen.push(e.type));
  registry.add(ALPHA, 0);
  unsubscribe();
  registry.observe("a1", testSnapshot(), 1);
  assert.deepEqual(seen, ["added"]);
});
