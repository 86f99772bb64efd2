/**
 * The simulator driven by the real npm `ollama` client (ollama-js): everything a user of that
 * client does, and the errors it surfaces, must look as they do against a real Ollama.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { simState, startTestSim, waitFor } from "./_utils.ts";

function client(url: string): Ollama {
  return new Ollama({ host: url });
}

async function rejectsWithStatus(promise: Promise<unknown>, status: number, message: string) {
  await assert.rejects(promise, (error: Error & { status_code?: number }) => {
    assert.equal(error.name, "ResponseError");
    assert.equal(error.status_code, status);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("ollama-js version, list, ps and show see the profile's models", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  assert.deepEqual(await ollama.version(), { version: "0.33.0" });
  const { models } = await ollama.list();
  assert.deepEqual(
    models.map((m) => m.name).sort(),
    ["gemma3:4b", "llama3.2:3b", "nomic-embed-text:latest", "qwen3:8b"],
  );
  const qwen = models.find((m) => m.name === "qwen3:8b")!;
  assert.equal(qwen.model, "qwen3:8b");
  assert.equal(qwen.size, 5_225_376_047);
  assert.match(qwen.digest, /^[0-9a-f]{64}$/);
  assert.equal(qwen.details.parameter_size, "8.2B");
  assert.equal(qwen.details.quantization_level, "Q4_K_M");
  // Newest first.
  const stamps = models.map((m) => new Date(m.modified_at).getTime());
  assert.deepEqual(stamps, [...stamps].sort((a, b) => b - a));
  assert.deepEqual((await ollama.ps()).models, []);

  const show = await ollama.show({ model: "qwen3:8b" });
  assert.deepEqual(show.capabilities, ["completion", "tools", "thinking"]);
  // ollama-js types model_info as a Map, but it is the JSON object Ollama sends.
  const info = show.model_info as unknown as Record<string, unknown>;
  assert.equal(info["qwen3.context_length"], 40960);
  assert.equal(show.details.family, "qwen3");
});

Deno.test("ollama-js generate is deterministic and streams one line per token", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const request = { model: "llama3.2:3b", prompt: "Why is the sky blue?", options: { seed: 7 } };
  const whole = await ollama.generate({ ...request, stream: false });
  const again = await ollama.generate({ ...request, stream: false });
  assert.equal(whole.response, again.response);
  assert.ok(whole.response!.length > 0);
  assert.equal(whole.done, true);
  assert.equal(whole.done_reason, "stop");
  assert.ok(whole.eval_count > 0 && whole.prompt_eval_count > 0);
  assert.ok(whole.context.length > whole.prompt_eval_count);
  const other = await ollama.generate({ ...request, options: { seed: 8 }, stream: false });
  assert.notEqual(other.response, whole.response);

  const parts: string[] = [];
  let last;
  for await (const part of await ollama.generate({ ...request, stream: true })) {
    if (!part.done) parts.push(part.response!);
    last = part;
  }
  assert.equal(parts.join(""), whole.response);
  assert.equal(parts.length, whole.eval_count);
  assert.equal(last?.eval_count, whole.eval_count);
  // Durations add up: total = load + prompt eval + eval (and a little scheduling).
  const sum = last!.load_duration + last!.prompt_eval_duration + last!.eval_duration;
  assert.ok(sum <= last!.total_duration, `${sum} <= ${last!.total_duration}`);
});

Deno.test("ollama-js generate honours num_predict and stop", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const cut = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "Tell me a long story",
    options: { num_predict: 5, seed: 1 },
    stream: false,
  });
  assert.equal(cut.eval_count, 5);
  assert.equal(cut.done_reason, "length");
  const full = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "Tell me a long story",
    options: { seed: 1 },
    stream: false,
  });
  const text = full.response!;
  const word = text.split(" ")[3]!;
  const stopped = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "Tell me a long story",
    options: { seed: 1, stop: [" " + word] },
    stream: false,
  });
  assert.equal(stopped.done_reason, "stop");
  assert.equal(stopped.response, text.slice(0, text.indexOf(" " + word)));
});

Deno.test("ollama-js chat streams thinking then content, and think:false turns it off", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const messages = [{ role: "user", content: "Hello there" }];
  let thinking = "";
  let content = "";
  let sawContentBeforeThinkingEnded = false;
  for await (const part of await ollama.chat({ model: "qwen3:8b", messages, stream: true })) {
    if (part.message.thinking) {
      if (content) sawContentBeforeThinkingEnded = true;
      thinking += part.message.thinking;
    }
    content += part.message.content;
    assert.equal(part.message.role, "assistant");
  }
  assert.ok(thinking.length > 0 && content.length > 0);
  assert.equal(sawContentBeforeThinkingEnded, false);

  const whole = await ollama.chat({ model: "qwen3:8b", messages, stream: false });
  assert.equal(whole.message.content, content);
  assert.equal(whole.message.thinking, thinking);
  const plain = await ollama.chat({ model: "qwen3:8b", messages, think: false, stream: false });
  assert.equal(plain.message.thinking, undefined);
  assert.ok(plain.message.content.length > 0);
});

Deno.test("ollama-js chat with tools gets a tool call, then answers the tool result", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Get the weather for a city",
        parameters: {
          type: "object",
          properties: { city: { type: "string" }, unit: { type: "string", enum: ["C", "F"] } },
          required: ["city"],
        },
      },
    },
    {
      type: "function",
      function: { name: "get_time", description: "Current time", parameters: { type: "object" } },
    },
  ];
  const messages = [{ role: "user", content: "What is the weather in Paris?" }];
  const first = await ollama.chat({ model: "llama3.2:3b", messages, tools, stream: false });
  const call = first.message.tool_calls?.[0];
  assert.equal(call?.function.name, "get_weather");
  assert.equal(call?.function.arguments.city, "Paris");
  assert.ok(["C", "F"].includes(call?.function.arguments.unit as string));

  const answer = await ollama.chat({
    model: "llama3.2:3b",
    messages: [...messages, first.message, { role: "tool", content: "18 C and sunny" }],
    tools,
    stream: false,
  });
  assert.equal(answer.message.tool_calls, undefined);
  assert.ok(answer.message.content.length > 0);

  await rejectsWithStatus(
    ollama.chat({ model: "gemma3:4b", messages, tools }),
    400,
    "registry.ollama.ai/library/gemma3:4b does not support tools",
  );
});

Deno.test("ollama-js embed and legacy embeddings give normalised, deterministic vectors", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const result = await ollama.embed({ model: "nomic-embed-text", input: ["alpha", "beta"] });
  assert.equal(result.embeddings.length, 2);
  for (const vector of result.embeddings) {
    assert.equal(vector.length, 768);
    const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  }
  assert.notDeepEqual(result.embeddings[0], result.embeddings[1]);
  const again = await ollama.embed({ model: "nomic-embed-text", input: "alpha" });
  assert.deepEqual(again.embeddings[0], result.embeddings[0]);
  const short = await ollama.embed({ model: "nomic-embed-text", input: "alpha", dimensions: 64 });
  assert.equal(short.embeddings[0]!.length, 64);

  const legacy = await ollama.embeddings({ model: "nomic-embed-text", prompt: "alpha" });
  assert.deepEqual(legacy.embedding, result.embeddings[0]);
  await rejectsWithStatus(
    ollama.embeddings({ model: "nope", prompt: "x" }),
    404,
    `model "nope" not found, try pulling it first`,
  );
});

Deno.test("ollama-js pull streams progress, and the model lands on disk", async () => {
  await using sim = startTestSim({ profile: { network: "10MB/s" } });
  const ollama = client(sim.url);
  const statuses: string[] = [];
  let sawPartial = false;
  for await (const p of await ollama.pull({ model: "all-minilm", stream: true })) {
    if (statuses.at(-1) !== p.status) statuses.push(p.status);
    if (p.completed && p.total && p.completed < p.total) sawPartial = true;
  }
  assert.equal(statuses[0], "pulling manifest");
  assert.deepEqual(statuses.slice(-3), ["verifying sha256 digest", "writing manifest", "success"]);
  assert.equal(
    statuses.filter((s) => s.startsWith("pulling ") && s !== "pulling manifest").length,
    5,
  );
  assert.ok(sawPartial, "progress lines between 0 and total");
  const listed = (await ollama.list()).models.find((m) => m.name === "all-minilm:latest");
  assert.equal(listed?.size, 45_960_996);

  // Pulling again finds every blob present at once.
  const last = await ollama.pull({ model: "all-minilm", stream: false });
  assert.equal(last.status, "success");

  await assert.rejects(
    async () => {
      for await (const _ of await ollama.pull({ model: "no-such-model", stream: true })) { /* */ }
    },
    { message: "pull model manifest: file does not exist" },
  );
});

