import assert from "node:assert/strict";
import { type Announce, stamp } from "../shared/discovery.ts";
import { type AgentSnapshot, EMPTY_METRICS, PROTOCOL_VERSION } from "../shared/protocol.ts";
import { startTestSim, waitFor } from "../tests/_utils.ts";
import { Fleet } from "./fleet.ts";
import { InFlightTable } from "./in_flight.ts";
import { ollamaHostId } from "./ollama_link.ts";
import { Registry, type RegistryEvent } from "./registry.ts";

/** A minimal, valid snapshot from agent `id`. */
function snapshot(id: string, name = id): AgentSnapshot {
  return {
    v: PROTOCOL_VERSION,
    seq: 1,
    time: 0,
    agent: { id, name, version: "0.1.0", port: 11435, startedAt: 0 },
    host: { hostname: id, os: "", kernel: "", arch: "", cpuModel: null, bootId: "b" },
    metrics: { ...EMPTY_METRICS, cpuCount: 1 },
    gpus: { source: "none", gpus: [], error: null },
    ollama: { reachable: true, version: "0.5.0", error: null, models: [], loaded: [], slots: 1 },
    inFlight: {},
  };
}

/** An agent's state stream on a real socket that sends one snapshot of `first`, then stays open. */
function startFakeAgent(first: AgentSnapshot) {
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let connections = 0;
  const data = new TextEncoder().encode(`event: snapshot\ndata: ${JSON.stringify(first)}\n\n`);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    connections++;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        streams.add(c);
        c.enqueue(data);
      },
      cancel: () => void streams.delete(controller),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const close = async () => {
    for (const c of streams) c.close();
    streams.clear();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    connections: () => connections,
    open: () => streams.size,
    [Symbol.asyncDispose]: close,
  };
}

function announce(id: string, port: number): Announce {
  return stamp({ kind: "announce", id, name: `Agent ${id}`, port, version: "0.1.0", bootId: "b" });
}

/** A fleet on a fresh registry; `stop()` closes every link and waits until nothing is open. */
function setup() {
  const registry = new Registry(new InFlightTable());
  const events: RegistryEvent[] = [];
  registry.subscribe((e) => events.push(e));
  const logs: string[] = [];
  let open = 0;
  // Plain-Ollama polls are read whole so that stop() can tell when none is open; streams pass.
  const counting: typeof fetch = async (input, init) => {
    if (!new URL(String(input)).pathname.startsWith("/api/")) return await fetch(input, init);
    open++;
    try {
      const response = await fetch(input, init);
      return new Response(await response.arrayBuffer(), { status: response.status });
    } finally {
      open--;
    }
  };
  const fleet = new Fleet({
    registry,
    token: "fleet-token",
    offlineAfterMs: 60_000, // longer than any test: a link closes only when it is told to
    log: (m) => logs.push(m),
    fetch: counting,
  });
  const stop = async (...agents: { open(): number }[]) => {
    fleet.stop();
    await waitFor("every link to close", () => open === 0 && agents.every((a) => a.open() === 0));
    await new Promise((resolve) => setTimeout(resolve, 20)); // aborted fetches settle
  };
  const added = () => events.filter((e) => e.type === "added").map((e) => e.host.id);
  return { registry, fleet, events, logs, stop, added };
}

Deno.test("Fleet.announced() adds the agent and links it", async () => {
  await using agent = startFakeAgent(snapshot("a1"));
  const { registry, fleet, logs, stop, added } = setup();
  fleet.announced(announce("a1", agent.port), { hostname: "127.0.0.1" });
  const record = registry.get("a1")!;
  assert.deepEqual(
    [record.kind, record.source, record.url, record.name],
    ["agent", "discovery", agent.url, "Agent a1"],
  );
  await waitFor("the host online", () => record.status === "online");
  assert.equal(record.snapshot?.agent.id, "a1");
  assert.deepEqual(added(), ["a1"]);
  assert.match(logs.join("\n"), /found agent "Agent a1" \(a1\) at http:\/\/127\.0\.0\.1:\d+/);
  await stop(agent);
});

