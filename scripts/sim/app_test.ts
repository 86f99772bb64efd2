import assert from "node:assert/strict";
import { toModelShape } from "../../shared/ollama_convert.ts";
import { createSimApp } from "./app.ts";
import { findInCatalogue, kvBytesPerToken } from "./catalogue.ts";
import { resolveProfile } from "./profile.ts";
import { Simulator } from "./simulator.ts";

function setup(overrides: Record<string, unknown> = {}) {
  const sim = new Simulator({ profile: resolveProfile({ overrides }), speed: 500 });
  const app = createSimApp(sim);
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    app.request(`http://localhost${path}`, {
      ...init,
      method: init.method ?? (init.json !== undefined || init.body !== undefined ? "POST" : "GET"),
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  return { sim, app, call, [Symbol.dispose]: () => sim.close() };
}

Deno.test("GET and HEAD / answer `Ollama is running` as text", async () => {
  using s = setup();
  const response = await s.call("/");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain/);
  assert.equal(await response.text(), "Ollama is running");
  assert.equal((await s.call("/", { method: "HEAD" })).status, 200);
});

Deno.test("unknown paths answer 404 and wrong methods 405 with Allow, in plain text", async () => {
  using s = setup();
  const missing = await s.call("/api/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("content-type"), "text/plain");
  assert.equal(await missing.text(), "404 page not found");
  const wrong = await s.call("/api/chat");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  assert.equal(await wrong.text(), "405 method not allowed");
  const head = await s.call("/api/ps", { method: "HEAD" });
  assert.equal(head.status, 405);
  assert.equal(head.headers.get("allow"), "GET");
  assert.equal((await s.call("/api/tags", { method: "HEAD" })).status, 200);
});

Deno.test("bodies are decoded as Go's decoder would, with its error text", async (t) => {
  using s = setup();
  const cases: [string, string | undefined, number, string][] = [
    ["/api/generate", "", 400, "missing request body"],
    ["/api/generate", "{nope", 400, "invalid character 'n' looking for beginning of value"],
    ["/api/generate", `{"model":"x"`, 400, "unexpected EOF"],
    [
      "/api/generate",
      "[]",
      400,
      "json: cannot unmarshal array into Go value of type api.GenerateRequest",
    ],
    [
      "/api/generate",
      `{"model":"llama3.2:3b","prompt":5}`,
      400,
      "json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string",
    ],
    [
      "/api/generate",
      `{"model":"llama3.2:3b","prompt":"hi","options":{"temperature":"hot"}}`,
      500,
      `option "temperature" must be of type float32`,
    ],
    [
      "/api/generate",
      `{"model":"llama3.2:3b","prompt":"hi","keep_alive":true}`,
      400,
      "Unsupported type: 'bool'",
    ],
    ["/api/generate", `{"prompt":"hi"}`, 404, "model '' not found"],
    ["/api/embed", `{"model":"nomic-embed-text","input":5}`, 400, "invalid input type"],
    ["/api/show", `{}`, 400, "model is required"],
    ["/api/pull", `{"model":"bad name!"}`, 400, "invalid model name"],
    [
      "/api/copy",
      `{"source":"llama3.2:3b","destination":"bad name!"}`,
      400,
      `destination "bad name!" is invalid`,
    ],
    ["/api/create", `{"model":"mine"}`, 400, "neither 'from' or 'files' was specified"],
  ];
  for (const [path, body, status, error] of cases) {
    await t.step(`${path} ${JSON.stringify(body)} -> ${status}`, async () => {
      const response = await s.call(path, { method: "POST", body });
      assert.equal(response.status, status);
      assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
      assert.deepEqual(await response.json(), { error });
    });
  }
  const deleted = await s.call("/api/delete", { method: "DELETE", body: `{"model":"nope"}` });
  assert.equal(deleted.status, 404);
  assert.deepEqual(await deleted.json(), { error: "model 'nope' not found" });
});

Deno.test("/v1 errors use the OpenAI envelope", async () => {
  using s = setup();
  const bad = await s.call("/v1/chat/completions", { method: "POST", body: "{" });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: { message: "unexpected EOF", type: "invalid_request_error", param: null, code: null },
  });
  const prompt = await s.call("/v1/completions", { json: { model: "llama3.2:3b", prompt: ["a"] } });
  assert.equal(prompt.status, 400);
  const image = await s.call("/v1/chat/completions", {
    json: {
      model: "gemma3:4b",
      messages: [{
        role: "user",
        content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }],
      }],
    },
  });
  assert.equal(image.status, 400);
  assert.equal((await image.json()).error.message, "invalid image input");
});

