/**
 * A real agent (API server, sampler, poller, proxy, announcer) in front of the Ollama simulator,
 * driven over real sockets by real clients: ollama-js through the proxy, a hub's view through the
 * state stream, and a laptop's view through client mode.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { startAgent } from "../agent/agent.ts";
import { startClient } from "../agent/client_mode.ts";
import { loadAgentConfig } from "../agent/config.ts";
import { decodePacket, encodePacket, importFleetKey, stamp } from "../shared/discovery.ts";
import { fleetToken } from "../shared/fleet_key.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";
import { randomPort, readEvents, startTestSim, waitFor } from "./_utils.ts";

const FLEET_KEY = "the tests' fleet key, 32 chars!";

/** An agent config for tests: loopback only, no announcing beyond this machine. */
function agentConfig(ollamaUrl: string, extra: Record<string, string> = {}) {
  return loadAgentConfig({
    env: { CORRAL_FLEET_KEY: FLEET_KEY },
    flags: {
      listen: "127.0.0.1:0",
      ollama: ollamaUrl,
      gpus: "simulator",
      disk: ["/"],
      "announce-port": String(randomPort()),
      "announce-to": ["127.0.0.1"],
      ...extra,
    },
  });
}

/** Reads server-sent events from the agent's state stream. */
async function openStream(url: string, token: string) {
  const response = await fetch(`${url}/v1/state/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
  return readEvents<AgentSnapshot>(response);
}

Deno.test("agent proxies a streamed chat from the simulator to ollama-js", async () => {
  // At real speed (a few ms a token), so that the chat is still running while we look.
  await using sim = startTestSim({ speed: 1, profile: { preload: ["llama3.2:3b"] } });
  await sim.sim.preload();
  await using agent = await startAgent(agentConfig(sim.url), { fleetKey: FLEET_KEY });
  const token = await fleetToken(FLEET_KEY);
  const ollama = new Ollama({
    host: `${agent.url}/ollama`,
    headers: { authorization: `Bearer ${token}` },
  });

  const parts = await ollama.chat({
    model: "llama3.2:3b",
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
    options: { num_predict: 40 },
  });
  let text = "";
  let chunks = 0;
  let sawInFlight = false;
  for await (const part of parts) {
    chunks++;
    text += part.message.content;
    if (!part.done) sawInFlight ||= agent.state.inFlight()["llama3.2:3b"] === 1;
    if (part.done) assert.equal(part.eval_count, 40);
  }
  assert.equal(chunks, 41);
  assert.ok(text.length > 0);
  assert.ok(sawInFlight, "the request was not counted in flight while it streamed");
  await waitFor("in-flight back to zero", () => Object.keys(agent.state.inFlight()).length === 0);

  // Without the fleet token, ollama-js gets the agent's reason in Ollama's words.
  const stranger = new Ollama({ host: `${agent.url}/ollama` });
  await assert.rejects(stranger.list(), (e: Error & { status_code?: number }) => {
    assert.equal(e.status_code, 401);
    assert.match(e.message, /fleet token/i);
    return true;
  });
});

Deno.test("agent passes each streamed line on as it comes, without holding lines back", async () => {
  // At real speed the simulated RTX 4090 decodes a 3B model at about 200 tokens/s: a line every
  // ~5 ms, 100 lines in about half a second.
  await using sim = startTestSim({ speed: 1, profile: { preload: ["llama3.2:3b"] } });
  await sim.sim.preload();
  await using agent = await startAgent(agentConfig(sim.url), { fleetKey: FLEET_KEY });
  const response = await fetch(`${agent.url}/ollama/api/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${await fleetToken(FLEET_KEY)}` },
    body: JSON.stringify({ model: "llama3.2:3b", prompt: "Count", options: { num_predict: 100 } }),
  });
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  // When each line arrived here, against when the simulator wrote it (its created_at).
  const arrivals: { arrived: number; created: number }[] = [];
  let buffer = "";
  for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
    const arrived = Date.now();
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      arrivals.push({ arrived, created: Date.parse(JSON.parse(line).created_at) });
    }
  }
  assert.equal(arrivals.length, 101);
  // A proxy that buffers would deliver everything at the end; ours delivers most lines before
  // the simulator has even written the last one.
  const last = arrivals.at(-1)!.created;
  const early = arrivals.filter((a) => a.arrived < last).length;
  assert.ok(early >= 50, `only ${early} of 101 lines arrived before the last was written`);
});

Deno.test("agent's state stream shows a model load within a second", async () => {
  await using sim = startTestSim({ speed: 50 });
  await using agent = await startAgent(agentConfig(sim.url), { fleetKey: FLEET_KEY });
  const stream = await openStream(agent.url, await fleetToken(FLEET_KEY));
  try {
    const first = await stream.next();
    assert.equal(first.event, "snapshot");
    assert.equal(first.data.v, 1);
    assert.equal(first.data.agent.id, agent.id);
    await waitFor("Ollama reachable", async () => (await stream.next()).data.ollama?.reachable);

    // Load a model behind the agent's back: only its polling can notice.
    const load = await fetch(`${sim.url}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3:8b" }),
    });
    await load.json();
    const loadedAt = performance.now();
    for (;;) {
      const { data, at } = await stream.next();
      if (!data.ollama?.loaded.some((m) => m.name === "qwen3:8b")) continue;
      const delay = at - loadedAt;
      assert.ok(delay < 1500, `the load showed after ${delay.toFixed(0)} ms`);
      const model = data.ollama.loaded[0]!;
      assert.ok(model.sizeVram > 0 && model.size >= model.sizeVram);
      assert.ok(data.gpus.gpus[0]!.memoryUsed! > 0, "simulated VRAM in use");
      break;
    }
  } finally {
    await stream.cancel();
  }
});

