import assert from "node:assert/strict";
import { streamErrorChunk } from "../../shared/dialect.ts";
import { parseUsage } from "./usage_parse.ts";

Deno.test("Ollama's final object: tokens and load time", () => {
  const body = JSON.stringify({
    model: "qwen3:8b",
    message: { role: "assistant", content: 'he said "eval_count":99 once' },
    done: true,
    total_duration: 5_000_000_000,
    load_duration: 1_250_000_000,
    prompt_eval_count: 26,
    eval_count: 290,
  });
  assert.deepEqual(parseUsage("", body, 200), {
    promptTokens: 26,
    completionTokens: 290,
    loadMs: 1250,
    error: null,
  });
});

Deno.test("an Ollama stream's last line, and a stream that failed midway", () => {
  const lines = [
    { message: { content: "Hi" }, done: false },
    { message: { content: "" }, done: true, prompt_eval_count: 7, eval_count: 3, load_duration: 0 },
  ].map((l) => JSON.stringify(l) + "\n").join("");
  assert.equal(parseUsage("", lines, 200).completionTokens, 3);
  const failed = JSON.stringify({ message: { content: "Hi" }, done: false }) + "\n" +
    streamErrorChunk("ollama", 'host "a" failed mid-stream: connection reset');
  assert.equal(parseUsage("", failed, 200).error, 'host "a" failed mid-stream: connection reset');
});

Deno.test("OpenAI: a completion's usage, a stream with include_usage, a stream error", () => {
  const completion = JSON.stringify({
    id: "chatcmpl-1",
    choices: [{ message: { content: "x" } }],
    usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 },
  });
  assert.deepEqual(parseUsage("", completion, 200), {
    promptTokens: 12,
    completionTokens: 34,
    loadMs: null,
    error: null,
  });
  const stream = `data: {"choices":[{"delta":{"content":"x"}}]}\n\n` +
    `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}\n\n` +
    `data: [DONE]\n\n`;
  const usage = parseUsage("", stream, 200);
  assert.equal(usage.promptTokens, 5);
  assert.equal(usage.completionTokens, 6);
  assert.equal(usage.error, null);
  const failed = `data: {"choices":[{"delta":{"content":"x"}}]}\n\n` +
    streamErrorChunk("openai", "host gone");
  assert.equal(parseUsage("", failed, 200).error, "host gone");
});

Deno.test("Anthropic: input tokens from the first event, output tokens from the last", () => {
  const head = `event: message_start\ndata: {"type":"message_start","message":{"usage":` +
    `{"input_tokens":40,"output_tokens":1}}}\n\n`;
  const tail = `event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":77}}` +
    `\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;
  const usage = parseUsage(head, tail, 200);
  assert.equal(usage.promptTokens, 40);
  assert.equal(usage.completionTokens, 77);
  const failed = tail + streamErrorChunk("anthropic", "overloaded");
  assert.equal(parseUsage(head, failed, 200).error, "overloaded");
});

Deno.test("error bodies in each dialect, and plain text", () => {
  assert.equal(parseUsage("", `{"error":"model 'x' not found"}`, 404).error, "model 'x' not found");
  assert.equal(
    parseUsage("", `{"error":{"message":"bad key","type":"invalid_request_error"}}`, 401).error,
    "bad key",
  );
  assert.equal(parseUsage("", "404 page not found", 404).error, "404 page not found");
  assert.equal(parseUsage("", "", 502).error, "HTTP 502");
  assert.equal(parseUsage("", "x".repeat(2000), 500).error!.length, 500);
});
