import assert from "node:assert/strict";
import { simState } from "../tests/_utils.ts";
import { keepAliveValue, ModelActions, ollamaError } from "./model_actions.ts";
import { startModelTestFleet } from "./model_testing.ts";

Deno.test("keepAliveValue() sends whole numbers as seconds and durations as they are", () => {
  assert.equal(keepAliveValue("-1"), -1);
  assert.equal(keepAliveValue("300"), 300);
  assert.equal(keepAliveValue("0"), 0);
  assert.equal(keepAliveValue("30m"), "30m");
  assert.equal(keepAliveValue(" 1h30m "), "1h30m");
  for (const bad of ["", "soon", "5 minutes", "1.5"]) {
    assert.throws(() => keepAliveValue(bad), { code: "BAD_REQUEST", status: 400 }, bad);
  }
});

Deno.test("ollamaError() reads Ollama's, OpenAI's and plain answers", async () => {
  const answer = (body: string, status = 404) => new Response(body, { status });
  assert.equal(
    await ollamaError(answer('{"error":"model \'x\' not found"}')),
    "model 'x' not found",
  );
  assert.equal(
    await ollamaError(answer('{"error":{"message":"nope","type":"api_error"}}')),
    "nope",
  );
  assert.equal(await ollamaError(answer("404 page not found\n")), "404 page not found");
  assert.equal(await ollamaError(answer("", 502)), "HTTP 502");
});

Deno.test("ModelActions loads, unloads and deletes a model on the host it names", async () => {
  await using fleet = await startModelTestFleet({ one: {}, two: {} });
  const actions = new ModelActions({ registry: fleet.hub.registry, dataFetch: fleet.dataFetch });
  const one = fleet.idOf("one");
  const loaded = async (name: string) => (await simState(fleet.sims[name]!.url)).loaded;

  const result = await actions.load("gemma3:4b", one, "-1");
  assert.deepEqual({ ...result, durationMs: 0 }, {
    ok: true,
    host: one,
    model: "gemma3:4b",
    durationMs: 0,
  });
  assert.ok(result.durationMs >= 0);
  assert.deepEqual((await loaded("one")).map((m) => m.name), ["gemma3:4b"]);
  assert.deepEqual(await loaded("two"), [], "only the named host loads it");
  const ps = await (await fetch(`${fleet.sims.one!.url}/api/ps`)).json();
  assert.ok(new Date(ps.models[0].expires_at).getFullYear() > 2200, "-1 keeps it for ever");

  await actions.load("llama3.2:3b", one, "10m");
  assert.equal((await loaded("one")).length, 2);
  await actions.unload("gemma3:4b", one);
  assert.deepEqual((await loaded("one")).map((m) => m.name), ["llama3.2:3b"]);

  await actions.delete("llama3.2:3b", one);
  assert.equal(fleet.sims.one!.sim.store.get("llama3.2:3b"), undefined);
  assert.ok(fleet.sims.two!.sim.store.get("llama3.2:3b"), "the other host keeps its copy");
});

Deno.test("ModelActions loads and unloads an embedding model, which refuses generate", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  const actions = new ModelActions({ registry: fleet.hub.registry, dataFetch: fleet.dataFetch });
  const one = fleet.idOf("one");
  const loaded = async () => (await simState(fleet.sims.one!.url)).loaded.map((m) => m.name);
  assert.ok(fleet.sims.one!.sim.store.get("nomic-embed-text:latest"), "the host has it on disk");
  await actions.load("nomic-embed-text:latest", one);
  assert.deepEqual(await loaded(), ["nomic-embed-text:latest"]);
  await actions.unload("nomic-embed-text:latest", one);
  assert.deepEqual(await loaded(), []);
});

Deno.test("ModelActions throws FleetErrors with the host's message", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  const actions = new ModelActions({ registry: fleet.hub.registry, dataFetch: fleet.dataFetch });
  const one = fleet.idOf("one");
  await assert.rejects(actions.load("qwen3:32b", one), {
    code: "NOT_FOUND",
    status: 404,
    message: `Cannot load "qwen3:32b" on "one": model 'qwen3:32b' not found`,
  });
  await assert.rejects(actions.delete("qwen3:32b", one), {
    code: "NOT_FOUND",
    message: `Cannot delete "qwen3:32b" on "one": model 'qwen3:32b' not found`,
  });
  await assert.rejects(actions.load("gemma3:4b", one, "soon"), { code: "BAD_REQUEST" });
  await assert.rejects(actions.load("gemma3:4b", "nowhere"), {
    code: "NOT_FOUND",
    status: 404,
    message: 'No host "nowhere"',
  });
});

Deno.test("ModelActions refuses a host the hub cannot reach with 503", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  const actions = new ModelActions({ registry: fleet.hub.registry, dataFetch: fleet.dataFetch });
  const one = fleet.idOf("one");
  fleet.hub.registry.lost(one, "test", Date.now());
  await assert.rejects(actions.load("gemma3:4b", one), {
    code: "UNAVAILABLE",
    status: 503,
    message: `Cannot load "gemma3:4b" on "one": it is offline`,
  });
});
