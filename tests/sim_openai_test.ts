/**
 * The simulator driven by the real npm `openai` client (openai-node) at `/v1`: chat and legacy
 * completions, streamed and not, embeddings, models, and the errors it maps to its own classes.
 */

import assert from "node:assert/strict";
import OpenAI from "openai";
import { startTestSim } from "./_utils.ts";

function client(url: string, maxRetries = 0): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: "ollama", maxRetries });
}

Deno.test("openai-node chat completion, non-streamed, matches the native reply", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const completion = await openai.chat.completions.create({
    model: "llama3.2:3b",
    messages: [{ role: "user", content: "Say hello" }],
    seed: 3,
  });
  assert.equal(completion.object, "chat.completion");
  assert.match(completion.id, /^chatcmpl-\d+$/);
  assert.equal(completion.system_fingerprint, "fp_ollama");
  const choice = completion.choices[0]!;
  assert.equal(choice.message.role, "assistant");
  assert.equal(choice.finish_reason, "stop");
  assert.ok(choice.message.content!.length > 0);
  assert.ok(completion.usage!.prompt_tokens > 0);
  assert.equal(
    completion.usage!.total_tokens,
    completion.usage!.prompt_tokens + completion.usage!.completion_tokens,
  );

  const native = await fetch(`${sim.url}/api/chat`, {
    method: "POST",
    body: JSON.stringify({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "Say hello" }],
      options: { seed: 3 },
      stream: false,
    }),
  }).then((r) => r.json());
  assert.equal(choice.message.content, native.message.content);
});

Deno.test("openai-node chat stream: role first, a finish chunk, usage, then [DONE]", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const stream = await openai.chat.completions.create({
    model: "llama3.2:3b",
    messages: [{ role: "user", content: "Count" }],
    max_tokens: 6,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  assert.ok(chunks.slice(1).every((c) => c.choices[0]?.delta.role === undefined));
  const finish = chunks.at(-2)!;
  assert.deepEqual(finish.choices[0]!.delta, {});
  assert.equal(finish.choices[0]!.finish_reason, "length");
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage!.completion_tokens, 6);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.ok(text.length > 0);

  // The stream helper needs a role first and a finish reason by the end.
  const helper = openai.chat.completions.stream({
    model: "llama3.2:3b",
    messages: [{ role: "user", content: "Count" }],
    max_tokens: 6,
  });
  const final = await helper.finalChatCompletion();
  assert.equal(final.choices[0]!.message.content, text);
});