Deno.test("ollama-js copy and delete change the list", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  assert.deepEqual(
    await ollama.copy({ source: "llama3.2:3b", destination: "my-llama" }),
    { status: "success" },
  );
  const models = (await ollama.list()).models;
  const copy = models.find((m) => m.name === "my-llama:latest");
  const original = models.find((m) => m.name === "llama3.2:3b");
  assert.equal(copy?.digest, original?.digest);
  assert.equal(models[0]?.name, "my-llama:latest", "the copy is the newest");
  await ollama.delete({ model: "my-llama" });
  assert.equal((await ollama.list()).models.some((m) => m.name === "my-llama:latest"), false);
  await rejectsWithStatus(ollama.delete({ model: "my-llama" }), 404, "model 'my-llama' not found");
  await rejectsWithStatus(
    ollama.copy({ source: "nope", destination: "x" }),
    404,
    `model "nope" not found`,
  );
});

Deno.test("ollama-js loads with an empty prompt and unloads with keep_alive 0", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  const loaded = await ollama.generate({ model: "llama3.2:3b", prompt: "", stream: false });
  assert.equal(loaded.done_reason, "load");
  assert.equal(loaded.response, "");
  const ps = await ollama.ps();
  assert.deepEqual(ps.models.map((m) => m.name), ["llama3.2:3b"]);
  assert.equal(ps.models[0]!.size_vram, ps.models[0]!.size);
  const expires = new Date(ps.models[0]!.expires_at).getTime();
  assert.ok(expires > Date.now(), "expires_at lies ahead");

  const chatLoad = await ollama.chat({ model: "qwen3:8b", messages: [], stream: false });
  assert.equal(chatLoad.done_reason, "load");

  const unloaded = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "",
    keep_alive: 0,
    stream: false,
  });
  assert.equal(unloaded.done_reason, "unload");
  assert.deepEqual((await ollama.ps()).models.map((m) => m.name), ["qwen3:8b"]);

  // keep_alive -1 keeps a model "forever": about 292 years ahead, as Go's MaxInt64 duration.
  await ollama.generate({ model: "llama3.2:3b", prompt: "", keep_alive: -1, stream: false });
  const forever = (await ollama.ps()).models.find((m) => m.name === "llama3.2:3b")!;
  assert.ok(new Date(forever.expires_at).getUTCFullYear() > 2300);
  // A short keep_alive unloads when it fires (1 s at speed 200 is 5 ms).
  await ollama.generate({ model: "qwen3:8b", prompt: "hi", keep_alive: "1s", stream: false });
  await waitFor(
    "qwen3:8b to unload",
    async () => !(await ollama.ps()).models.some((m) => m.name === "qwen3:8b"),
  );
});

