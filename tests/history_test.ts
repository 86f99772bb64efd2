/**
 * History from a running demo fleet, read back through the control plane's history API as the
 * dashboard will: every request logged with its key, model, host, route, tokens and timings (the
 * token counts the clients themselves received), usage series that add up, and model events
 * (load, unload) seen in the agents' state. Embedded PGlite; the PostgreSQL side is in
 * `history_postgres_test.ts`.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { hashApiKey, newApiKey } from "../hub/auth.ts";
import { startDemoFleet } from "../scripts/demo_fleet.ts";
import { loginAdmin, randomPort, spawnFleetHost, startTestHub, waitFor } from "./_utils.ts";

interface RequestView {
  apiKey: string | null;
  endpoint: string;
  model: string | null;
  host: { id: string; name: string } | null;
  route: string | null;
  status: number;
  error: string | null;
  stream: boolean;
  promptTokens: number | null;
  completionTokens: number | null;
  ttfbMs: number | null;
  durationMs: number;
  bytesOut: number;
  client: string;
}

Deno.test({
  name: "requests and model events from a running fleet, read through the history API",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "corral-history-" });
    const key = newApiKey();
    await using fleet = await startDemoFleet({
      specs: [
        { name: "alpha", preset: "rtx4090", preload: ["llama3.2:3b"] },
        { name: "beta", preset: "rtx3060", preload: [] },
      ],
      speed: 50,
      hub: {
        listen: "0.0.0.0:0",
        api_keys: [{ name: "alice", hash: await hashApiKey(key) }],
        data_dir: dir,
        history: { enabled: true, sample_interval: "1s" },
      },
    });
    const { hub } = fleet;
    const history = hub.history!;
    const admin = await loginAdmin(hub);
    const api = (path: string) => admin.fetch(`/api/history${path}`).then((r) => r.json());
    const ollama = new Ollama({ host: hub.url, headers: { authorization: `Bearer ${key}` } });
    const openai = new OpenAI({ baseURL: `${hub.url}/v1`, apiKey: key });

    const chat = await ollama.chat({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "Hello" }],
    });
    let last = { prompt_eval_count: 0, eval_count: 0 };
    for await (
      const part of await ollama.generate({ model: "llama3.2:3b", prompt: "Hi", stream: true })
    ) {
      last = part;
    }
    let usage: OpenAI.CompletionUsage | undefined;
    const stream = await openai.chat.completions.create({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    // gemma3:4b is only on alpha's disk: a load (the unload comes later, once the load is seen).
    await ollama.generate({ model: "gemma3:4b", prompt: "Hi" });
    await assert.rejects(ollama.chat({ model: "no-such-model", messages: [] }));
    const anonymous = await fetch(`${hub.url}/api/tags`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    await waitFor("every request logged", async () => {
      await history.flush();
      return (await api("/requests?limit=100")).requests.length >= 6;
    }, 10_000);
    const { requests } = await api("/requests?limit=100") as { requests: RequestView[] };
    const find = (endpoint: string, model: string | null) =>
      requests.find((r) => r.endpoint === endpoint && r.model === model)!;

    const chatRow = find("/api/chat", "llama3.2:3b");
    assert.equal(chatRow.apiKey, "alice");
    assert.equal(chatRow.client, "127.0.0.1");
    assert.deepEqual(chatRow.host, { id: "demo-alpha", name: "alpha" });
    assert.equal(chatRow.route, "loaded; ctx=8192"); // the policy's context, as X-Corral-Route said
    assert.equal(chatRow.status, 200);
    assert.equal(chatRow.stream, false);
    assert.equal(chatRow.promptTokens, chat.prompt_eval_count);
    assert.equal(chatRow.completionTokens, chat.eval_count);
    assert.ok(chatRow.ttfbMs! > 0 && chatRow.durationMs >= chatRow.ttfbMs!);
    assert.ok(chatRow.bytesOut > 100);

    const generateRow = find("/api/generate", "llama3.2:3b");
    assert.equal(generateRow.stream, true);
    assert.equal(generateRow.promptTokens, last.prompt_eval_count);
    assert.equal(generateRow.completionTokens, last.eval_count);
    assert.ok(generateRow.durationMs > generateRow.ttfbMs!, "a stream lasts past its first byte");

    const openaiRow = find("/v1/chat/completions", "llama3.2:3b");
    assert.equal(openaiRow.promptTokens, usage!.prompt_tokens);
    assert.equal(openaiRow.completionTokens, usage!.completion_tokens);

    const loadRow = find("/api/generate", "gemma3:4b");
    assert.equal(loadRow.host?.name, "alpha");
    // The route says what was decided: a load at the policy's context, its size, no evictions.
    assert.match(loadRow.route!, /^on-disk; ctx=8192; load=\d+\.\dGB$/);

    const missing = find("/api/chat", "no-such-model");
    assert.deepEqual([missing.status, missing.error, missing.host], [
      404,
      "model 'no-such-model' not found",
      null,
    ]);
    const refused = find("/api/tags", null);
    assert.equal(refused.status, 401);
    assert.equal(refused.apiKey, null);

    // Usage by model adds up to the rows, and the tokens to what the clients received.
    const byModel = await api("/usage?from=-10m&step=1m&by=model");
    const column = (series: (number | null)[][], label: string) => {
      const index = byModel.groups.findIndex((g: { label: string }) => g.label === label);
      return series[index + 1]!.reduce((a: number, b) => a + (b ?? 0), 0);
    };
    assert.equal(column(byModel.series.requests, "llama3.2:3b"), 3);
    assert.equal(
      column(byModel.series.completion_tokens, "llama3.2:3b"),
      chat.eval_count + last.eval_count + usage!.completion_tokens,
    );

    // The load and the unload, from the agents' state.
    type ModelEventView = {
      event: string;
      host: { name: string };
      loadedMs: number | null;
      sizeVram: number;
    };
    const modelEvents = async () => {
      await history.flush();
      return (await api("/model-events?model=gemma3:4b")).events as ModelEventView[];
    };
    const [load] = await waitFor("gemma3:4b seen loaded", async () => {
      const events = await modelEvents();
      return events.length > 0 ? events : undefined;
    }, 10_000);
    assert.deepEqual([load!.event, load!.host.name], ["load", "alpha"]);
    assert.ok(load!.sizeVram > 0);
    await ollama.generate({ model: "gemma3:4b", prompt: "", keep_alive: 0 });
    const [unload] = await waitFor("gemma3:4b seen unloaded", async () => {
      const events = await modelEvents();
      return events.length > 1 ? events : undefined; // newest first
    }, 10_000);
    assert.deepEqual([unload!.event, unload!.host.name], ["unload", "alpha"]);
    assert.ok(unload!.loadedMs !== null && unload!.loadedMs > 0);

    // Samples of both hosts, and their discovery, are there too.
    history.sample();
    await history.flush();
    const metrics = await api("/metrics?host=alpha&from=-5m&step=10s");
    assert.equal(metrics.host.name, "alpha");
    assert.equal(metrics.gpus.length, 1);
    assert.ok(metrics.system.data[0].length > 0);
    const { events: found } = await api("/server-events?event=discovered");
    assert.deepEqual(found.map((e: { host: { name: string } }) => e.host.name).sort(), [
      "alpha",
      "beta",
    ]);
    const health = await fetch(`${hub.controlUrl}/healthz`).then((r) => r.json());
    assert.equal(health.history.state, "ok");
    assert.equal(health.history.backend, "pglite");
    await fleet.stop();
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "a host killed and started again: offline, online and reboot in the server events",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const key = "history-events-fleet-key-0123456789";
    const port = randomPort();
    const dir = await Deno.makeTempDir({ prefix: "corral-history-" });
    const spawn = () => spawnFleetHost("phoenix", port, { fleetKey: key, speed: 20 });
    let host = await spawn();
    try {
      await using hub = await startTestHub({
        fleet_key: key,
        discovery: { port, probe_to: ["127.255.255.255"] },
        offline_after: "1s",
        data_dir: dir,
        history: { enabled: true },
      });
      const status = () => hub.registry.find("phoenix")?.status;
      await waitFor("phoenix online", () => status() === "online", 10_000);
      await host.kill();
      await waitFor("phoenix offline", () => status() === "offline", 5_000);
      host = await spawn(); // A new process is a new boot of the simulated machine.
      await waitFor("phoenix back online", () => status() === "online", 10_000);

      await hub.history!.flush();
      const admin = await loginAdmin(hub);
      const response = await admin.fetch("/api/history/server-events?host=phoenix");
      const { events } = await response.json() as {
        events: { event: string; previous: string | null; host: { name: string } }[];
      };
      const story = events.map((e) => e.event).reverse(); // oldest first
      assert.deepEqual(story, ["discovered", "online", "offline", "reboot", "online"]);
      assert.equal(events.find((e) => e.event === "offline")!.previous, "online");
      assert.ok(events.every((e) => e.host.name === "phoenix"));
    } finally {
      await host.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
