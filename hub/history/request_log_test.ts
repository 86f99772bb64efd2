import assert from "node:assert/strict";
import { newTrace } from "../request_trace.ts";
import { type Metered, meterResponse, requestRow } from "./request_log.ts";

function chunks(parts: string[], contentType: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": contentType } });
}

Deno.test("a whole answer is read at once and arrives unchanged, with its usage", async () => {
  let metered: Metered | null = null;
  const json = JSON.stringify({ done: true, prompt_eval_count: 3, eval_count: 9 });
  const response = await meterResponse(
    chunks([json.slice(0, 10), json.slice(10)], "application/json"),
    (m) => metered = m,
  );
  assert.equal(await response.text(), json);
  assert.ok(metered);
  const m = metered as Metered;
  assert.equal(m.bytes, json.length);
  assert.equal(m.abandoned, false);
  const row = requestRow(
    "hub",
    {
      time: Date.now(),
      startedAt: m.endedAt - 5,
      method: "POST",
      endpoint: "/api/generate",
      client: "10.0.0.9",
      bytesIn: 42,
    },
    { ...newTrace(), model: "m", hostId: "h", route: "loaded" },
    {
      status: 200,
      contentType: "application/json",
    },
    m,
  );
  assert.deepEqual(
    [row.prompt_tokens, row.completion_tokens, row.stream, row.bytes_out, row.duration_ms],
    [3, 9, false, json.length, 5],
  );
});

Deno.test("a stream passes chunk by chunk; the meter sees its ends and its first byte", async () => {
  let metered: Metered | null = null;
  const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify({ i, done: false }) + "\n");
  lines.push(JSON.stringify({ done: true, eval_count: 400 }) + "\n");
  const response = await meterResponse(chunks(lines, "application/x-ndjson"), (m) => metered = m);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  assert.equal(first.value, lines[0], "one line at a time, not coalesced");
  assert.equal(metered, null, "not done before the end");
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
  assert.equal(first.value + rest, lines.join(""));
  const m = metered as unknown as Metered;
  const text = new TextDecoder();
  assert.equal(m.bytes, lines.join("").length);
  assert.ok(m.firstByteAt !== null && m.firstByteAt <= m.endedAt);
  assert.ok(text.decode(m.head).startsWith(lines[0]!), "the head is the first bytes");
  assert.ok(text.decode(m.tail).endsWith(lines.at(-1)!), "the tail is the last bytes");
  assert.ok(m.tail.length <= 8192);
});

Deno.test("a stream the client abandons is reported as such", async () => {
  let metered: Metered | null = null;
  const response = await meterResponse(
    chunks(["a\n", "b\n", "c\n"], "application/x-ndjson"),
    (m) => metered = m,
  );
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel();
  assert.equal((metered as unknown as Metered).abandoned, true);
});