Deno.test("ollama-js errors: unknown model, bad keep_alive, missing model", async () => {
  await using sim = startTestSim();
  const ollama = client(sim.url);
  await rejectsWithStatus(
    ollama.generate({ model: "nope", prompt: "hi" }),
    404,
    "model 'nope' not found",
  );
  await rejectsWithStatus(
    ollama.chat({ model: "nope", messages: [{ role: "user", content: "hi" }] }),
    404,
    "model 'nope' not found",
  );
  await rejectsWithStatus(ollama.show({ model: "nope" }), 404, "model 'nope' not found");
  await rejectsWithStatus(
    ollama.embed({ model: "nope", input: "x" }),
    404,
    "model 'nope' not found",
  );
  await rejectsWithStatus(
    ollama.generate({ model: "llama3.2:3b", prompt: "hi", keep_alive: "300" }),
    400,
    `time: missing unit in duration "300"`,
  );
  await rejectsWithStatus(
    ollama.chat({ model: "", messages: [{ role: "user", content: "hi" }] }),
    400,
    "model is required",
  );
  await rejectsWithStatus(
    ollama.generate({ model: "nomic-embed-text", prompt: "hi" }),
    400,
    `"nomic-embed-text" does not support generate`,
  );
  await rejectsWithStatus(
    ollama.generate({ model: "llama3.2:3b", prompt: "hi", think: true }),
    400,
    `"llama3.2:3b" does not support thinking`,
  );
});

