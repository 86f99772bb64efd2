import assert from "node:assert/strict";
import { type AgentSnapshot, EMPTY_METRICS, PROTOCOL_VERSION } from "../shared/protocol.ts";
import { waitFor } from "../tests/_utils.ts";
import { type AgentLink, serverSentEvents, startAgentLink } from "./agent_link.ts";

/** A minimal, valid snapshot from agent `id`. */
function snapshot(id: string, seq = 1): AgentSnapshot {
  return {
    v: PROTOCOL_VERSION,
    seq,
    time: 0,
    agent: { id, name: id, version: "0.1.0", port: 11435, startedAt: 0 },
    host: { hostname: id, os: "", kernel: "", arch: "", cpuModel: null, bootId: "b" },
    metrics: { ...EMPTY_METRICS, cpuCount: 1 },
    gpus: { source: "none", gpus: [], error: null },
    ollama: { reachable: true, version: "0.5.0", error: null, models: [], loaded: [], slots: 1 },
    inFlight: {},
  };
}

/** An agent's state stream on a real socket: `send()` writes an event to every open stream. */
interface FakeAgent extends AsyncDisposable {
  url: string;
  port: number;
  /** The `Authorization` header of each request, in order. */
  auth: (string | null)[];
  /** Streams now open. */
  open(): number;
  send(event: string, data: unknown): void;
  close(): Promise<void>;
}

function startFakeAgent(
  options: { port?: number; status?: number; first?: unknown } = {},
): FakeAgent {
  const { status = 200, first = snapshot("a1") } = options;
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const auth: (string | null)[] = [];
  const encoder = new TextEncoder();
  const frame = (event: string, data: unknown) =>
    encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {} },
    (request) => {
      auth.push(request.headers.get("authorization"));
      if (new URL(request.url).pathname !== "/v1/state/stream") {
        return new Response("not found", { status: 404 });
      }
      if (status !== 200) return new Response("no", { status });
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          streams.add(c);
          if (first !== null) c.enqueue(frame("snapshot", first));
        },
        cancel() {
          streams.delete(controller);
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  );
  const close = async () => {
    for (const c of streams) {
      try {
        c.close();
      } catch {
        // Already cancelled by the client.
      }
    }
    streams.clear();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    auth,
    open: () => streams.size,
    send(event, data) {
      for (const c of streams) c.enqueue(frame(event, data));
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A link that records what it hears. */
function record(url: string, options: { token?: string | null; offlineAfterMs?: number } = {}) {
  const snapshots: AgentSnapshot[] = [];
  const lost: string[] = [];
  let heartbeats = 0;
  const link: AgentLink = startAgentLink({
    url,
    token: options.token ?? null,
    offlineAfterMs: options.offlineAfterMs ?? 5000,
    onSnapshot: (s) => snapshots.push(s),
    onHeartbeat: () => heartbeats++,
    onLost: (reason) => lost.push(reason),
  });
  return { link, snapshots, lost, heartbeats: () => heartbeats };
}

/** Stops the link and waits until the server has seen its stream close. */
async function stop(link: AgentLink, agent: FakeAgent): Promise<void> {
  link.stop();
  await waitFor("the stream to close", () => agent.open() === 0);
  // Let the aborted fetch settle so that no op outlives the test.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

Deno.test("serverSentEvents() splits a stream into named events and skips comments", async () => {
  const text = ': comment\n\nevent: snapshot\ndata: {"a":1}\n\n' +
    "data: line1\ndata: line2\nid: 7\n\nevent: heartbeat\ndata:{}\n\nevent: partial\ndata: x";
  const bytes = new TextEncoder().encode(text);
  // Split in awkward places, as a network would.
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
      c.close();
    },
  });
  const events = [];
  for await (const e of serverSentEvents(body)) events.push(e);
  assert.deepEqual(events, [
    { event: "snapshot", data: '{"a":1}' },
    { event: "message", data: "line1\nline2" },
    { event: "heartbeat", data: "{}" },
  ]);
});

