import assert from "node:assert/strict";
import { Ollama } from "ollama";
import OpenAI from "openai";
import {
  type Dialect,
  dialectOf,
  errorBody,
  errorResponse,
  JSON_CONTENT_TYPE,
  streamErrorChunk,
} from "./dialect.ts";

Deno.test("dialectOf() routes /v1/messages to anthropic, other /v1 paths to openai, the rest to ollama", () => {
  const cases: [string, Dialect][] = [
    ["/v1/messages", "anthropic"],
    ["/v1/messages/count_tokens", "anthropic"],
    ["/v1/chat/completions", "openai"],
    ["/v1/completions", "openai"],
    ["/v1/embeddings", "openai"],
    ["/v1/models", "openai"],
    ["/v1/models/me/model:v1", "openai"],
    ["/v1/responses", "openai"],
    ["/v1", "openai"],
    ["/v1/messagesx", "openai"],
    ["/api/chat", "ollama"],
    ["/api/tags", "ollama"],
    ["/", "ollama"],
    ["/v10/models", "ollama"],
    ["/api/v1/messages", "ollama"],
  ];
  for (const [path, dialect] of cases) assert.equal(dialectOf(path), dialect, path);
});

Deno.test("errorBody() writes Ollama's native body", () => {
  assert.deepEqual(errorBody("ollama", 404, "model 'x' not found"), {
    error: "model 'x' not found",
  });
  assert.deepEqual(errorBody("ollama", 500, ""), { error: "" });
});

Deno.test("errorBody() maps statuses to OpenAI error types as Ollama's OpenAI layer does", () => {
  const cases: [number, string][] = [
    [400, "invalid_request_error"],
    [404, "not_found_error"],
    [403, "api_error"],
    [429, "api_error"],
    [500, "api_error"],
    [502, "api_error"],
    [503, "api_error"],
  ];
  for (const [status, type] of cases) {
    assert.deepEqual(
      errorBody("openai", status, "boom"),
      { error: { message: "boom", type, param: null, code: null } },
      String(status),
    );
  }
});

Deno.test("errorBody() answers an OpenAI 401 with OpenAI's invalid_api_key shape", () => {
  assert.deepEqual(errorBody("openai", 401, "invalid API key"), {
    error: {
      message: "invalid API key",
      type: "invalid_request_error",
      param: null,
      code: "invalid_api_key",
    },
  });
});

Deno.test("errorBody() maps statuses to Anthropic error types and adds a request id", () => {
  const cases: [number, string][] = [
    [400, "invalid_request_error"],
    [401, "authentication_error"],
    [403, "permission_error"],
    [404, "not_found_error"],
    [413, "request_too_large"],
    [429, "rate_limit_error"],
    [503, "overloaded_error"],
    [529, "overloaded_error"],
    [500, "api_error"],
    [502, "api_error"],
  ];
  for (const [status, type] of cases) {
    const body = errorBody("anthropic", status, "boom") as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["type", "error", "request_id"]);
    assert.equal(body.type, "error");
    assert.deepEqual(body.error, { type, message: "boom" }, String(status));
    assert.match(body.request_id as string, /^req_[0-9a-f]{24}$/);
  }
});

Deno.test("errorBody() gives each Anthropic error its own request id", () => {
  const ids = new Set(
    Array.from(
      { length: 50 },
      () => (errorBody("anthropic", 500, "x") as { request_id: string }).request_id,
    ),
  );
  assert.equal(ids.size, 50);
});

Deno.test("errorResponse() sends the dialect's body with the status and a JSON content type", async () => {
  const cases: [Dialect, number][] = [["ollama", 404], ["openai", 400], ["anthropic", 503]];
  for (const [dialect, status] of cases) {
    const response = errorResponse(dialect, status, "model 'x' not found");
    assert.equal(response.status, status);
    assert.equal(response.headers.get("content-type"), JSON_CONTENT_TYPE);
    const body = await response.json();
    const expected = errorBody(dialect, status, "model 'x' not found") as Record<string, unknown>;
    if (dialect === "anthropic") expected.request_id = body.request_id;
    assert.deepEqual(body, expected);
  }
});

Deno.test("errorResponse() keeps extra headers but always sets its own content type", async () => {
  const response = errorResponse("ollama", 503, "busy", {
    "retry-after": "5",
    "content-type": "text/plain",
  });
  assert.equal(response.headers.get("retry-after"), "5");
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(await response.text(), `{"error":"busy"}`);
});