Deno.test("ollama-js sees the 503 when OLLAMA_MAX_QUEUE is full", async () => {
  // One model loads at a time; a full pending queue answers 503 at once.
  await using sim = startTestSim({
    profile: { max_queue: 1, load_base: "20s", models: ["qwen3:8b", "llama3.2:3b", "gemma3:4b"] },
    speed: 50,
  });
  const ollama = client(sim.url);
  const first = ollama.generate({ model: "qwen3:8b", prompt: "", stream: false });
  await waitFor("the first load to start", async () => (await simState(sim.url)).loading);
  const second = ollama.generate({ model: "llama3.2:3b", prompt: "", stream: false });
  await waitFor("the second request to queue", async () => (await simState(sim.url)).queued === 1);
  await rejectsWithStatus(
    ollama.generate({ model: "gemma3:4b", prompt: "", stream: false }),
    503,
    "server busy, please try again.  maximum pending requests exceeded",
  );
  assert.equal((await first).done_reason, "load");
  assert.equal((await second).done_reason, "load");
});

Deno.test("ollama-js: a cold load is slower than a warm request", async () => {
  await using sim = startTestSim({ speed: 100 });
  const ollama = client(sim.url);
  const request = {
    model: "llama3.2:3b",
    prompt: "hi",
    options: { num_predict: 3 },
    stream: false,
  } as const;
  const cold = await ollama.generate(request);
  const warm = await ollama.generate(request);
  // 1.2 s base + 2 GB at 2 GB/s is about 22 ms at speed 100; a warm request waits for nothing.
  assert.ok(
    cold.load_duration > 10 * warm.load_duration,
    `${cold.load_duration} vs ${warm.load_duration}`,
  );
});

/** An Ollama `created_at` as nanoseconds since the epoch (Date would drop the sub-millisecond part). */
function nanos(stamp: string): bigint {
  const [, whole, fraction = ""] = /^(.*?:\d\d)(?:\.(\d+))?Z$/.exec(stamp)!;
  return BigInt(Date.parse(whole + "Z")) * 1_000_000n + BigInt(fraction.padEnd(9, "0"));
}

Deno.test("ollama-js: requests beyond NUM_PARALLEL wait for a slot", async () => {
  await using sim = startTestSim({ profile: { num_parallel: 1 }, speed: 20 });
  const ollama = client(sim.url);
  await ollama.generate({ model: "llama3.2:3b", prompt: "", stream: false });
  async function run(tag: string) {
    const stamps: bigint[] = [];
    const stream = await ollama.generate({
      model: "llama3.2:3b",
      prompt: `story ${tag}`,
      options: { num_predict: 20 },
      stream: true,
    });
    for await (const part of stream) stamps.push(nanos(part.created_at as unknown as string));
    return stamps;
  }
  // The client reads two sockets in any order, so judge by the server's own timestamps.
  const [a, b] = await Promise.all([run("a"), run("b")]);
  const [first, second] = a[0]! < b[0]! ? [a, b] : [b, a];
  assert.ok(
    second[0]! >= first.at(-1)!,
    "with one slot, the second request sends nothing before the first is done",
  );
});

Deno.test("ollama-js abort frees the slot for the next request", async () => {
  await using sim = startTestSim({ profile: { num_parallel: 1 }, speed: 5 });
  const ollama = client(sim.url);
  const stream = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "a long one",
    options: { num_predict: 500 },
    stream: true,
  });
  let seen = 0;
  await assert.rejects(async () => {
    for await (const _ of stream) if (++seen === 3) stream.abort();
  }, { name: "AbortError" });
  await waitFor(
    "the slot to free",
    async () => (await simState(sim.url)).loaded[0]?.in_flight === 0,
  );
  const next = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "next",
    options: { num_predict: 2 },
    stream: false,
  });
  assert.equal(next.eval_count, 2);
});
