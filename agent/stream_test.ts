import assert from "node:assert/strict";
import type { OllamaReport } from "../shared/protocol.ts";
import { AgentState } from "./state.ts";
import { stateStream } from "./stream.ts";
import { readEvents } from "../tests/_utils.ts";

function newState(coalesceMs = 1): AgentState {
  return new AgentState({
    agent: { id: "a1", name: "gpu-1", version: "0.1.0", port: 11435, startedAt: 0 },
    host: {
      hostname: "gpu-1",
      os: "Linux",
      kernel: "6.1.0",
      arch: "x86_64",
      cpuModel: null,
      bootId: "790a4efc-34f5-4461-acd6-d4bdca6157bc",
    },
    slots: 1,
    coalesceMs,
  });
}

const ollama = (loaded: string[]): OllamaReport => ({
  reachable: true,
  version: "0.13.0",
  error: null,
  models: [],
  loaded: loaded.map((name) => ({
    name,
    digest: "d",
    size: 1,
    sizeVram: 1,
    contextLength: 4096,
    expiresAt: null,
  })),
  slots: 1,
});

Deno.test("AgentState publishes a burst of changes once", async () => {
  const state = newState(5);
  const seen: number[] = [];
  state.subscribe(({ snapshot }) => seen.push(snapshot.seq));
  const ends = Array.from({ length: 50 }, () => state.begin("qwen3:8b"));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(seen.length, 1);
  assert.deepEqual(state.current().snapshot.inFlight, { "qwen3:8b": 50 });
  for (const end of ends) end();
  ends[0]!(); // Ending twice counts once.
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(seen.length, 2);
  assert.deepEqual(state.current().snapshot.inFlight, {});
  state.close();
});

Deno.test("AgentState.setOllama() publishes only when the report changes", async () => {
  const state = newState();
  let count = 0;
  state.subscribe(() => count++);
  state.setOllama(ollama(["qwen3:8b"]));
  await new Promise((r) => setTimeout(r, 10));
  state.setOllama(ollama(["qwen3:8b"]));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(count, 1);
  state.setOllama(ollama([]));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(count, 2);
  state.close();
});

Deno.test("stateStream() sends the snapshot first, then each change", async () => {
  const state = newState();
  const stream = readEvents(stateStream(state));
  const first = await stream.next();
  assert.equal(first.event, "snapshot");
  assert.equal(first.data.v, 1);
  state.setOllama(ollama(["qwen3:8b"]));
  const second = await stream.next();
  assert.equal(second.event, "snapshot");
  assert.ok((second.data.seq as number) > (first.data.seq as number));
  assert.equal((second.data.ollama as OllamaReport).loaded[0]!.name, "qwen3:8b");
  await stream.cancel();
  assert.equal(state.subscribers, 0);
  state.close();
});

Deno.test("stateStream() sends heartbeats while nothing changes", async () => {
  const state = newState();
  const stream = readEvents(stateStream(state, { heartbeatMs: 100 }));
  const first = await stream.next();
  const beat = await stream.next();
  assert.equal(beat.event, "heartbeat");
  assert.equal(beat.data.seq, first.data.seq);
  assert.equal((await stream.next()).event, "heartbeat");
  await stream.cancel();
  state.close();
});

Deno.test("stateStream() gives a slow reader the latest snapshot, not a backlog", async () => {
  const state = newState();
  const response = stateStream(state, { heartbeatMs: 60_000 });
  // Nobody reads while a hundred changes happen.
  for (let i = 0; i < 100; i++) {
    state.setOllama(ollama([`m${i}`]));
    await new Promise((r) => setTimeout(r, 3));
  }
  const stream = readEvents(response);
  const received: string[] = [];
  for (;;) {
    const { data } = await stream.next();
    const name = (data.ollama as OllamaReport).loaded[0]?.name;
    received.push(name ?? "");
    if (name === "m99") break;
  }
  assert.ok(received.length <= 4, `read ${received.length} snapshots: ${received}`);
  await stream.cancel();
  state.close();
});

Deno.test("stateStream() ends when its signal aborts", async () => {
  const state = newState();
  const stop = new AbortController();
  const response = stateStream(state, { signal: stop.signal });
  const stream = readEvents(response);
  await stream.next();
  stop.abort();
  await assert.rejects(() => stream.next(), /ended/);
  assert.equal(state.subscribers, 0);
  state.close();
});