Deno.test("streams are NDJSON when stream is absent; load and unload answer one JSON object", async () => {
  using s = setup();
  const streamed = await s.call("/api/generate", {
    json: { model: "llama3.2:3b", prompt: "hi", options: { num_predict: 3 } },
  });
  assert.equal(streamed.headers.get("content-type"), "application/x-ndjson");
  const lines = (await streamed.text()).split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 4);
  const last = JSON.parse(lines.at(-1)!);
  assert.equal(last.done, true);
  assert.equal(last.done_reason, "length");
  assert.match(last.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);

  const load = await s.call("/api/generate", { json: { model: "gemma3:4b" } });
  assert.equal(load.headers.get("content-type"), "application/json; charset=utf-8");
  const loaded = await load.json();
  assert.equal(loaded.done_reason, "load");
  assert.equal("total_duration" in loaded, false, "zero metrics are omitted");
  const unload = await s.call("/api/chat", { json: { model: "gemma3:4b", keep_alive: 0 } });
  assert.deepEqual(
    { ...(await unload.json()), created_at: undefined },
    {
      model: "gemma3:4b",
      created_at: undefined,
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "unload",
    },
  );
});

Deno.test("/api/ps lists the latest expiry first; eviction takes the shortest keep_alive, not LRU", async () => {
  using s = setup({ gpus: [{ name: "Mid", vram: "12GiB", bandwidth: "360GB/s" }] });
  await s.call("/api/generate", { json: { model: "llama3.2:3b", keep_alive: "10m" } });
  await s.call("/api/generate", { json: { model: "gemma3:4b", keep_alive: "1h" } });
  // Use llama again, so that an LRU policy would evict gemma.
  await s.call("/api/generate", { json: { model: "llama3.2:3b", keep_alive: "10m" } });
  const names = async () =>
    (await (await s.call("/api/ps")).json()).models.map((m: { name: string }) => m.name);
  assert.deepEqual(await names(), ["gemma3:4b", "llama3.2:3b"]);
  // qwen3:8b (about 6.3 GB with a 4k context) does not fit beside both (7 GB): one must go.
  await s.call("/api/generate", { json: { model: "qwen3:8b", keep_alive: "30m" } });
  assert.deepEqual(await names(), ["gemma3:4b", "qwen3:8b"]);
  const state = await (await s.call("/_sim/state")).json();
  assert.deepEqual(state.counters, { loads: 3, reloads: 0, evictions: 1 });
});

Deno.test("a num_ctx past the model's trained context loads the trained context", async () => {
  using s = setup();
  const load = (num_ctx: number) =>
    s.call("/api/generate", { json: { model: "qwen3:8b", options: { num_ctx } } });
  await load(131072);
  const [model] = (await (await s.call("/api/ps")).json()).models;
  assert.equal(model.context_length, 40960, "qwen3:8b was trained for 40960");
  await load(40960);
  await load(65536);
  const counters = async () => (await (await s.call("/_sim/state")).json()).counters;
  assert.deepEqual(await counters(), { loads: 1, reloads: 0, evictions: 0 }, "the same runner");
  await load(8192);
  assert.deepEqual(await counters(), { loads: 2, reloads: 1, evictions: 0 });
});

Deno.test("/api/ps shows a model alone on a too-small GPU split between VRAM and RAM", async () => {
  using s = setup({ gpus: [{ name: "Small", vram: "4GiB", bandwidth: "300GB/s" }] });
  await s.call("/api/generate", { json: { model: "qwen3:8b" } });
  const [model] = (await (await s.call("/api/ps")).json()).models;
  assert.equal(model.context_length, 4096);
  assert.equal(model.size_vram, 4 * 1024 ** 3);
  assert.ok(model.size > model.size_vram);
});

Deno.test("/api/show serves model_info as real Ollama does, with key and value lengths", async () => {
  using s = setup();
  const show = await (await s.call("/api/show", { json: { model: "qwen3:8b" } })).json();
  const info = show.model_info;
  assert.equal(info["general.architecture"], "qwen3");
  assert.deepEqual(
    [
      "block_count",
      "attention.head_count",
      "attention.head_count_kv",
      "attention.key_length",
      "attention.value_length",
      "embedding_length",
      "context_length",
    ].map((key) => info[`qwen3.${key}`]),
    [36, 32, 8, 128, 128, 4096, 40960],
  );
  const shape = toModelShape(show)!;
  const spec = findInCatalogue("qwen3:8b")!;
  assert.equal(
    2 * shape.blockCount * shape.headCountKv * (shape.keyLength + shape.valueLength),
    kvBytesPerToken(spec),
    "the KV cache sized from model_info is the simulator's",
  );
});

