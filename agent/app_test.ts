import assert from "node:assert/strict";
import { newPacketCounters } from "../shared/discovery.ts";
import type { AgentSnapshot, HostMetrics } from "../shared/protocol.ts";
import { createAgentApp } from "./app.ts";
import { createProxy } from "./proxy.ts";
import { AgentState } from "./state.ts";

const TOKEN = "test-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };

function newState(): AgentState {
  return new AgentState({
    agent: { id: "a1", name: "gpu-1", version: "0.1.0", port: 11435, startedAt: 1_700_000_000_000 },
    host: {
      hostname: "gpu-1",
      os: "Debian GNU/Linux 12 (bookworm)",
      kernel: "6.1.0-18-amd64",
      arch: "x86_64",
      cpuModel: null,
      bootId: "790a4efc-34f5-4461-acd6-d4bdca6157bc",
    },
    slots: 2,
    contextLength: 8192,
    coalesceMs: 1,
  });
}

/** An upstream stand-in that records what it was sent and answers with a stream it controls. */
function fakeOllama() {
  const seen: { url: string; headers: Headers; body: string; signal: AbortSignal }[] = [];
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  const fetcher = (async (input: URL | Request | string, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push({
      url: request.url,
      headers: request.headers,
      body: await request.text(),
      signal: init!.signal!,
    });
    const body = new ReadableStream<Uint8Array>({ start: (c) => void streams.push(c) });
    return new Response(body, {
      headers: { "content-type": "application/x-ndjson", connection: "keep-alive" },
    });
  }) as typeof fetch;
  return {
    seen,
    fetcher,
    /** Sends `text` on the `i`th response (the latest by default). */
    push: (text: string, i = streams.length - 1) =>
      streams[i]!.enqueue(new TextEncoder().encode(text)),
    end: (i = streams.length - 1) => streams[i]!.close(),
  };
}

function appWith(state: AgentState, fetcher: typeof fetch, token: string | null = TOKEN) {
  const changes: string[] = [];
  const counts = new Map<string, number>();
  const proxy = createProxy({
    ollamaUrl: "http://127.0.0.1:11434",
    state,
    fetch: fetcher,
    counts,
    onChange: (what) => changes.push(what),
  });
  const app = createAgentApp({
    state,
    proxy,
    token,
    counters: () => ({
      proxied: counts,
      packets: newPacketCounters(),
      announcements: 3,
      subscribers: 0,
    }),
  });
  // What Deno.serve gives each request: `completed` settles once the response is sent.
  const sent: (() => void)[] = [];
  const send = (path: string, init?: RequestInit) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    sent.push(resolve);
    return app.request(path, init, { completed: promise });
  };
  /** Marks the `i`th request's response as sent. */
  const complete = (i: number) => sent[i]!();
  return { app, send, complete, changes, counts };
}

Deno.test("createAgentApp() answers /healthz without a token", async () => {
  const { send } = appWith(newState(), fetch);
  const response = await send("/healthz");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok", ollama: "unreachable" });
});

Deno.test("createAgentApp() refuses a missing or wrong fleet token with a 401 envelope", async () => {
  const { send } = appWith(newState(), fetch);
  const attempts: Record<string, string>[] = [{}, { authorization: "Bearer nope" }, {
    authorization: TOKEN,
  }];
  for (const headers of attempts) {
    for (const path of ["/v1/state", "/v1/state/stream", "/metrics", "/ollama/api/tags"]) {
      const response = await send(path, { headers });
      assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
      const body = await response.json();
      if (path.startsWith("/ollama")) {
        // In Ollama's dialect, so that Ollama clients show the reason.
        assert.equal(response.headers.get("x-corral-error"), "UNAUTHORIZED");
        assert.match(body.error, /fleet token/i);
      } else {
        assert.equal(body.src, "agent");
        assert.equal(body.error.code, "UNAUTHORIZED");
      }
    }
  }
});

Deno.test("createAgentApp() serves every route without a token when insecure", async () => {
  const { send } = appWith(newState(), fetch, null);
  assert.equal((await send("/v1/state")).status, 200);
});