Deno.test("startAgentLink() hands on snapshots and heartbeats and sends the bearer token", async () => {
  await using agent = startFakeAgent();
  const { link, snapshots, lost, heartbeats } = record(agent.url, { token: "secret-token" });
  await waitFor("the first snapshot", () => snapshots.length === 1);
  assert.equal(snapshots[0]!.agent.id, "a1");
  assert.deepEqual(agent.auth, ["Bearer secret-token"]);

  agent.send("heartbeat", { v: PROTOCOL_VERSION, seq: 1, time: 0 });
  await waitFor("a heartbeat", () => heartbeats() === 1);
  agent.send("snapshot", snapshot("a1", 2));
  await waitFor("the second snapshot", () => snapshots.length === 2);
  assert.equal(snapshots[1]!.seq, 2);
  agent.send("something-else", {});
  agent.send("heartbeat", {});
  await waitFor("another heartbeat", () => heartbeats() === 2);
  assert.equal(snapshots.length, 2, "an unknown event is ignored");
  assert.deepEqual(lost, []);
  await stop(link, agent);
  assert.deepEqual(lost, [], "stopping is not a loss");
});

Deno.test("startAgentLink() sends no Authorization header in insecure mode", async () => {
  await using agent = startFakeAgent();
  const { link, snapshots } = record(agent.url, { token: null });
  await waitFor("the first snapshot", () => snapshots.length === 1);
  assert.deepEqual(agent.auth, [null]);
  await stop(link, agent);
});

Deno.test("startAgentLink() reports the agent lost when its stream goes silent", async () => {
  await using agent = startFakeAgent();
  const { link, snapshots, lost } = record(agent.url, { offlineAfterMs: 300 });
  await waitFor("the first snapshot", () => snapshots.length === 1);
  // The server sends nothing more.
  await waitFor("the loss", () => lost.length > 0, 3000);
  assert.equal(lost[0], "no word for 300 ms");
  // It reconnects and hears the new stream's first snapshot.
  await waitFor("a reconnection", () => snapshots.length >= 2, 3000);
  assert.ok(agent.auth.length >= 2);
  await stop(link, agent);
});

Deno.test("startAgentLink() reports a refused token with a clear reason", async () => {
  await using agent = startFakeAgent({ status: 401 });
  const { link, snapshots, lost } = record(agent.url, { token: "wrong" });
  await waitFor("the loss", () => lost.length > 0);
  assert.equal(lost[0], "the agent refused the fleet token (different fleet key?)");
  assert.doesNotMatch(lost[0]!, /wrong/, "the token stays out of the reason");
  assert.equal(snapshots.length, 0);
  link.stop();
});

Deno.test("startAgentLink() reports another HTTP error with its status", async () => {
  await using agent = startFakeAgent({ status: 503 });
  const { link, lost } = record(agent.url);
  await waitFor("the loss", () => lost.length > 0);
  assert.equal(lost[0], "the agent answered HTTP 503");
  link.stop();
});

Deno.test("startAgentLink() refuses a snapshot with another protocol version", async () => {
  await using agent = startFakeAgent({ first: { ...snapshot("a1"), v: PROTOCOL_VERSION + 1 } });
  const { link, snapshots, lost } = record(agent.url);
  await waitFor("the loss", () => lost.length > 0);
  assert.equal(
    lost[0],
    `the agent speaks protocol ${PROTOCOL_VERSION + 1}, this hub ${PROTOCOL_VERSION}`,
  );
  assert.equal(snapshots.length, 0);
  link.stop();
  await waitFor("the stream to close", () => agent.open() === 0);
});

Deno.test("startAgentLink() reconnects when the agent comes back", async () => {
  const first = startFakeAgent();
  const { link, snapshots, lost } = record(first.url);
  await waitFor("the first snapshot", () => snapshots.length === 1);
  await first.close();
  await waitFor("the loss", () => lost.length > 0);
  assert.equal(lost[0], "the state stream ended");

  await using second = startFakeAgent({ port: first.port, first: snapshot("a1", 9) });
  await waitFor("the snapshot after the restart", () => snapshots.length === 2, 3000);
  assert.equal(snapshots[1]!.seq, 9);
  await stop(link, second);
});

Deno.test("startAgentLink() reports a connection failure and stop() ends the retries", async () => {
  // A port nothing listens on: bind one, then free it.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const { link, lost } = record(`http://127.0.0.1:${port}`);
  await waitFor("the loss", () => lost.length > 0);
  assert.match(lost[0]!, /^state stream failed: connection refused$/);
  link.stop();
  const count = lost.length;
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.equal(lost.length, count, "no attempt after stop()");
});
