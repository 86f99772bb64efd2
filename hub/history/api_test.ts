import assert from "node:assert/strict";
import { Hono } from "hono";
import { toErrorBody } from "../../shared/errors.ts";
import { quiet } from "../log.ts";
import { type HistoryDeps, historyRoutes } from "./api.ts";
import type { Queryable } from "./db.ts";
import { uuidv7 } from "./ids.ts";
import { INSERT, type RequestLogRow } from "./tables.ts";
import { testBothBackends } from "./testing.ts";

const NOW = Date.parse("2025-03-10T12:00:00Z");
const MIN = 60_000;
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The routes mounted as the control plane mounts them, with its error rendering. */
function controlApp(deps: Partial<HistoryDeps> & { db: Queryable }): Hono {
  const app = new Hono();
  app.route(
    "/api/history",
    historyRoutes({
      ready: () => true,
      rawRetentionMs: 7 * 24 * H,
      now: () => NOW,
      log: quiet,
      ...deps,
    }),
  );
  app.onError((error, c) => {
    const { status, body } = toErrorBody("hub", error);
    return c.json(body, status as 400);
  });
  return app;
}

// deno-lint-ignore no-explicit-any -- JSON bodies, checked field by field
async function get(app: Hono, path: string): Promise<{ status: number; body: any }> {
  const response = await app.request(`http://localhost/api/history${path}`);
  return { status: response.status, body: await response.json() };
}

function request(ms: number, fields: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id: uuidv7(ms),
    time: iso(ms),
    hub: "hub-1",
    api_key: "alice",
    user_id: null,
    client: null,
    method: "POST",
    endpoint: "/api/chat",
    model: "qwen3:8b",
    server_id: "agent-a",
    route: "loaded",
    attempts: 1,
    queued_ms: 2,
    status: 200,
    error: null,
    stream: false,
    prompt_tokens: 5,
    completion_tokens: 50,
    ttfb_ms: 30,
    duration_ms: 300,
    load_ms: null,
    bytes_in: 100,
    bytes_out: 900,
    ...fields,
  };
}

async function seed(db: Queryable): Promise<RequestLogRow[]> {
  await db.query(INSERT.servers, [[{
    id: "agent-a",
    name: "gpu-1",
    kind: "agent",
    url: "http://gpu-1:11435",
    status: "online",
    hostname: "gpu-1",
    os: "linux",
    kernel: null,
    arch: "x86_64",
    cpu_model: null,
    boot_id: null,
    agent_version: "0.1.0",
    ollama_version: "0.9.0",
    gpus: [{ index: 0, uuid: "GPU-1", name: "NVIDIA L4", vendor: "nvidia", memoryTotal: 24e9 }],
    first_seen: iso(NOW - 24 * H),
    last_seen: iso(NOW),
  }]]);
  const rows = [
    request(NOW - 50 * MIN),
    request(NOW - 40 * MIN, { status: 503, error: "no host", server_id: null }),
    request(NOW - 40 * MIN, { model: "llama3:8b" }),
  ];
  await db.query(INSERT.request_logs, [rows]);
  await db.query(INSERT.system_metrics, [[{
    server_id: "agent-a",
    time: iso(NOW - 10 * MIN),
    cpu_util: 42,
    cpu_count: 8,
    load1: 1,
    mem_total: 100,
    mem_available: 50,
    swap_total: 0,
    swap_free: 0,
    disk_total: 10,
    disk_used: 1,
    cpu_temp: null,
    uptime_s: 5,
    in_flight: 0,
  }]]);
  await db.query(INSERT.gpu_metrics, [[{
    server_id: "agent-a",
    gpu: 0,
    time: iso(NOW - 10 * MIN),
    uuid: "GPU-1",
    name: "NVIDIA L4",
    utilization: 99,
    memory_total: 100,
    memory_used: 10,
    temperature: 60,
    power_draw: 70,
    power_limit: 72,
  }]]);
  await db.query(INSERT.model_events, [[0, 1, 2].map((i) => ({
    id: uuidv7(NOW - (30 - i) * MIN),
    time: iso(NOW - (30 - i) * MIN),
    server_id: "agent-a",
    model: "qwen3:8b",
    event: i === 1 ? "unload" : "load",
    digest: null,
    size: 1,
    size_vram: 1,
    loaded_ms: null,
    detail: null,
  }))]);
  await db.query(INSERT.server_events, [[{
    id: uuidv7(NOW - 5 * MIN),
    time: iso(NOW - 5 * MIN),
    server_id: "agent-a",
    event: "draining",
    previous: "online",
    detail: "operator",
  }]]);
  return rows;
}