Deno.test("openai-node raw SSE framing is exactly `data: <json>\\n\\n` ending in [DONE]", async () => {
  await using sim = startTestSim();
  const response = await fetch(`${sim.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
      stream: true,
    }),
  });
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const body = await response.text();
  const events = body.split("\n\n");
  assert.equal(events.pop(), "");
  assert.equal(events.pop(), "data: [DONE]");
  for (const event of events) {
    assert.match(event, /^data: \{.*\}$/);
  }
  assert.equal(events.length, 4, "three tokens and a finish chunk");
});

Deno.test("openai-node tool calls come back as OpenAI tool_calls with string arguments", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const completion = await openai.chat.completions.create({
    model: "qwen3:8b",
    messages: [{ role: "user", content: "What's the weather in Paris?" }],
    tools: [{
      type: "function",
      function: {
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    }],
    reasoning_effort: "none" as never,
  });
  const choice = completion.choices[0]!;
  assert.equal(choice.finish_reason, "tool_calls");
  const call = choice.message.tool_calls![0]!;
  assert.equal(call.type, "function");
  assert.match(call.id, /^call_[0-9a-z]{8}$/);
  assert.ok(call.type === "function");
  assert.equal(call.function.name, "get_weather");
  assert.deepEqual(JSON.parse(call.function.arguments), { city: "Paris" });
});

Deno.test("openai-node legacy completions, streamed and not", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const whole = await openai.completions.create({
    model: "llama3.2:3b",
    prompt: "Once upon a time",
    max_tokens: 8,
    seed: 2,
  });
  assert.equal(whole.object, "text_completion");
  assert.equal(whole.choices[0]!.finish_reason, "length");
  assert.equal(whole.usage!.completion_tokens, 8);
  let text = "";
  for await (
    const chunk of await openai.completions.create({
      model: "llama3.2:3b",
      prompt: "Once upon a time",
      max_tokens: 8,
      seed: 2,
      stream: true,
    })
  ) {
    text += chunk.choices[0]?.text ?? "";
  }
  assert.equal(text, whole.choices[0]!.text);
});

Deno.test("openai-node embeddings as floats and as base64", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const floats = await openai.embeddings.create({
    model: "nomic-embed-text",
    input: ["one", "two"],
    encoding_format: "float",
  });
  assert.equal(floats.object, "list");
  assert.equal(floats.data.length, 2);
  assert.equal(floats.data[1]!.index, 1);
  assert.equal(floats.data[0]!.embedding.length, 768);
  // Without encoding_format, openai-node asks for base64 and decodes it itself.
  const decoded = await openai.embeddings.create({ model: "nomic-embed-text", input: "one" });
  assert.deepEqual(decoded.data[0]!.embedding, floats.data[0]!.embedding);
  const native = await fetch(`${sim.url}/api/embed`, {
    method: "POST",
    body: JSON.stringify({ model: "nomic-embed-text", input: "one" }),
  }).then((r) => r.json());
  assert.deepEqual(floats.data[0]!.embedding, native.embeddings[0]);
});

Deno.test("openai-node models list and retrieve", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  const ids = [];
  for await (const model of openai.models.list()) {
    assert.equal(model.object, "model");
    assert.equal(model.owned_by, "library");
    ids.push(model.id);
  }
  assert.deepEqual(ids.sort(), ["gemma3:4b", "llama3.2:3b", "nomic-embed-text:latest", "qwen3:8b"]);
  const one = await openai.models.retrieve("qwen3:8b");
  assert.equal(one.id, "qwen3:8b");
});

Deno.test("openai-node errors map to its classes with Ollama's messages", async () => {
  await using sim = startTestSim();
  const openai = client(sim.url);
  await assert.rejects(
    openai.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    (error: InstanceType<typeof OpenAI.NotFoundError>) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.message, "404 model 'nope' not found");
      assert.equal((error.error as { type: string }).type, "not_found_error");
      return true;
    },
  );
  await assert.rejects(
    openai.models.retrieve("nope"),
    (error) => error instanceof OpenAI.NotFoundError,
  );
  await assert.rejects(
    openai.chat.completions.create({ model: "llama3.2:3b", messages: [] }),
    (error: InstanceType<typeof OpenAI.BadRequestError>) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.message, "400 [] is too short - 'messages'");
      return true;
    },
  );
  await assert.rejects(
    openai.embeddings.create({ model: "nomic-embed-text", input: [] }),
    (error) => error instanceof OpenAI.BadRequestError,
  );
});

Deno.test("openai-node retries a 503 once, then surfaces it as InternalServerError", async () => {
  await using sim = startTestSim({ profile: { max_queue: 1 } });
  const openai = client(sim.url, 1);
  await fetch(`${sim.url}/_sim/faults`, {
    method: "POST",
    body: JSON.stringify({
      fail: {
        count: 2,
        status: 503,
        error: "server busy, please try again.  maximum pending requests exceeded",
      },
    }),
  }).then((r) => r.body?.cancel());
  await assert.rejects(
    openai.chat.completions.create({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "x" }],
    }),
    (error: InstanceType<typeof OpenAI.InternalServerError>) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 503);
      assert.equal((error.error as { type: string }).type, "api_error");
      return true;
    },
  );
  // Both injected failures were used: the first attempt and the one retry.
  const faults = await fetch(`${sim.url}/_sim/faults`).then((r) => r.json());
  assert.equal(faults.fail, undefined);
});