Deno.test("Fleet.announced() does nothing for a second identical announcement", async () => {
  await using agent = startFakeAgent(snapshot("a1"));
  const { registry, fleet, stop, added } = setup();
  fleet.announced(announce("a1", agent.port), { hostname: "127.0.0.1" });
  await waitFor("the host online", () => registry.get("a1")?.status === "online");
  fleet.announced(announce("a1", agent.port), { hostname: "127.0.0.1" });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(agent.connections(), 1, "no second link");
  assert.equal(agent.open(), 1, "the first link is kept");
  assert.equal(registry.get("a1")!.status, "online");
  assert.deepEqual(added(), ["a1"]);
  await stop(agent);
});

Deno.test("Fleet.announced() relinks an agent whose address moved", async () => {
  await using before = startFakeAgent(snapshot("a1"));
  await using after = startFakeAgent(snapshot("a1"));
  const { registry, fleet, stop, added } = setup();
  fleet.announced(announce("a1", before.port), { hostname: "127.0.0.1" });
  await waitFor("the first link", () => registry.get("a1")?.status === "online");
  fleet.announced(announce("a1", after.port), { hostname: "127.0.0.1" });
  assert.equal(registry.get("a1")!.url, after.url);
  await waitFor("the old stream to close", () => before.open() === 0);
  await waitFor("the new stream", () => after.open() === 1);
  assert.equal(before.connections(), 1, "the old address is not tried again");
  assert.deepEqual(added(), ["a1"], "the same host, moved");
  await stop(before, after);
});

Deno.test("Fleet.announced() ignores an agent at that address that is another agent", async () => {
  await using agent = startFakeAgent(snapshot("imposter"));
  const { registry, fleet, stop } = setup();
  fleet.announced(announce("a1", agent.port), { hostname: "127.0.0.1" });
  await waitFor("the stream", () => agent.open() === 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(registry.get("a1")!.status, "offline");
  assert.equal(registry.get("a1")!.snapshot, null);
  assert.equal(registry.get("imposter"), undefined);
  await stop(agent);
});

Deno.test("Fleet.addStatic() learns the agent's id and name from its first snapshot", async () => {
  await using agent = startFakeAgent(snapshot("s1", "Static One"));
  const { registry, fleet, stop, added } = setup();
  fleet.addStatic(`${agent.url}/`);
  fleet.addStatic(`${agent.url}/`); // listed twice: one link
  const record = await waitFor("the host", () => registry.get("s1"));
  assert.deepEqual(
    [record.kind, record.source, record.url, record.name],
    ["agent", "static", agent.url, "Static One"],
  );
  await waitFor("the host online", () => record.status === "online");
  assert.equal(agent.connections(), 1);
  // A later announcement of the same agent does not take it over.
  fleet.announced(announce("s1", agent.port), { hostname: "localhost" });
  assert.equal(registry.get("s1")!.source, "static");
  assert.equal(registry.get("s1")!.url, agent.url);
  assert.deepEqual(added(), ["s1"]);
  await stop(agent);
});

Deno.test("Fleet.addStatic() logs an agent it cannot reach", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const { registry, fleet, logs, stop } = setup();
  fleet.addStatic(`http://127.0.0.1:${port}`);
  await waitFor("a log line", () => logs.length > 0);
  assert.match(logs[0]!, /^cannot reach the agent at http:\/\/127\.0\.0\.1:\d+: .*refused/);
  assert.equal(registry.records().length, 0);
  await stop();
});

Deno.test('Fleet.addOllama() registers a plain Ollama as an "ollama" host', async () => {
  await using sim = startTestSim();
  const { registry, fleet, stop, added } = setup();
  const id = fleet.addOllama({ url: sim.url, name: null, slots: 2 });
  assert.equal(id, ollamaHostId(sim.url));
  assert.equal(fleet.addOllama({ url: sim.url, name: "again", slots: 2 }), id);
  const record = registry.get(id)!;
  assert.deepEqual(
    [record.kind, record.source, record.url, record.name],
    ["ollama", "ollama", sim.url, new URL(sim.url).host],
  );
  await waitFor("the host online", () => record.status === "online");
  assert.equal(record.route.slots, 2);
  assert.ok(record.route.onDisk.size > 0);
  assert.deepEqual(added(), [id]);
  await stop();
});
