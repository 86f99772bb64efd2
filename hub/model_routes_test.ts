import assert from "node:assert/strict";
import { Hono } from "hono";
import type { ModelActionResult, PullJob } from "../shared/dashboard.ts";
import { toErrorBody } from "../shared/errors.ts";
import { simState, waitFor } from "../tests/_utils.ts";
import { ModelActions } from "./model_actions.ts";
import { modelControlRoutes, type ModelRoutesEnv } from "./model_routes.ts";
import { type ModelTestFleet, startModelTestFleet } from "./model_testing.ts";
import { PullJobs } from "./pull_jobs.ts";

/** The routes mounted as the control plane mounts them, behind a guard that sets the user. */
function controlPlane(fleet: ModelTestFleet, user: string | null = "ann") {
  const pulls = new PullJobs({ dataFetch: fleet.dataFetch });
  const actions = new ModelActions({ registry: fleet.hub.registry, dataFetch: fleet.dataFetch });
  const app = new Hono<ModelRoutesEnv>();
  app.use("*", async (c, next) => {
    if (user) c.set("user", { username: user });
    await next();
  });
  app.route("/api", modelControlRoutes({ registry: fleet.hub.registry, pulls, actions }));
  app.onError((error, c) => {
    const { status, body } = toErrorBody("hub", error);
    return c.json(body, status as 400);
  });
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await app.request(`http://localhost/api${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as T };
  };
  return { pulls, call, [Symbol.asyncDispose]: () => pulls.stop() };
}

type Failure = { src: string; error: { code: string; message: string } };

Deno.test("POST /api/models/pull starts one job per host, all of them with host: all", async () => {
  await using fleet = await startModelTestFleet({ one: {}, two: {} });
  await using plane = controlPlane(fleet);
  const { status, body } = await plane.call<{ jobs: PullJob[] }>("POST", "/models/pull", {
    model: "qwen3:0.6b",
    host: "all",
  });
  assert.equal(status, 200);
  assert.deepEqual(body.jobs.map((j) => [j.hostName, j.model, j.state, j.by]).sort(), [
    ["one", "qwen3:0.6b", "running", "ann"],
    ["two", "qwen3:0.6b", "running", "ann"],
  ]);
  await waitFor("both pulls done", async () => {
    const { body } = await plane.call<{ jobs: PullJob[] }>("GET", "/pulls");
    return body.jobs.length === 2 && body.jobs.every((j) => j.state === "done");
  });

  const single = await plane.call<{ jobs: PullJob[] }>("POST", "/models/pull", {
    model: "all-minilm",
    host: fleet.idOf("two"),
  });
  assert.deepEqual(single.body.jobs.map((j) => j.hostName), ["two"]);
});

Deno.test("DELETE /api/pulls/:id cancels a running pull", async () => {
  await using fleet = await startModelTestFleet({ one: { profile: { network: "100KB/s" } } });
  await using plane = controlPlane(fleet, null);
  const started = await plane.call<{ jobs: PullJob[] }>("POST", "/models/pull", {
    model: "qwen3:0.6b",
    host: "one",
  });
  const [job] = started.body.jobs;
  assert.equal(job!.by, null, "no user without accounts");
  const cancelled = await plane.call<PullJob>("DELETE", `/pulls/${job!.id}`);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.state, "cancelled");
  const missing = await plane.call<Failure>("DELETE", "/pulls/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "NOT_FOUND");
});

Deno.test("POST /api/models/load, unload and delete act on the named host", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  await using plane = controlPlane(fleet);
  const host = fleet.idOf("one");
  const loaded = await plane.call<ModelActionResult>("POST", "/models/load", {
    model: "gemma3:4b",
    host,
    keepAlive: "30m",
  });
  assert.equal(loaded.status, 200);
  assert.equal(loaded.body.ok, true);
  assert.equal(loaded.body.host, host);
  assert.deepEqual((await simState(fleet.sims.one!.url)).loaded.map((m) => m.name), ["gemma3:4b"]);

  const unloaded = await plane.call<ModelActionResult>("POST", "/models/unload", {
    model: "gemma3:4b",
    host,
  });
  assert.equal(unloaded.status, 200);
  assert.deepEqual((await simState(fleet.sims.one!.url)).loaded, []);

  const deleted = await plane.call<ModelActionResult>("POST", "/models/delete", {
    model: "gemma3:4b",
    host,
  });
  assert.equal(deleted.status, 200);
  assert.equal(fleet.sims.one!.sim.store.get("gemma3:4b"), undefined);

  const again = await plane.call<Failure>("POST", "/models/delete", { model: "gemma3:4b", host });
  assert.equal(again.status, 404);
  assert.equal(
    again.body.error.message,
    `Cannot delete "gemma3:4b" on "one": model 'gemma3:4b' not found`,
  );
});

Deno.test("the model routes answer 400 for a bad body and 404 for an unknown host", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  await using plane = controlPlane(fleet);
  const cases: [string, unknown, RegExp][] = [
    ["/models/pull", "not json", /must be JSON/],
    ["/models/pull", [1], /must be a JSON object/],
    ["/models/pull", { host: "all" }, /'model' must be a model name/],
    ["/models/pull", { model: "bad name!", host: "all" }, /'model' must be a model name/],
    ["/models/pull", { model: "qwen3" }, /'host' must be a host id or "all"/],
    ["/models/load", { model: "qwen3", host: 1 }, /'host' must be a host id$/],
    ["/models/load", { model: "qwen3", host: "one", keepAlive: 5 }, /'keepAlive' must be a string/],
    ["/models/load", { model: "qwen3", host: "one", keepAlive: "soon" }, /Cannot use keepAlive/],
  ];
  for (const [path, body, message] of cases) {
    const { status, body: answer } = await plane.call<Failure>("POST", path, body);
    assert.equal(status, 400, `${path} ${JSON.stringify(body)}`);
    assert.equal(answer.error.code, "BAD_REQUEST");
    assert.match(answer.error.message, message);
  }
  for (const path of ["/models/pull", "/models/load", "/models/unload", "/models/delete"]) {
    const { status, body } = await plane.call<Failure>("POST", path, {
      model: "qwen3",
      host: "nowhere",
    });
    assert.equal(status, 404, path);
    assert.equal(body.error.message, 'No host "nowhere"');
  }
  fleet.hub.registry.lost(fleet.idOf("one"), "test", Date.now());
  const away = await plane.call<Failure>("POST", "/models/pull", { model: "qwen3", host: "all" });
  assert.equal(away.status, 503);
  assert.equal(away.body.error.message, `Cannot pull "qwen3": no host is online`);
  const offline = await plane.call<Failure>("POST", "/models/pull", {
    model: "qwen3",
    host: "one",
  });
  assert.equal(offline.status, 503);
  assert.match(offline.body.error.message, /it is offline/);
});
