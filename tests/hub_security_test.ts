/**
 * What the hub refuses: forged discovery packets, clients without a valid API key (in each API's
 * own error format), models outside a key's allow-list, and bad input; and what it never passes
 * on: the client's key.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { hashApiKey, newApiKey } from "../hub/auth.ts";
import { encodePacket, importFleetKey, stamp } from "../shared/discovery.ts";
import { startTestHub, startTestSim, waitFor } from "./_utils.ts";

const KEY = "security-test-fleet-key-0123456789";

Deno.test("forged, unsigned and replayed announcements never add a host", async () => {
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  await using hub = await startTestHub({
    fleet_key: KEY,
    discovery: { port, probe_to: ["127.0.0.1"] },
  });
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const announce = (id: string) =>
    stamp(
      { kind: "announce" as const, id, name: id, port: 1, version: "0", bootId: "b" },
      Date.now(),
    );
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  try {
    const wrongKey = await importFleetKey("some-other-fleet-key-0123456789");
    await socket.send(await encodePacket(announce("forged"), wrongKey), to);
    await socket.send(await encodePacket(announce("unsigned"), null), to);
    const genuine = await encodePacket(announce("replayed"), await importFleetKey(KEY));
    await socket.send(genuine, to);
    await socket.send(genuine, to);
    await waitFor("four packets counted", () => hub.packets.received >= 4);
    assert.equal(hub.packets.dropped.bad_signature, 1);
    assert.equal(hub.packets.dropped.unsigned, 1);
    assert.equal(hub.packets.dropped.replayed, 1);
    assert.deepEqual(hub.registry.records().map((h) => h.id), ["replayed"], "only the genuine one");
  } finally {
    socket.close();
  }
});

/** A plain "Ollama" that records the headers it gets and passes requests on to a simulator. */
function recordingOllama(simUrl: string) {
  const seen: Headers[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    seen.push(request.headers);
    const url = new URL(request.url);
    return await fetch(simUrl + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("API keys: required off loopback, checked in each dialect, never passed on", async (t) => {
  await using sim = startTestSim({ profile: { preload: ["llama3.2:3b"] }, speed: 200 });
  await sim.sim.preload();
  const ollamaServer = recordingOllama(sim.url);
  const [alice, bob] = [newApiKey(), newApiKey()];
  const hub = await startTestHub({
    insecure: true,
    listen: "0.0.0.0:0",
    discovery: { enabled: false },
    ollama: [{ url: ollamaServer.url, name: "box" }],
    api_keys: [
      { name: "alice", hash: await hashApiKey(alice) },
      { name: "bob", hash: await hashApiKey(bob), models: ["qwen3:*"] },
    ],
  });
  try {
    await waitFor("the Ollama server online", () => hub.registry.find("box")?.status === "online");
    const chat = { model: "llama3.2:3b", messages: [{ role: "user" as const, content: "Hi" }] };

    await t.step("no key: 401 that ollama-js and openai-node report", async () => {
      await assert.rejects(
        new Ollama({ host: hub.url }).chat(chat),
        (e: Error & { status_code?: number }) =>
          e.status_code === 401 && /needs an API key/.test(e.message),
      );
      await assert.rejects(
        new OpenAI({ baseURL: `${hub.url}/v1`, apiKey: "wrong", maxRetries: 0 }).chat.completions
          .create(chat),
        (e: Error) => e instanceof OpenAI.AuthenticationError && /invalid API key/.test(e.message),
      );
      const anthropic = await fetch(`${hub.url}/v1/messages`, { method: "POST", body: "{}" });
      assert.equal(anthropic.status, 401);
      assert.equal((await anthropic.json()).error.type, "authentication_error");
    });

    await t.step("GET / stays open for health checks", async () => {
      const response = await fetch(hub.url);
      assert.equal(await response.text(), "Ollama is running");
    });

    await t.step("a valid key works with both clients, and never reaches the host", async () => {
      const ollama = new Ollama({ host: hub.url, headers: { authorization: `Bearer ${alice}` } });
      const reply = await ollama.chat({ ...chat, options: { num_predict: 3 } });
      assert.equal(reply.done, true);
      const openai = new OpenAI({ baseURL: `${hub.url}/v1`, apiKey: alice, maxRetries: 0 });
      const completion = await openai.chat.completions.create({ ...chat, max_tokens: 3 });
      assert.equal(completion.object, "chat.completion");
      const messages = await fetch(`${hub.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": alice, "content-type": "application/json" },
        body: JSON.stringify({ ...chat, max_tokens: 3 }),
      });
      assert.notEqual(messages.status, 401);
      await messages.body?.cancel();
      const forwarded = ollamaServer.seen.filter((h) => h.get("content-type"));
      assert.ok(forwarded.length >= 3);
      for (const headers of ollamaServer.seen) {
        assert.equal(headers.get("authorization"), null);
        assert.equal(headers.get("x-api-key"), null);
      }
    });

    await t.step(
      "a key's model allow-list: 403 for others, and lists show only its models",
      async () => {
        const ollama = new Ollama({ host: hub.url, headers: { authorization: `Bearer ${bob}` } });
        await assert.rejects(
          ollama.chat(chat),
          (e: Error & { status_code?: number }) =>
            e.status_code === 403 && /may not use model "llama3.2:3b"/.test(e.message),
        );
        assert.deepEqual((await ollama.list()).models.map((m) => m.name), ["qwen3:8b"]);
        const all = new Ollama({ host: hub.url, headers: { authorization: `Bearer ${alice}` } });
        assert.ok((await all.list()).models.length > 0);
      },
    );
  } finally {
    await hub.stop();
    await ollamaServer.close();
  }
});

Deno.test("an open API (loopback) still names a known key and holds it to its allow-list", async () => {
  await using sim = startTestSim({ profile: { preload: ["llama3.2:3b"] }, speed: 200 });
  await sim.sim.preload();
  const carol = newApiKey();
  await using hub = await startTestHub({
    insecure: true,
    discovery: { enabled: false },
    ollama: [{ url: sim.url, name: "box" }],
    api_keys: [{ name: "carol", hash: await hashApiKey(carol), models: ["qwen3:*"] }],
  });
  await waitFor("the Ollama server online", () => hub.registry.find("box")?.status === "online");
  const chat = {
    model: "llama3.2:3b",
    messages: [{ role: "user" as const, content: "Hi" }],
    options: { num_predict: 2 },
  };
  // No key, or one the hub does not know (OpenAI clients must send something): served.
  assert.equal((await new Ollama({ host: hub.url }).chat(chat)).done, true);
  const any = new OpenAI({ baseURL: `${hub.url}/v1`, apiKey: "any", maxRetries: 0 });
  assert.equal((await any.chat.completions.create(chat)).object, "chat.completion");
  // A known key keeps its limits even where keys are not required.
  const limited = new Ollama({ host: hub.url, headers: { authorization: `Bearer ${carol}` } });
  await assert.rejects(
    limited.chat(chat),
    (e: Error & { status_code?: number }) => e.status_code === 403,
  );
});

Deno.test("bad input gets Ollama's own answers, in each API's format", async (t) => {
  await using sim = startTestSim({ profile: { preload: ["llama3.2:3b"] }, speed: 200 });
  await using hub = await startTestHub({
    insecure: true,
    discovery: { enabled: false },
    ollama: [sim.url],
  });
  await waitFor("the Ollama server online", () => hub.registry.records()[0]?.status === "online");
  const post = (path: string, body: string, method = "POST") =>
    fetch(`${hub.url}${path}`, { method, body });

  await t.step("empty and malformed bodies", async () => {
    let response = await post("/api/chat", "");
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: "missing request body" });
    response = await post("/api/generate", "{nope");
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: "invalid character 'n' looking for beginning of value",
    });
    response = await post("/api/chat", "{}");
    assert.deepEqual([response.status, await response.json()], [400, {
      error: "model is required",
    }]);
  });

  await t.step("OpenAI routes answer in OpenAI's envelope", async () => {
    const response = await post("/v1/chat/completions", "{}");
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error.message, "model is required");
    assert.equal(body.error.type, "invalid_request_error");
  });

  await t.step("unknown paths and wrong methods, as Ollama answers them", async () => {
    let response = await fetch(`${hub.url}/api/nothing`);
    assert.deepEqual([response.status, await response.text()], [404, "404 page not found"]);
    response = await fetch(`${hub.url}/api/chat`);
    assert.deepEqual([response.status, await response.text()], [405, "405 method not allowed"]);
  });

  await t.step("cloud-only endpoints say why they are refused", async () => {
    const response = await post("/api/me", "{}");
    assert.equal(response.status, 501);
    assert.match((await response.json()).error, /cloud endpoint/);
  });
});