await testBothBackends(
  "historyRoutes() answers every route in its documented shape",
  async (db) => {
    const rows = await seed(db);
    const app = controlApp({ db });

    const usage = await get(app, "/usage?from=-1h&step=10m&by=host");
    assert.equal(usage.status, 200);
    assert.deepEqual(Object.keys(usage.body).sort(), [
      "approximate",
      "by",
      "from",
      "groups",
      "omitted",
      "series",
      "source",
      "step",
      "to",
    ]);
    assert.deepEqual(
      [usage.body.from, usage.body.to, usage.body.step, usage.body.source],
      [(NOW - H) / 1000, NOW / 1000, 600, "raw"],
    );
    assert.deepEqual(usage.body.groups, [
      { id: "agent-a", label: "gpu-1" },
      { id: "", label: "(none)" },
    ]);
    assert.deepEqual(Object.keys(usage.body.series).sort(), [
      "completion_tokens",
      "errors",
      "latency_p50",
      "latency_p95",
      "prompt_tokens",
      "requests",
      "ttfb_p50",
      "ttfb_p95",
    ]);
    assert.deepEqual(usage.body.series.requests, [
      [0, 1, 2, 3, 4, 5].map((i) => (NOW - H) / 1000 + i * 600),
      [0, 1, 1, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
    ]);
    assert.deepEqual(usage.body.series.latency_p50[1], [null, 300, 300, null, null, null]);
    const none = await get(app, "/usage?by=none&step=1h");
    assert.deepEqual([none.body.groups, none.body.source, none.body.approximate], [
      [{ id: "all", label: "all" }],
      "rollup",
      true,
    ]);

    const old = await get(app, "/usage?from=-10d&to=-8d");
    assert.deepEqual([old.status, old.body.step, old.body.source], [200, 3600, "rollup"]);

    const metrics = await get(app, "/metrics?host=gpu-1&from=-30m&step=10m");
    assert.equal(metrics.status, 200);
    assert.deepEqual(metrics.body.host, { id: "agent-a", name: "gpu-1" });
    assert.equal(metrics.body.system.columns[0], "time");
    assert.deepEqual(metrics.body.system.data[metrics.body.system.columns.indexOf("cpu_util")], [
      null,
      null,
      42,
    ]);
    assert.deepEqual(
      metrics.body.gpus.map((g: { index: number; name: string }) => [g.index, g.name]),
      [[0, "NVIDIA L4"]],
    );

    const fleet = await get(app, "/fleet-metrics?metric=utilization&from=-30m&step=10m");
    assert.deepEqual(
      [fleet.body.metric, fleet.body.unit, fleet.body.groups, fleet.body.data.slice(1)],
      ["utilization", "%", [{ id: "agent-a", label: "gpu-1" }], [[null, null, 99]]],
    );

    const first = await get(app, "/model-events?limit=2");
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.events.map((e: { event: string }) => e.event), ["load", "unload"]);
    assert.equal(first.body.events[0].time, NOW - 28 * MIN, "event times are epoch ms");
    const rest = await get(app, `/model-events?limit=2&cursor=${first.body.next}`);
    assert.equal(rest.body.events.length, 1);
    assert.equal(rest.body.next, null);
    const unloads = await get(app, "/model-events?event=unload&host=agent-a&model=qwen3:8b");
    assert.equal(unloads.body.events.length, 1);
    const server = await get(app, "/server-events?event=draining,reboot");
    assert.deepEqual(server.body, {
      events: [{
        id: server.body.events[0].id,
        time: NOW - 5 * MIN,
        host: { id: "agent-a", name: "gpu-1" },
        event: "draining",
        previous: "online",
        detail: "operator",
      }],
      next: null,
    });

    const failed = await get(app, "/requests?status=5xx");
    assert.deepEqual(Object.keys(failed.body), ["requests", "next"]);
    assert.deepEqual(failed.body.requests.map((r: { id: string }) => r.id), [rows[1]!.id]);
    assert.equal(failed.body.requests[0].host, null);
    const one = await get(app, `/requests/${rows[0]!.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(
      [one.body.time, one.body.apiKey, one.body.host, one.body.queuedMs, one.body.bytesOut],
      [NOW - 50 * MIN, "alice", { id: "agent-a", name: "gpu-1" }, 2, 900],
    );
    const hosts = await get(app, "/hosts");
    assert.deepEqual(hosts.body.hosts.map((h: { name: string }) => h.name), ["gpu-1"]);
    const facets = await get(app, "/facets");
    assert.deepEqual(facets.body, {
      models: ["llama3:8b", "qwen3:8b"],
      hosts: [{ id: "agent-a", name: "gpu-1" }],
      keys: ["alice"],
    });

    const bad: [string, RegExp][] = [
      ["/usage?from=yesterday", /^Invalid from "yesterday"/],
      ["/usage?to=-2h&from=-1h", /must be before to/],
      ["/usage?from=-500d&step=1d", /at most 400 days/],
      ["/usage?step=1s", /^Invalid step "1s": the smallest step is 10s/],
      ["/usage?step=10s&from=-1d", /at most 2000 .* use a step of 44s or more/],
      ["/usage?step=10m&from=-8d", /Raw history is kept for 7d .* 1h or more/],
      ["/usage?by=gpu", /^Invalid by "gpu": expected one of model, host, key, none/],
      ["/usage?limit=0", /^Invalid limit "0"/],
      ["/metrics", /^Missing host: pass \?host=/],
      ["/metrics?host=gpu-1&step=fast", /^Invalid step "fast"/],
      ["/fleet-metrics", /^Missing metric/],
      ["/fleet-metrics?metric=fans", /^Invalid metric "fans": expected one of/],
      ["/model-events?event=boot", /^Invalid event "boot": expected one of load, unload/],
      ["/server-events?event=load", /^Invalid event "load"/],
      ["/requests?cursor=garbage", /^Invalid cursor "garbage"/],
      ["/requests?status=7xx", /^Invalid status "7xx"/],
      ["/requests?limit=5000", /^Invalid limit "5000": expected an integer from 1 to 1000/],
      ["/requests/42", /^Invalid request id "42": expected a UUID/],
    ];
    for (const [path, message] of bad) {
      const { status, body } = await get(app, path);
      assert.equal(status, 400, path);
      assert.equal(body.src, "hub");
      assert.equal(body.error.code, "BAD_REQUEST", path);
      assert.match(body.error.message, message, path);
    }
    for (const path of ["/usage?host=gpu-9", "/metrics?host=gpu-9", "/requests?host=gpu-9"]) {
      const { status, body } = await get(app, path);
      assert.equal(status, 404, path);
      assert.deepEqual(body.error, { code: "NOT_FOUND", message: 'No host "gpu-9" in history' });
    }
    const missing = await get(app, `/requests/${uuidv7(NOW)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "NOT_FOUND");
  },
);

Deno.test("historyRoutes() answers 503 until history is ready, without touching the database", async () => {
  let queries = 0;
  let ready = false;
  const db: Queryable = {
    query() {
      queries++;
      return Promise.resolve([]);
    },
    exec: () => Promise.resolve(),
  };
  const app = controlApp({ db, ready: () => ready });
  for (const path of ["/usage", "/hosts", "/requests/x", "/metrics"]) {
    const { status, body } = await get(app, path);
    assert.equal(status, 503, path);
    assert.equal(body.error.code, "UNAVAILABLE");
    assert.match(body.error.message, /^history is not available yet: /);
  }
  assert.equal(queries, 0);
  ready = true;
  const { status, body } = await get(app, "/hosts");
  assert.equal(status, 200);
  assert.deepEqual(body, { hosts: [] });
});

Deno.test("historyRoutes() turns a database failure into a 503 that leaks nothing", async () => {
  const logged: string[] = [];
  const failure = Object.assign(
    new Error("connect ECONNREFUSED 10.0.0.5:5432 (postgres://corral:hunter2@db/corral)"),
    { code: "ECONNREFUSED" },
  );
  const db: Queryable = {
    query: () => Promise.reject(failure),
    exec: () => Promise.reject(failure),
  };
  const app = controlApp({ db, log: { ...quiet, error: (m) => logged.push(m) } });
  for (const path of ["/usage", "/metrics?host=gpu-1", "/requests", "/hosts", "/facets"]) {
    const { status, body } = await get(app, path);
    assert.equal(status, 503, path);
    assert.deepEqual(body, {
      src: "hub",
      error: {
        code: "UNAVAILABLE",
        message: "History database is unreachable: try again later",
      },
    });
  }
  assert.equal(logged.length, 5, "each failure is logged for the operator");
  assert.match(logged[0]!, /ECONNREFUSED/);
});