Deno.test("createAgentApp() serves the snapshot at /v1/state, versioned", async () => {
  const state = newState();
  const { send } = appWith(state, fetch);
  const response = await send("/v1/state", { headers: AUTH });
  assert.equal(response.headers.get("content-type"), "application/json");
  const snapshot: AgentSnapshot = await response.json();
  assert.equal(snapshot.v, 1);
  assert.equal(snapshot.agent.id, "a1");
  assert.equal(snapshot.ollama.slots, 2);
  assert.equal(
    snapshot.ollama.contextLength,
    8192,
    "the host's OLLAMA_CONTEXT_LENGTH, from config",
  );
  assert.deepEqual(snapshot.inFlight, {});
});

Deno.test("createAgentApp() answers unknown paths with a 404 envelope", async () => {
  const { send } = appWith(newState(), fetch);
  const response = await send("/v2/state", { headers: AUTH });
  assert.equal(response.status, 404);
  assert.equal((await response.json()).error.code, "NOT_FOUND");
});

Deno.test("proxy forwards path, query and body, sets a local Host, and keeps the fleet token", async () => {
  const ollama = fakeOllama();
  const { send } = appWith(newState(), ollama.fetcher);
  const body = JSON.stringify({ model: "qwen3:8b", prompt: "hi" });
  const response = await send("/ollama/api/generate?x=1", {
    method: "POST",
    headers: {
      ...AUTH,
      "content-type": "application/json",
      "user-agent": "ollama-js/0.6.4",
      host: "10.0.0.9:11435",
    },
    body,
  });
  ollama.end();
  await response.body?.cancel();
  const [sent] = ollama.seen;
  assert.equal(sent!.url, "http://127.0.0.1:11434/api/generate?x=1");
  assert.equal(sent!.body, body);
  assert.equal(sent!.headers.get("authorization"), null);
  assert.equal(sent!.headers.get("user-agent"), "ollama-js/0.6.4");
  assert.equal(sent!.headers.get("content-type"), "application/json");
});

Deno.test("proxy streams each upstream chunk as it comes and drops hop-by-hop headers", async () => {
  const ollama = fakeOllama();
  const { send } = appWith(newState(), ollama.fetcher);
  const response = await send("/ollama/api/chat", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ model: "qwen3:8b", messages: [] }),
  });
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  assert.equal(response.headers.get("connection"), null);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  for (const line of ['{"n":1}\n', '{"n":2}\n', '{"n":3}\n']) {
    ollama.push(line);
    const { value } = await reader.read();
    assert.equal(decoder.decode(value), line);
  }
  ollama.end();
  assert.equal((await reader.read()).done, true);
});

Deno.test("proxy counts a request in flight for its model until its response is sent", async () => {
  const state = newState();
  const ollama = fakeOllama();
  const { send, complete, changes, counts } = appWith(state, ollama.fetcher);
  const chat = () =>
    send("/ollama/api/chat", {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ model: "qwen3:8b", messages: [] }),
    });
  const first = await chat();
  assert.deepEqual(state.inFlight(), { "qwen3:8b": 1 });
  const second = await chat();
  assert.deepEqual(state.inFlight(), { "qwen3:8b": 2 });
  ollama.push("{}\n", 0);
  ollama.end(0);
  await first.text();
  complete(0);
  await Promise.resolve();
  assert.deepEqual(state.inFlight(), { "qwen3:8b": 1 });
  await second.body!.cancel();
  complete(1);
  await Promise.resolve();
  assert.deepEqual(state.inFlight(), {});
  // qwen3:8b was not loaded: the poller is asked to look at once.
  assert.deepEqual(changes, ["memory", "memory"]);
  assert.equal(counts.get("/api/chat 200"), 2);
});

Deno.test("proxy does not ask for a poll when the model is already loaded", async () => {
  const state = newState();
  state.setOllama({
    reachable: true,
    version: "0.13.0",
    error: null,
    models: [],
    loaded: [{
      name: "llama3.2:latest",
      digest: "d",
      size: 1,
      sizeVram: 1,
      contextLength: 4096,
      expiresAt: null,
    }],
  });
  const ollama = fakeOllama();
  const { send, changes } = appWith(state, ollama.fetcher);
  const response = await send("/ollama/api/generate", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ model: "llama3.2", prompt: "hi" }),
  });
  await response.body!.cancel();
  assert.deepEqual(changes, []);
});

