/**
 * The dashboard's model management end to end: a hub in front of two simulated hosts behind real
 * agents (found over UDP), the live event stream and the model routes served as the control plane
 * serves them, and a client that acts through the routes and watches the stream. What it sees is
 * what the agents report, not what the hub assumed.
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import type { FleetState, HostView, PullJob } from "../shared/dashboard.ts";
import { toErrorBody } from "../shared/errors.ts";
import { InFlightTable } from "../hub/in_flight.ts";
import { LiveFeed, liveRoutes } from "../hub/live.ts";
import { ModelActions } from "../hub/model_actions.ts";
import { modelControlRoutes } from "../hub/model_routes.ts";
import { hubDataFetch } from "../hub/model_testing.ts";
import { PullJobs } from "../hub/pull_jobs.ts";
import { Sparks } from "../hub/sparks.ts";
import { type DemoHostSpec, startDemoFleet } from "../scripts/demo_fleet.ts";
import { readEvents } from "./_utils.ts";

const SPECS: DemoHostSpec[] = [
  { name: "a", preset: "rtx4090", preload: [], models: ["llama3.2:3b", "gemma3:4b"] },
  { name: "b", preset: "rtx4090", preload: [], models: ["llama3.2:3b"] },
];

Deno.test("the dashboard loads, pulls and deletes models and sees each change on the live stream", async (t) => {
  await using fleet = await startDemoFleet({ specs: SPECS, speed: 50 });
  const { registry } = fleet.hub;
  const dataFetch = hubDataFetch(fleet.hub.url);
  const pulls = new PullJobs({ dataFetch });
  const actions = new ModelActions({ registry, dataFetch });
  const sparks = new Sparks(registry);
  const feed = new LiveFeed({
    registry,
    inFlight: new InFlightTable(),
    queue: { size: 0 },
    sparks,
    pulls,
    hub: { name: fleet.hub.name, version: "test" },
  });
  const app = new Hono();
  app.route("/api", liveRoutes(feed));
  app.route("/api", modelControlRoutes({ registry, pulls, actions }));
  app.onError((error, c) => {
    const { status, body } = toErrorBody("hub", error);
    return c.json(body, status as 400);
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/api`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) });
    const answer = await response.json();
    assert.equal(response.status, 200, JSON.stringify(answer));
    return answer;
  };
  const events = readEvents(await fetch(`${url}/events`));
  /** The next host event for `name` that satisfies `check`. */
  const hostEvent = async (name: string, check: (host: HostView) => boolean) => {
    for (;;) {
      const { event, data } = await events.next();
      if (event === "host" && (data as unknown as HostView).name === name) {
        if (check(data as unknown as HostView)) return data as unknown as HostView;
      }
    }
  };
  const idOf = (name: string) => registry.find(name)!.id;

  try {
    await t.step("the stream starts with the whole fleet", async () => {
      const first = await events.next();
      assert.equal(first.event, "fleet");
      const state = first.data as unknown as FleetState;
      assert.deepEqual(state.hosts.map((h) => [h.name, h.status]).sort(), [
        ["a", "online"],
        ["b", "online"],
      ]);
    });

    await t.step("a load shows as the model loaded on that host", async () => {
      await post("/models/load", { model: "gemma3:4b", host: idOf("a"), keepAlive: "-1" });
      const host = await hostEvent(
        "a",
        (h) => h.snapshot!.ollama.loaded.some((m) => m.name === "gemma3:4b"),
      );
      assert.equal(host.id, idOf("a"));
    });

    await t.step("an unload shows as the model gone from memory", async () => {
      await post("/models/unload", { model: "gemma3:4b", host: idOf("a") });
      await hostEvent("a", (h) => h.snapshot!.ollama.loaded.length === 0);
    });

    await t.step(
      "a pull to all hosts streams its progress, then the model is on both disks",
      async () => {
        const { jobs } = await post("/models/pull", { model: "qwen3:0.6b", host: "all" }) as {
          jobs: PullJob[];
        };
        assert.equal(jobs.length, 2);
        const finished = new Map<string, PullJob>();
        while (finished.size < 2) {
          const { event, data } = await events.next();
          const job = data as unknown as PullJob;
          if (event === "pull" && job.state !== "running") finished.set(job.id, job);
        }
        assert.deepEqual([...finished.values()].map((j) => j.state), ["done", "done"]);
        for (const name of ["a", "b"]) {
          await hostEvent(
            name,
            (h) => h.snapshot!.ollama.models.some((m) => m.name === "qwen3:0.6b"),
          );
        }
      },
    );

    await t.step("a delete shows as the model gone from that host's disk", async () => {
      await post("/models/delete", { model: "qwen3:0.6b", host: idOf("b") });
      await hostEvent("b", (h) => !h.snapshot!.ollama.models.some((m) => m.name === "qwen3:0.6b"));
      const { hosts } = await (await fetch(`${fleet.hub.controlUrl}/api/hosts`)).json() as {
        hosts: HostView[];
      };
      const a = hosts.find((h) => h.name === "a")!;
      assert.ok(a.snapshot!.ollama.models.some((m) => m.name === "qwen3:0.6b"), "a keeps it");
    });
  } finally {
    feed.stop();
    await events.cancel().catch(() => {});
    sparks.stop();
    await pulls.stop();
    await server.shutdown();
  }
});
