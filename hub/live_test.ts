import assert from "node:assert/strict";
import { Hono } from "hono";
import type { FleetState, HostView, PullJob, SparkPoint } from "../shared/dashboard.ts";
import { toErrorBody } from "../shared/errors.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";
import { startTestSim, waitFor } from "../tests/_utils.ts";
import { InFlightTable } from "./in_flight.ts";
import { LiveFeed, type LiveFeedOptions, liveRoutes } from "./live.ts";
import { hubDataFetch } from "./model_testing.ts";
import { PullJobs } from "./pull_jobs.ts";
import { Registry } from "./registry.ts";
import { testSnapshot } from "./snapshot_testing.ts";
import { Sparks } from "./sparks.ts";

const GB = 1e9;
/** Long enough that only the test flushes. */
const MANUAL = 3_600_000;

function snapshot(seq: number, loaded: string[] = []): AgentSnapshot {
  return testSnapshot((s) => {
    s.seq = seq;
    s.metrics.cpuUtilization = seq;
    s.ollama.loaded = loaded.map((name) => ({
      name,
      digest: "d",
      size: GB,
      sizeVram: GB,
      contextLength: 4096,
      expiresAt: null,
    }));
  });
}

/** One parsed block of the stream: an event, or a comment. */
interface Block {
  id?: string;
  event?: string;
  retry?: string;
  comment?: string;
  data?: unknown;
}

function parseBlock(text: string): Block {
  const block: Block = {};
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) block.comment = line.slice(1).trim();
    const field = /^(id|event|retry|data): (.*)$/.exec(line);
    if (!field) continue;
    const [, name, value] = field as unknown as [string, keyof Block, string];
    block[name] = (name === "data" ? JSON.parse(value) : value) as never;
  }
  return block;
}