Deno.test("agent's state stream sends heartbeats and ends when the agent stops", async () => {
  await using sim = startTestSim({ speed: 50 });
  // Sample rarely, so that heartbeats are what keeps the stream alive.
  const agent = await startAgent(
    agentConfig(sim.url, { "sample-interval": "10s", "poll-interval": "10s" }),
    { fleetKey: FLEET_KEY },
  );
  const stream = await openStream(agent.url, await fleetToken(FLEET_KEY));
  let beats = 0;
  let last = performance.now();
  while (beats < 2) {
    const { event, at } = await stream.next();
    if (event === "heartbeat") {
      beats++;
      assert.ok(at - last < 2000, `silent for ${(at - last).toFixed(0)} ms`);
    }
    last = at;
  }
  await agent.stop();
  await assert.rejects(async () => {
    for (;;) await stream.next();
  }, /ended/);
});

Deno.test("agent reports an unreachable Ollama in its state, health and proxy", async () => {
  await using agent = await startAgent(
    agentConfig(`http://127.0.0.1:${randomPort()}`, { "poll-interval": "100ms" }),
    { fleetKey: FLEET_KEY },
  );
  const down = await waitFor("a failed poll", () => {
    const o = agent.state.current().snapshot.ollama;
    return o.error !== "not polled yet" && o;
  });
  assert.equal(down.reachable, false);
  assert.match(down.error!, /Cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+: connection refused/);
  const health = await (await fetch(`${agent.url}/healthz`)).json();
  assert.deepEqual(health, { status: "ok", ollama: "unreachable" });
  const proxied = await fetch(`${agent.url}/ollama/api/tags`, {
    headers: { authorization: `Bearer ${await fleetToken(FLEET_KEY)}` },
  });
  assert.equal(proxied.status, 502);
  assert.match((await proxied.json()).error, /Cannot reach the local Ollama/);
});

Deno.test("client mode finds a hub by probe and forwards ollama-js to it with the API key", async () => {
  await using sim = startTestSim({ speed: 50 });
  const key = await importFleetKey(FLEET_KEY);
  const udpPort = randomPort();

  // The hub stand-in: answers probes for hubs, and forwards HTTP to the simulator, noting the
  // Authorization header of each request.
  const authorizations: (string | null)[] = [];
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    authorizations.push(request.headers.get("authorization"));
    const url = new URL(request.url);
    return fetch(`${sim.url}${url.pathname}${url.search}`, {
      method: request.method,
      body: request.body,
      headers: request.headers,
    });
  });
  const udp = Deno.listenDatagram({
    hostname: "0.0.0.0",
    port: udpPort,
    transport: "udp",
    reuseAddress: true,
  });
  const answering = (async () => {
    for (;;) {
      const [bytes, from] = await udp.receive().catch(() => [null, null]);
      if (!bytes) return;
      const probe = await decodePacket(bytes as Uint8Array<ArrayBuffer>, key).catch(() => null);
      if (probe?.kind !== "probe" || probe.want !== "hubs") continue;
      const reply = stamp(
        {
          kind: "hub",
          id: "hub-1",
          name: "hub-1",
          port: http.addr.port,
          version: "0.1.0",
        } as const,
      );
      await udp.send(await encodePacket(reply, key), from as Deno.NetAddr);
    }
  })();

  const config = loadAgentConfig({
    env: { CORRAL_FLEET_KEY: FLEET_KEY, CORRAL_API_KEY: "sk-laptop" },
    flags: {
      mode: "client",
      "client-listen": "127.0.0.1:0",
      "announce-port": String(udpPort),
      "announce-to": ["127.255.255.255"],
    },
  });
  try {
    await using client = await startClient(config, { fleetKey: FLEET_KEY });
    const ollama = new Ollama({ host: client.url });
    const { models } = await ollama.list();
    assert.ok(models.some((m) => m.name === "qwen3:8b"));
    assert.equal(client.handler.hub(), `http://127.0.0.1:${http.addr.port}`);
    let reply = "";
    for await (
      const part of await ollama.chat({
        model: "llama3.2:3b",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      })
    ) reply += part.message.content;
    assert.ok(reply.length > 0);
    // The laptop's key went to the hub; a client's own key is left alone.
    assert.deepEqual(authorizations, ["Bearer sk-laptop", "Bearer sk-laptop"]);
    await new Ollama({ host: client.url, headers: { authorization: "Bearer mine" } }).version();
    assert.equal(authorizations.at(-1), "Bearer mine");
  } finally {
    udp.close();
    await answering;
    await http.shutdown();
  }
});

Deno.test("client mode answers in each API's dialect when no hub can be found", async () => {
  const config = loadAgentConfig({
    env: { CORRAL_FLEET_KEY: FLEET_KEY },
    flags: {
      mode: "client",
      "client-listen": "127.0.0.1:0",
      "announce-port": String(randomPort()),
      "announce-to": ["127.0.0.1"],
    },
  });
  await using client = await startClient(config, { fleetKey: FLEET_KEY });
  const ollama = await fetch(`${client.url}/api/tags`);
  assert.equal(ollama.status, 502);
  assert.match((await ollama.json()).error, /^No Corral hub found on the network/);
  const openai = await fetch(`${client.url}/v1/models`);
  assert.equal(openai.status, 502);
  const body = await openai.json();
  assert.equal(body.error.type, "api_error");
  assert.match(body.error.message, /^No Corral hub found/);
});
