/**
 * The hub as its users meet it: the real `ollama` and `openai` npm clients pointed at a hub in
 * front of three simulated hosts (each a simulator behind a real agent, found over UDP). Lists are
 * merged, chat and generate stream through, embeddings, show, pull with progress and delete work
 * across the fleet, and errors come back in each client's own terms.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { type DemoHostSpec, startDemoFleet } from "../scripts/demo_fleet.ts";
import { waitFor } from "./_utils.ts";

const SPECS: DemoHostSpec[] = [
  {
    name: "a",
    preset: "rtx4090",
    preload: ["llama3.2:3b"],
    models: ["llama3.2:3b", "qwen3:8b", "nomic-embed-text"],
  },
  { name: "b", preset: "rtx4090", preload: [], models: ["llama3.2:3b", "gemma3:4b"] },
  { name: "c", preset: "a100", preload: ["qwen3:8b"], models: ["qwen3:8b", "gemma3:4b"] },
];

Deno.test("ollama-js and openai-node use a fleet of three hosts as one Ollama", async (t) => {
  await using fleet = await startDemoFleet({ specs: SPECS, speed: 50 });
  const ollama = new Ollama({ host: fleet.hub.url });
  const openai = new OpenAI({ baseURL: `${fleet.hub.url}/v1`, apiKey: "unused", maxRetries: 0 });

  await t.step("list() merges every host's models once each, well typed", async () => {
    const { models } = await ollama.list();
    const names = models.map((m) => m.name).sort();
    assert.deepEqual(names, [
      "gemma3:4b",
      "llama3.2:3b",
      "nomic-embed-text:latest",
      "qwen3:8b",
    ]);
    for (const m of models) {
      assert.equal(typeof m.size, "number");
      assert.match(m.digest, /^[0-9a-f]{64}$/);
      // ollama-js hands the JSON string through, whatever its types say.
      assert.ok(!isNaN(new Date(m.modified_at).getTime()), String(m.modified_at));
    }
  });

  await t.step("ps() shows what is loaded anywhere in the fleet", async () => {
    const { models } = await ollama.ps();
    assert.deepEqual(models.map((m) => m.name).sort(), ["llama3.2:3b", "qwen3:8b"]);
  });

  await t.step("version() is numeric", async () => {
    const { version } = await ollama.version();
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });

  await t.step("chat() streams from the host that has the model loaded", async () => {
    const stream = await ollama.chat({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "Hello" }],
      stream: true,
      options: { num_predict: 20 },
    });
    let parts = 0;
    let last;
    for await (const part of stream) {
      parts++;
      last = part;
    }
    assert.ok(parts > 2, `${parts} parts`);
    assert.equal(last?.done, true);
    assert.equal(last?.eval_count, 20);
  });

  await t.step("generate() without streaming, and the headers say where it ran", async () => {
    const response = await fetch(`${fleet.hub.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3:8b", prompt: "Hi", stream: false }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-corral-host"), "c");
    assert.equal(response.headers.get("x-corral-route"), "loaded; ctx=8192");
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    const body = await response.json();
    assert.equal(body.done, true);
    assert.ok(body.response.length > 0);
  });

  await t.step("embed() and the legacy embeddings() reach the host with the model", async () => {
    const { embeddings } = await ollama.embed({ model: "nomic-embed-text", input: ["a", "b"] });
    assert.equal(embeddings.length, 2);
    const { embedding } = await ollama.embeddings({ model: "nomic-embed-text", prompt: "a" });
    assert.ok(embedding.length > 0);
  });

  await t.step("openai-node: chat, streaming chat, embeddings and models", async () => {
    const completion = await openai.chat.completions.create({
      model: "gemma3:4b",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 10,
    });
    assert.equal(completion.object, "chat.completion");
    assert.ok(completion.choices[0]!.message.content);
    const stream = await openai.chat.completions.create({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      max_tokens: 10,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, "length");
    const vectors = await openai.embeddings.create({ model: "nomic-embed-text", input: "x" });
    assert.equal(vectors.data.length, 1);
    const models = await openai.models.list();
    assert.deepEqual(models.data.map((m) => m.id).sort(), [
      "gemma3:4b",
      "llama3.2:3b",
      "nomic-embed-text:latest",
      "qwen3:8b",
    ]);
    const one = await openai.models.retrieve("gemma3:4b");
    assert.equal(one.id, "gemma3:4b");
  });

  await t.step("show() answers from a host that has the model", async () => {
    const shown = await ollama.show({ model: "gemma3:4b" });
    assert.ok(shown.details.family);
    assert.ok(shown.capabilities.includes("completion"));
  });

  await t.step("pull() goes to the roomiest host and streams its progress", async () => {
    const progress = await ollama.pull({ model: "qwen3:0.6b", stream: true });
    const statuses: string[] = [];
    for await (const part of progress) statuses.push(part.status);
    assert.equal(statuses[0], "pulling manifest");
    assert.equal(statuses.at(-1), "success");
    assert.ok(statuses.some((s) => s.startsWith("pulling ")), statuses.join(", "));
    // The A100 host has by far the most free VRAM.
    const c = fleet.hosts.find((h) => h.spec.name === "c")!;
    const tags = await (await fetch(`${c.sim.url}/api/tags`)).json();
    assert.ok(tags.models.some((m: { name: string }) => m.name === "qwen3:0.6b"));
    await waitFor(
      "the pulled model in the hub's list",
      async () => (await ollama.list()).models.some((m) => m.name === "qwen3:0.6b"),
    );
  });

  await t.step("delete() removes the model from every host that has it", async () => {
    await ollama.delete({ model: "gemma3:4b" });
    for (const host of fleet.hosts) {
      const tags = await (await fetch(`${host.sim.url}/api/tags`)).json();
      assert.ok(!tags.models.some((m: { name: string }) => m.name === "gemma3:4b"), host.spec.name);
    }
    await waitFor(
      "gemma3:4b gone from the hub's list",
      async () => !(await ollama.list()).models.some((m) => m.name === "gemma3:4b"),
    );
    await assert.rejects(
      ollama.delete({ model: "gemma3:4b" }),
      (e: Error & { status_code?: number }) =>
        e.status_code === 404 && e.message === "model 'gemma3:4b' not found",
    );
  });

  await t.step("a model no host has: ollama-js ResponseError, openai NotFoundError", async () => {
    await assert.rejects(
      ollama.chat({ model: "nope:1b", messages: [{ role: "user", content: "x" }] }),
      (e: Error & { status_code?: number }) =>
        e.name === "ResponseError" && e.status_code === 404 &&
        e.message === "model 'nope:1b' not found",
    );
    await assert.rejects(
      openai.chat.completions.create({
        model: "nope:1b",
        messages: [{ role: "user", content: "x" }],
      }),
      (e: Error) =>
        e instanceof OpenAI.NotFoundError && /model 'nope:1b' not found/.test(e.message),
    );
  });
});