/** Reads a stream's blocks one at a time; `next()` throws once it ends. */
function blocks(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<Block> {
      while (!buffer.includes("\n\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error("the event stream ended");
        buffer += value;
      }
      const end = buffer.indexOf("\n\n");
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      return parseBlock(text);
    },
    /** The next event of this name, skipping others. */
    async until<T>(event: string, where: (data: T) => boolean = () => true): Promise<T> {
      for (;;) {
        const block = await this.next();
        if (block.event === event && where(block.data as T)) return block.data as T;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

const ALPHA = {
  id: "a1",
  name: "Alpha",
  kind: "agent",
  url: "http://a",
  source: "static",
} as const;
const BETA = { ...ALPHA, id: "b1", name: "Beta", url: "http://b" };

/** A feed over a real registry, served by a real `Deno.serve` at `/api/events`. */
function serveFeed(options: Partial<Omit<LiveFeedOptions, "pulls">> & { pulls?: PullJobs } = {}) {
  const inFlight = new InFlightTable();
  const registry = new Registry(inFlight);
  const queue = { size: 0 };
  let clock = 1_000_000;
  const sparks = new Sparks(registry, { now: () => clock });
  const pulls = options.pulls ?? new PullJobs({
    dataFetch: () => Promise.reject(new Error("no data plane in this test")),
  });
  const feed = new LiveFeed({
    registry,
    inFlight,
    queue,
    sparks,
    pulls,
    hub: { name: "test-hub", version: "9.9.9" },
    flushMs: MANUAL,
    ...options,
  });
  const app = new Hono();
  app.route("/api", liveRoutes(feed));
  app.onError((error, c) => {
    const { status, body } = toErrorBody("hub", error);
    return c.json(body, status as 503);
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  registry.add(ALPHA, 0);
  registry.observe("a1", snapshot(1), 1);
  const streams: { cancel(): Promise<unknown> }[] = [];
  return {
    registry,
    inFlight,
    queue,
    pulls,
    feed,
    url,
    tick: (ms: number) => clock += ms,
    /** Opens the stream and returns its reader, whose first block is not read yet. */
    async open(headers: Record<string, string> = {}) {
      const response = await fetch(`${url}/api/events`, { headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      const reader = blocks(response.body!);
      streams.push(reader);
      return reader;
    },
    async [Symbol.asyncDispose]() {
      feed.stop();
      sparks.stop();
      await pulls.stop();
      await Promise.all(streams.map((s) => s.cancel()));
      await server.shutdown();
    },
  };
}

Deno.test("GET /api/events sends retry and the whole fleet first", async () => {
  await using live = serveFeed();
  live.queue.size = 2;
  const stream = await live.open();
  const first = await stream.next();
  assert.equal(first.retry, "1000");
  assert.equal(first.event, "fleet");
  assert.match(first.id!, /^\d+$/);
  const fleet = first.data as FleetState;
  assert.deepEqual(fleet.hub, { name: "test-hub", version: "9.9.9" });
  assert.deepEqual(fleet.hosts.map((h) => [h.id, h.name, h.status, h.snapshot?.seq]), [
    ["a1", "Alpha", "online", 1],
  ]);
  assert.deepEqual(Object.keys(fleet.sparks), ["a1"]);
  assert.deepEqual(fleet.pulls, []);
  assert.equal(fleet.queued, 2);
  assert.equal(live.feed.clients, 1);
});

Deno.test("a changed snapshot reaches the client as a host event on the feed's own timer", async () => {
  await using live = serveFeed({ flushMs: 10 });
  const stream = await live.open();
  await stream.until("fleet");
  live.registry.observe("a1", snapshot(2, ["qwen3:8b"]), 2);
  const host = await stream.until<HostView>("host");
  assert.equal(host.id, "a1");
  assert.deepEqual(host.snapshot!.ollama.loaded.map((m) => m.name), ["qwen3:8b"]);
});

Deno.test("changes within one flush give one host event per host, with its latest view", async () => {
  await using live = serveFeed();
  const stream = await live.open();
  const fleet = await stream.next();
  for (let seq = 2; seq <= 6; seq++) live.registry.observe("a1", snapshot(seq), seq);
  live.registry.add(BETA, 7);
  live.feed.flush();
  live.queue.size = 1;
  live.feed.flush();
  const events = [await stream.next(), await stream.next(), await stream.next()];
  assert.deepEqual(events.map((e) => e.event), ["host", "host", "queue"]);
  assert.deepEqual(events.map((e) => (e.data as HostView).id), ["a1", "b1", undefined]);
  assert.equal((events[0]!.data as HostView).snapshot!.seq, 6);
  assert.deepEqual(events[2]!.data, { queued: 1 });
  const ids = [fleet, ...events].map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids grow");
  assert.equal(new Set(ids).size, ids.length, "each event has its own id");
});

Deno.test("a removed host, and the hub's requests starting and ending, reach the client", async () => {
  await using live = serveFeed();
  live.registry.add(BETA, 0);
  const stream = await live.open();
  await stream.until("fleet");
  const end = live.inFlight.begin("a1", "qwen3:8b");
  live.feed.flush();
  assert.equal((await stream.until<HostView>("host")).inFlight, 1);
  end();
  live.feed.flush();
  assert.equal((await stream.until<HostView>("host")).inFlight, 0);
  live.registry.remove("b1");
  live.feed.flush();
  const removed = await stream.next();
  assert.equal(removed.event, "host-removed");
  assert.deepEqual(removed.data, { id: "b1" });
});

Deno.test("sparkline points and pull jobs reach the client", async () => {
  await using sim = startTestSim({ profile: { network: "2GB/s" } });
  const pulls = new PullJobs({ dataFetch: hubDataFetch(sim.url), progressMs: 0 });
  await using live = serveFeed({ pulls, flushMs: 10 });
  const stream = await live.open();
  await stream.until("fleet");
  live.tick(5000);
  live.registry.observe("a1", snapshot(42), 2);
  const spark = await stream.until<{ id: string; point: SparkPoint }>("spark");
  assert.equal(spark.id, "a1");
  assert.equal(spark.point.cpu, 42);

  const [job] = pulls.start("qwen3:0.6b", [{ id: "a1", name: "Alpha" }], "ann");
  const done = await stream.until<PullJob>("pull", (j) => j.state !== "running");
  assert.equal(done.id, job!.id);
  assert.equal(done.state, "done", done.error ?? "");
  assert.equal(done.by, "ann");
});

Deno.test("a reconnect with Last-Event-ID gets the whole fleet again", async () => {
  await using live = serveFeed();
  const first = await live.open();
  const fleet = await first.next();
  live.registry.observe("a1", snapshot(2), 2);
  live.feed.flush();
  const host = await first.next();
  await first.cancel();
  const again = await live.open({ "last-event-id": host.id! });
  const block = await again.next();
  assert.equal(block.event, "fleet");
  assert.ok(Number(block.id) > Number(fleet.id));
  assert.equal((block.data as FleetState).hosts[0]!.snapshot!.seq, 2);
});

Deno.test("a client that goes away is dropped at once, and an idle stream gets pings", async () => {
  await using live = serveFeed({ pingMs: 0 });
  const stream = await live.open();
  await stream.next();
  live.feed.flush();
  assert.deepEqual(await stream.next(), { comment: "ping" });
  await stream.cancel();
  await waitFor("the client to be dropped", () => live.feed.clients === 0);
});

Deno.test("LiveFeed.stop() ends every stream and refuses new clients", async () => {
  await using live = serveFeed();
  const streams = [await live.open(), await live.open()];
  for (const stream of streams) await stream.next();
  live.feed.stop();
  for (const stream of streams) await assert.rejects(stream.next(), /the event stream ended/);
  assert.equal(live.feed.clients, 0);
  const refused = await fetch(`${live.url}/api/events`);
  assert.equal(refused.status, 503);
  assert.equal((await refused.json()).error.code, "UNAVAILABLE");
});

Deno.test("a client that does not read is skipped, then gets a fresh fleet when it drains", () => {
  const inFlight = new InFlightTable();
  const registry = new Registry(inFlight);
  const sparks = new Sparks(registry);
  const feed = new LiveFeed({
    registry,
    inFlight,
    queue: { size: 0 },
    sparks,
    pulls: { list: () => [], subscribe: () => () => {} },
    hub: { name: "h", version: "v" },
    flushMs: MANUAL,
    backlog: 4,
  });
  registry.add(ALPHA, 0);
  const response = feed.connect(new Request("http://hub/api/events"));
  for (let seq = 1; seq <= 50; seq++) {
    registry.observe("a1", snapshot(seq), seq);
    feed.flush();
  }
  return (async () => {
    const stream = blocks(response.body!);
    const seen: Block[] = [];
    do seen.push(await stream.next()); while (seen.length < 2 || seen.at(-1)!.event !== "fleet");
    assert.equal(seen[0]!.event, "fleet");
    const waited = seen.slice(1, -1).filter((b) => b.event === "host");
    assert.ok(waited.length < 4, `${waited.length} flushes waited, fewer than the backlog`);
    const fresh = seen.at(-1)!.data as FleetState;
    assert.equal(fresh.hosts[0]!.snapshot!.seq, 50, "the fresh fleet has the latest state");
    feed.stop();
    await assert.rejects(stream.next(), /the event stream ended/);
    sparks.stop();
  })();
});
