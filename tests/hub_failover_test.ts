/**
 * A host killed outright (`SIGKILL`: its agent and Ollama gone, connections reset) while the hub
 * serves a burst of requests: no request that had not started streaming fails (each is retried on
 * the next-best host), a stream that had started ends with an error line that ollama-js raises,
 * and the hub marks the host offline within 3 s.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { spawnFleetHost, startTestHub, waitFor } from "./_utils.ts";

const KEY = "failover-test-fleet-key-0123456789";
/** Replies long enough that a stream is still flowing when its host dies. */
const LONG_REPLIES = { reply_tokens: [50_000, 50_000], context_length: 100_000 };
const spawnHost = (name: string, port: number) =>
  spawnFleetHost(name, port, {
    fleetKey: KEY,
    preset: "a100",
    speed: 5,
    preload: ["qwen3:8b"],
    profile: LONG_REPLIES,
  });

Deno.test("a host killed mid-run: requests move to the next host, streams end with an error", async () => {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const [a, b] = await Promise.all([spawnHost("doomed", port), spawnHost("survivor", port)]);
  try {
    await using hub = await startTestHub({
      fleet_key: KEY,
      discovery: { port, probe_to: ["127.255.255.255"] },
      offline_after: "1s",
    });
    await waitFor(
      "both hosts online",
      () => hub.registry.records().filter((h) => h.status === "online").length === 2,
      10_000,
    );

    // A stream pinned to the doomed host, already flowing when the host dies.
    const ollama = new Ollama({ host: hub.url });
    const stream = await fetch(`${hub.url}/api/chat?host=doomed`, {
      method: "POST",
      body: JSON.stringify({
        model: "qwen3:8b",
        messages: [{ role: "user", content: "A long story, please" }],
        options: { num_predict: 100_000 },
      }),
    });
    const lines = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    await lines.read();

    // A burst of requests that take a while each, spread over both hosts.
    const burst = Array.from({ length: 16 }, async (_, i) => {
      const response = await fetch(`${hub.url}/api/generate`, {
        method: "POST",
        body: JSON.stringify({
          model: "qwen3:8b",
          prompt: `request ${i}`,
          stream: false,
          options: { num_predict: 400 },
        }),
      });
      const body = await response.json();
      return { done: body.done, attempts: Number(response.headers.get("x-corral-attempts") ?? 1) };
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const killedAt = performance.now();
    await a.kill();

    const results = await Promise.all(burst);
    assert.deepEqual(
      results.map((r) => r.done),
      Array(16).fill(true),
      "every request that had not started is answered",
    );
    assert.ok(results.some((r) => r.attempts > 1), "some were running on the doomed host");

    let tail = "";
    for (;;) {
      const { done, value } = await lines.read();
      if (done) break;
      tail += value;
    }
    const last = JSON.parse(tail.trim().split("\n").at(-1)!);
    assert.match(last.error, /doomed.*failed mid-stream/);

    await waitFor(
      "the doomed host offline",
      () => hub.registry.find("doomed")?.status === "offline",
      5000,
    );
    const offlineAfterMs = performance.now() - killedAt;
    assert.ok(offlineAfterMs < 3000, `offline after ${offlineAfterMs.toFixed(0)} ms`);

    // The fleet keeps serving on the survivor.
    const after = await ollama.generate({
      model: "qwen3:8b",
      prompt: "still there?",
      options: { num_predict: 3 },
    });
    assert.equal(after.done, true);
  } finally {
    await a.kill();
    await b.kill();
  }
});