Deno.test("/api/create from a model streams Ollama's statuses and derives a new model", async () => {
  using s = setup();
  const response = await s.call("/api/create", {
    json: { model: "pirate", from: "llama3.2:3b", system: "Talk like a pirate" },
  });
  const statuses = (await response.text()).trim().split("\n").map((l) => JSON.parse(l).status);
  assert.equal(
    statuses.filter((x: string) => x.startsWith("using existing layer sha256:")).length,
    4,
  );
  assert.match(statuses.at(-3), /^creating new layer sha256:[0-9a-f]{64}$/);
  assert.deepEqual(statuses.slice(-2), ["writing manifest", "success"]);
  const show = await (await s.call("/api/show", { json: { model: "pirate" } })).json();
  assert.equal(show.system, "Talk like a pirate");
  assert.equal(show.details.parent_model, "llama3.2:3b");
  const tags = await (await s.call("/api/tags")).json();
  assert.equal(tags.models[0].name, "pirate:latest");

  const missing = await s.call("/api/create", {
    json: { model: "x", from: "not-a-real-model", stream: false },
  });
  assert.equal(missing.status, 500);
  assert.deepEqual(await missing.json(), { error: "pull model manifest: file does not exist" });
});

Deno.test("blobs: HEAD reports presence, POST checks the digest, 201 then 200", async () => {
  using s = setup();
  const bytes = new TextEncoder().encode("GGUF fake weights");
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const digest = `sha256:${hex}`;
  assert.equal((await s.call(`/api/blobs/${digest}`, { method: "HEAD" })).status, 404);
  assert.equal((await s.call("/api/blobs/sha256:abc", { method: "HEAD" })).status, 400);
  const wrong = await s.call(`/api/blobs/sha256:${"0".repeat(64)}`, {
    method: "POST",
    body: bytes,
  });
  assert.equal(wrong.status, 400);
  assert.deepEqual(await wrong.json(), {
    error: `digest mismatch, expected "sha256:${"0".repeat(64)}", got "${digest}"`,
  });
  assert.equal((await s.call(`/api/blobs/${digest}`, { method: "POST", body: bytes })).status, 201);
  assert.equal((await s.call(`/api/blobs/${digest}`, { method: "POST", body: bytes })).status, 200);
  assert.equal((await s.call(`/api/blobs/${digest}`, { method: "HEAD" })).status, 200);
  const created = await s.call("/api/create", {
    json: { model: "imported", files: { "model.gguf": digest }, stream: false },
  });
  assert.deepEqual(await created.json(), { status: "success" });
});

Deno.test("push answers an honest error after retrieving the manifest", async () => {
  using s = setup();
  const lines = (await (await s.call("/api/push", { json: { model: "llama3.2:3b" } })).text())
    .trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { status: "retrieving manifest" });
  assert.match(lines[1].error, /not supported/);
});

Deno.test("/v1/models answers data: null when no model is on disk", async () => {
  using s = setup({ models: [] });
  assert.deepEqual(await (await s.call("/v1/models")).json(), { object: "list", data: null });
  assert.deepEqual(await (await s.call("/api/tags")).json(), { models: [] });
});

Deno.test("a model described in the profile is listed, shown and served like any other", async () => {
  using s = setup({
    models: [{ name: "acme/coder:13b", size: "7.9GB", capabilities: ["completion", "tools"] }],
  });
  const tags = await (await s.call("/api/tags")).json();
  assert.equal(tags.models[0].name, "acme/coder:13b");
  assert.equal(tags.models[0].size, 7_900_000_000);
  const reply = await (await s.call("/api/generate", {
    json: { model: "acme/coder:13b", prompt: "hi", stream: false, options: { num_predict: 2 } },
  })).json();
  assert.equal(reply.eval_count, 2);
  const models = await (await s.call("/v1/models")).json();
  assert.equal(models.data[0].owned_by, "acme");
});

Deno.test("/_sim/state shows a GPU busy and warm while a model on it generates", async () => {
  using env = setup();
  const { app } = env;
  const idle = await (await app.request("/_sim/state")).json();
  assert.deepEqual([idle.gpus[0].utilization, idle.gpus[0].temperature], [0, 38]);
  const response = await app.request("/api/generate", {
    method: "POST",
    body: JSON.stringify({ model: "llama3.2:3b", prompt: "hi", options: { num_predict: 50 } }),
  });
  const reader = response.body!.getReader();
  await reader.read();
  const busy = await (await app.request("/_sim/state")).json();
  assert.deepEqual([busy.gpus[0].utilization, busy.gpus[0].temperature], [97, 71]);
  while (!(await reader.read()).done);
  const after = await (await app.request("/_sim/state")).json();
  assert.equal(after.gpus[0].utilization, 0);
});
