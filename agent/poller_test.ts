import assert from "node:assert/strict";
import type { ListModel } from "../shared/ollama.ts";
import type { OllamaReport } from "../shared/protocol.ts";
import { OllamaClient } from "./ollama.ts";
import { startOllamaPoller } from "./poller.ts";
import { AgentState } from "./state.ts";
import { QWEN3_8B_SHAPE } from "../shared/model_shape_testing.ts";

function tag(name: string, digest: string): ListModel {
  return {
    name,
    model: name,
    modified_at: "2026-05-02T10:00:00Z",
    size: 5_225_388_164,
    digest,
    details: {
      parent_model: "",
      format: "gguf",
      family: "qwen3",
      families: ["qwen3"],
      parameter_size: "8.2B",
      quantization_level: "Q4_K_M",
    },
  };
}

function show(blocks: number) {
  return {
    model_info: {
      "general.architecture": "qwen3",
      "qwen3.attention.head_count": 32,
      "qwen3.attention.head_count_kv": 8,
      "qwen3.attention.key_length": 128,
      "qwen3.attention.value_length": 128,
      "qwen3.block_count": blocks,
      "qwen3.context_length": 40960,
      "qwen3.embedding_length": 4096,
    },
    capabilities: ["completion", "tools"],
  };
}

/**
 * A stand-in Ollama: `/api/tags` lists `models`, `/api/show` answers from `shows` (a status number
 * is an error answer), and every path asked for is counted.
 */
function fakeOllama(models: ListModel[], shows: Record<string, unknown>) {
  const asked: string[] = [];
  const fetcher = (async (input: URL | Request | string, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path === "/api/show") {
      const { model } = await request.json();
      asked.push(`show ${model}`);
      const answer = shows[model];
      if (typeof answer === "number") return Response.json({ error: "boom" }, { status: answer });
      return Response.json(answer ?? { model_info: {} });
    }
    asked.push(path);
    if (path === "/api/tags") return Response.json({ models });
    if (path === "/api/ps") return Response.json({ models: [] });
    if (path === "/api/version") return Response.json({ version: "0.12.3" });
    return new Response("404 page not found", { status: 404 });
  }) as typeof fetch;
  return { fetcher, asked, shows: (model: string) => asked.filter((a) => a === `show ${model}`) };
}

function newState(): AgentState {
  return new AgentState({
    agent: { id: "a1", name: "gpu-1", version: "0.1.0", port: 11435, startedAt: 0 },
    host: { hostname: "gpu-1", os: "", kernel: "", arch: "", cpuModel: null, bootId: "" },
    slots: 1,
    coalesceMs: 1,
  });
}

/** Waits (briefly) until the state's Ollama report passes `check`. */
async function until(state: AgentState, what: string, check: (o: OllamaReport) => boolean) {
  const deadline = performance.now() + 2000;
  while (!check(state.ollama)) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("startOllamaPoller() fills each model's shape from /api/show, once per digest", async () => {
  const ollama = fakeOllama(
    [tag("qwen3:8b", "d1"), tag("qwen3:latest", "d1"), tag("other:1b", "d2")],
    { "qwen3:8b": show(36), "qwen3:latest": show(36), "other:1b": show(16) },
  );
  const state = newState();
  const poller = startOllamaPoller({
    client: new OllamaClient("http://127.0.0.1:11434", { fetch: ollama.fetcher }),
    state,
    intervalMs: 5,
  });
  try {
    await until(state, "the models", (o) => o.models.length === 3);
    const { models } = state.ollama;
    assert.deepEqual(models.map((m) => m.shape?.blockCount), [36, 36, 16]);
    assert.deepEqual(models[0]!.shape, QWEN3_8B_SHAPE);
    const shows = ollama.asked.filter((a) => a.startsWith("show "));
    assert.equal(shows.length, 2, `one show per digest: ${shows}`);

    poller.refresh("disk");
    const tags = () => ollama.asked.filter((a) => a === "/api/tags").length;
    const before = tags();
    await until(state, "another tags read", () => tags() > before);
    await until(state, "a few more polls", () => ollama.asked.length > 20);
    assert.equal(ollama.asked.filter((a) => a.startsWith("show ")).length, 2, "no show again");
    assert.deepEqual(state.ollama.models.map((m) => m.shape?.blockCount), [36, 36, 16]);
    assert.equal(state.ollama.reachable, true);
  } finally {
    await poller.stop();
  }
});

Deno.test("startOllamaPoller() leaves a shape null when /api/show fails, and tries again at the next tags read", async () => {
  const shows: Record<string, unknown> = { "qwen3:8b": 500 };
  const ollama = fakeOllama([tag("qwen3:8b", "d1")], shows);
  const state = newState();
  const errors: unknown[] = [];
  const poller = startOllamaPoller({
    client: new OllamaClient("http://127.0.0.1:11434", { fetch: ollama.fetcher }),
    state,
    intervalMs: 5,
    onError: (e) => errors.push(e),
  });
  try {
    await until(state, "the model", (o) => o.models.length === 1);
    assert.equal(state.ollama.models[0]!.shape, null);
    assert.equal(state.ollama.reachable, true, "a failed show does not fail the poll");
    assert.equal(state.ollama.error, null);
    await until(state, "a few more polls", () => ollama.asked.length > 10);
    assert.deepEqual(ollama.shows("qwen3:8b").length, 1, "not retried until the tags are read");

    shows["qwen3:8b"] = show(36);
    poller.refresh("disk");
    await until(state, "the shape", (o) => o.models[0]!.shape?.blockCount === 36);
    assert.equal(ollama.shows("qwen3:8b").length, 2);
    assert.deepEqual(errors, []);
  } finally {
    await poller.stop();
  }
});