Deno.test("streamErrorChunk() writes one NDJSON error line for ollama", () => {
  assert.equal(streamErrorChunk("ollama", "host lost"), `{"error":"host lost"}\n`);
  // A newline in the message is escaped: the chunk stays one line.
  assert.equal(streamErrorChunk("ollama", "a\nb"), `{"error":"a\\nb"}\n`);
});

Deno.test("streamErrorChunk() writes an SSE data event with an OpenAI error object for openai", () => {
  assert.equal(
    streamErrorChunk("openai", "host lost"),
    `data: {"error":{"message":"host lost","type":"api_error","param":null,"code":null}}\n\n`,
  );
});

Deno.test("streamErrorChunk() writes an SSE error event for anthropic", () => {
  assert.equal(
    streamErrorChunk("anthropic", "host lost"),
    `event: error\ndata: {"type":"error","error":{"type":"api_error","message":"host lost"}}\n\n`,
  );
});

Deno.test("streamErrorChunk() output parses back to the message in every dialect", () => {
  const message = `quote " and\nnewline`;
  const ollama = JSON.parse(streamErrorChunk("ollama", message));
  assert.equal(ollama.error, message);
  const openai = streamErrorChunk("openai", message);
  assert.equal(openai.split("\n").length, 3); // "data: ...", "", "": one event
  assert.equal(JSON.parse(openai.slice("data: ".length)).error.message, message);
  const anthropic = streamErrorChunk("anthropic", message).split("\n");
  assert.equal(anthropic.length, 4);
  assert.equal(JSON.parse(anthropic[1]!.slice("data: ".length)).error.message, message);
});

/** A fetch that answers every request with `response`, for driving real clients without a socket. */
function answer(response: () => Response): typeof fetch {
  return () => Promise.resolve(response());
}

Deno.test("errorResponse() makes openai-node raise the matching APIError with the message", async () => {
  const openai = new OpenAI({
    apiKey: "key",
    baseURL: "http://hub.invalid/v1",
    maxRetries: 0,
    fetch: answer(() => errorResponse("openai", 404, "model 'x' not found")),
  });
  await assert.rejects(openai.models.retrieve("x"), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.message, "404 model 'x' not found");
    assert.equal(error.type, "not_found_error");
    return true;
  });
});

Deno.test("streamErrorChunk() makes openai-node raise an APIError mid-stream", async () => {
  const first = {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    system_fingerprint: "fp_ollama",
    choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }],
  };
  const body = `data: ${JSON.stringify(first)}\n\n` + streamErrorChunk("openai", "host lost");
  const openai = new OpenAI({
    apiKey: "key",
    baseURL: "http://hub.invalid/v1",
    maxRetries: 0,
    fetch: answer(() => new Response(body, { headers: { "content-type": "text/event-stream" } })),
  });
  const stream = await openai.chat.completions.create({
    model: "m",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
  });
  const seen: string[] = [];
  await assert.rejects(
    async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    },
    (error: unknown) => error instanceof OpenAI.APIError && error.message.includes("host lost"),
  );
  assert.deepEqual(seen, ["Hi"]);
});

Deno.test("errorResponse() and streamErrorChunk() make ollama-js throw the message", async () => {
  const before = new Ollama({
    host: "http://hub.invalid",
    fetch: answer(() => errorResponse("ollama", 404, "model 'x' not found")),
  });
  await assert.rejects(
    before.chat({ model: "x", messages: [{ role: "user", content: "hi" }] }),
    (error: unknown) => {
      const e = error as { name: string; error: string; status_code: number };
      assert.equal(e.name, "ResponseError");
      assert.equal(e.error, "model 'x' not found");
      assert.equal(e.status_code, 404);
      return true;
    },
  );
  const line = JSON.stringify({
    model: "x",
    created_at: "2026-08-21T10:00:00Z",
    message: { role: "assistant", content: "Hi" },
    done: false,
  });
  const during = new Ollama({
    host: "http://hub.invalid",
    fetch: answer(() =>
      new Response(line + "\n" + streamErrorChunk("ollama", "host lost"), {
        headers: { "content-type": "application/x-ndjson" },
      })
    ),
  });
  const stream = await during.chat({
    model: "x",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
  });
  const seen: string[] = [];
  await assert.rejects(
    async () => {
      for await (const part of stream) seen.push(part.message.content);
    },
    { message: "host lost" },
  );
  assert.deepEqual(seen, ["Hi"]);
});
