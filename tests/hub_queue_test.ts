/**
 * The fleet queue's bound, as clients meet it: when every host that could serve a request is busy
 * and the queue is full, the hub answers 503 with `Retry-After` and Ollama's own `server busy`
 * text, which openai-node retries by itself; the queued request is served when the slot frees.
 */

import assert from "node:assert/strict";
import OpenAI from "openai";
import { startTestHub, startTestSim, waitFor } from "./_utils.ts";

Deno.test("a full fleet queue answers 503 with Retry-After; the queued request runs when a slot frees", async () => {
  await using sim = startTestSim({
    profile: { preload: ["llama3.2:3b"], reply_tokens: [50_000, 50_000], context_length: 100_000 },
    speed: 4,
  });
  await sim.sim.preload();
  await using hub = await startTestHub({
    insecure: true,
    discovery: { enabled: false },
    ollama: [{ url: sim.url, name: "only", slots: 1 }],
    queue: { max: 1 },
  });
  await waitFor("the host online", () => hub.registry.find("only")?.status === "online");

  const body = JSON.stringify({ model: "llama3.2:3b", messages: [{ role: "user", content: "x" }] });
  const running = new AbortController();
  const first = await fetch(`${hub.url}/api/chat`, {
    method: "POST",
    body,
    signal: running.signal,
  });
  const firstReader = first.body!.getReader();
  await firstReader.read();

  const queued = fetch(`${hub.url}/api/chat`, {
    method: "POST",
    body: JSON.stringify({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "y" }],
      stream: false,
      options: { num_predict: 2 },
    }),
  });
  await waitFor(
    "one request queued",
    async () => (await (await fetch(`${hub.controlUrl}/healthz`)).json()).queued === 1,
  );

  const refused = await fetch(`${hub.url}/api/chat`, { method: "POST", body });
  assert.equal(refused.status, 503);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  assert.deepEqual(await refused.json(), {
    error: "server busy, please try again.  maximum pending requests exceeded",
  });

  const openai = new OpenAI({ baseURL: `${hub.url}/v1`, apiKey: "x", maxRetries: 0 });
  await assert.rejects(
    openai.chat.completions.create({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "z" }],
    }),
    (e: Error) => e instanceof OpenAI.InternalServerError && /server busy/.test(e.message),
  );

  await firstReader.cancel();
  running.abort();
  const served = await queued;
  assert.equal(served.status, 200);
  assert.ok(Number(served.headers.get("x-corral-queued-ms")) > 0);
  assert.equal((await served.json()).done, true);
});