Deno.test("proxy takes the model from X-Corral-Model and still sends the body", async () => {
  const state = newState();
  const ollama = fakeOllama();
  const { send } = appWith(state, ollama.fetcher);
  const body = JSON.stringify({ model: "ignored", messages: [] });
  const response = await send("/ollama/api/chat", {
    method: "POST",
    headers: { ...AUTH, "x-corral-model": "llama3.2:3b" },
    body,
  });
  assert.deepEqual(state.inFlight(), { "llama3.2:3b": 1 });
  assert.equal(ollama.seen[0]!.headers.get("x-corral-model"), null);
  assert.equal(ollama.seen[0]!.body, body);
  await response.body!.cancel();
});

Deno.test("proxy aborts the upstream request when the caller goes away", async () => {
  const ollama = fakeOllama();
  const { send } = appWith(newState(), ollama.fetcher);
  // Deno.serve aborts a request's signal when its client disconnects.
  const caller = new AbortController();
  const response = await send("/ollama/api/generate", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ model: "qwen3:8b" }),
    signal: caller.signal,
  });
  assert.equal(ollama.seen[0]!.signal.aborted, false);
  caller.abort();
  assert.equal(ollama.seen[0]!.signal.aborted, true);
  await response.body!.cancel();
});

Deno.test("proxy asks for the models on disk again after a pull or delete", async () => {
  const ollama = fakeOllama();
  const { send, complete, changes } = appWith(newState(), ollama.fetcher);
  const response = await send("/ollama/api/delete", {
    method: "DELETE",
    headers: AUTH,
    body: JSON.stringify({ model: "qwen3:8b" }),
  });
  ollama.end();
  await response.text();
  complete(0);
  await Promise.resolve();
  assert.ok(changes.includes("disk"));
});

Deno.test("proxy answers 502 in Ollama's dialect when Ollama cannot be reached", async () => {
  const refused = (() =>
    Promise.reject(
      new TypeError("error sending request: Connection refused (os error 111)"),
    )) as typeof fetch;
  const state = newState();
  const { send } = appWith(state, refused);
  const response = await send("/ollama/api/chat", {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ model: "qwen3:8b" }),
  });
  assert.equal(response.status, 502);
  assert.equal(response.headers.get("x-corral-error"), "OLLAMA_UNREACHABLE");
  assert.deepEqual(await response.json(), {
    error: "Cannot reach the local Ollama at http://127.0.0.1:11434: connection refused",
  });
  assert.deepEqual(state.inFlight(), {});
});

Deno.test("createAgentApp() renders /metrics in Prometheus text format", async () => {
  const state = newState();
  const metrics: HostMetrics = {
    cpuUtilization: 12.5,
    cpuCount: 16,
    load: [1, 2, 3],
    memoryTotal: 64e9,
    memoryAvailable: 32e9,
    swapTotal: 0,
    swapFree: 0,
    disks: [{ path: "/", total: 1e12, free: 5e11, used: 5e11 }],
    temperatures: [{ kind: "cpu", label: 'coretemp/Package "0"', celsius: 55, source: "hwmon" }],
    uptimeSeconds: 100,
  };
  state.setMetrics(metrics);
  state.setGpus({
    source: "nvidia-smi",
    error: null,
    gpus: [{
      index: 0,
      uuid: "GPU-1",
      name: "NVIDIA GeForce RTX 4090",
      vendor: "nvidia",
      memoryTotal: 25e9,
      memoryUsed: 1e9,
      utilization: null,
      temperature: 40,
      powerDraw: 30.5,
      powerLimit: 450,
      mig: false,
    }],
  });
  const { send } = appWith(state, fetch);
  const response = await send("/metrics", { headers: AUTH });
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /^corral_cpu_utilization_percent 12\.5$/m);
  assert.match(text, /^corral_disk_free_bytes\{path="\/"\} 500000000000$/m);
  assert.match(
    text,
    /^corral_temperature_celsius\{kind="cpu",sensor="coretemp\/Package \\"0\\""\} 55$/m,
  );
  assert.match(
    text,
    /^corral_gpu_power_watts\{index="0",uuid="GPU-1",name="NVIDIA GeForce RTX 4090"\} 30\.5$/m,
  );
  assert.match(text, /^corral_announcements_sent_total 3$/m);
  // Unknown values are left out rather than reported as zero.
  assert.doesNotMatch(text, /corral_gpu_utilization_percent/);
  // Every sample line belongs to a declared metric.
  const declared = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
    assert.ok(declared.has(line.split(/[{ ]/)[0]), line);
  }
});
