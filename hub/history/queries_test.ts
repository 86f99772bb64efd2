import assert from "node:assert/strict";
import { FleetError } from "../../shared/errors.ts";
import type { Db } from "./db.ts";
import { uuidv7 } from "./ids.ts";
import { parseCursor } from "./params.ts";
import {
  facets,
  fleetMetric,
  hostMetrics,
  hosts,
  modelEvents,
  requestById,
  requests,
  resolveHosts,
  serverEvents,
  usage,
} from "./queries.ts";
import {
  type GpuMetricsRow,
  INSERT,
  type ModelEventRow,
  type RequestLogRow,
  type ServerEventRow,
  type ServerRow,
  type SystemMetricsRow,
} from "./tables.ts";
import { testBothBackends } from "./testing.ts";

const NOW = Date.parse("2025-03-10T12:00:00Z");
const MIN = 60_000;
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const sec = (ms: number) => ms / 1000;

function server(id: string, name: string, lastSeen: number, gpus = 0): ServerRow {
  return {
    id,
    name,
    kind: "agent",
    url: `http://${name}:11435`,
    status: "online",
    hostname: name,
    os: "linux",
    kernel: null,
    arch: "x86_64",
    cpu_model: null,
    boot_id: null,
    agent_version: "0.1.0",
    ollama_version: "0.9.0",
    gpus: Array.from({ length: gpus }, (_, index) => ({
      index,
      uuid: `GPU-${id}-${index}`,
      name: "NVIDIA RTX 4090",
      vendor: "nvidia",
      memoryTotal: 24e9,
    })),
    first_seen: iso(NOW - 30 * 24 * H),
    last_seen: iso(lastSeen),
  };
}

const SERVERS = [
  server("agent-a", "gpu-1", NOW, 2),
  server("agent-b", "gpu-2", NOW),
  server("agent-old", "gpu-3", NOW - 10 * 24 * H),
  server("agent-new", "gpu-3", NOW - MIN),
];

function request(ms: number, fields: Partial<RequestLogRow>): RequestLogRow {
  return {
    id: uuidv7(ms),
    time: iso(ms),
    hub: "hub-1",
    api_key: "alice",
    user_id: null,
    client: "curl/8",
    method: "POST",
    endpoint: "/api/chat",
    model: "qwen3:8b",
    server_id: "agent-a",
    route: "loaded",
    attempts: 1,
    queued_ms: null,
    status: 200,
    error: null,
    stream: true,
    prompt_tokens: 10,
    completion_tokens: 100,
    ttfb_ms: null,
    duration_ms: null,
    load_ms: null,
    bytes_in: 200,
    bytes_out: 4000,
    ...fields,
  };
}

/** Three hours of requests in 5-minute buckets, with nothing from -2h to -1h. */
const B0 = NOW - 3 * H; // a multiple of 5 minutes
const REQUESTS: RequestLogRow[] = [
  ...[100, 200, 300, 400].map((d, i) =>
    request(B0 + i * 1000, { duration_ms: d, ttfb_ms: d / 10, prompt_tokens: 10 + i })
  ),
  request(B0 + 5000, {
    model: "llama3:8b",
    server_id: "agent-b",
    api_key: "bob",
    status: 500,
    error: "upstream failed",
    duration_ms: 1000,
  }),
  request(B0 + 5 * MIN, { duration_ms: 50, status: 429 }),
  request(B0 + 6 * MIN, { duration_ms: 70, error: "client disconnected" }),
  request(NOW - 30 * MIN, { server_id: "agent-b", api_key: null, duration_ms: 500 }),
  request(NOW - 29 * MIN, {
    model: "llama3:8b",
    duration_ms: 900,
    endpoint: "/v1/chat/completions",
  }),
  request(NOW - 28 * MIN, { model: null, server_id: null, endpoint: "/api/tags", method: "GET" }),
];

async function seed(db: Db): Promise<void> {
  await db.query(INSERT.servers, [SERVERS]);
  await db.query(INSERT.request_logs, [REQUESTS]);
}

/** Asserts that `promise` rejects with a FleetError of that status and a matching message. */
async function rejectsWith(promise: Promise<unknown>, status: number, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FleetError, `not a FleetError: ${error}`);
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  });
}

await testBothBackends("usage() buckets raw requests per group and reads rollups", async (db) => {
  await seed(db);
  const window = { from: NOW - 3 * H, to: NOW, step: 300 };
  const byModel = await usage(db, { window, now: NOW });
  assert.equal(byModel.source, "raw");
  assert.equal(byModel.approximate, false);
  assert.equal(byModel.from, sec(window.from));
  assert.equal(byModel.step, 300);
  assert.deepEqual(byModel.groups, [
    { id: "qwen3:8b", label: "qwen3:8b" },
    { id: "llama3:8b", label: "llama3:8b" },
    { id: "", label: "(none)" },
  ], "ordered by requests: 7, 2, 1");
  assert.equal(byModel.omitted, 0);
  const { requests: reqs, errors, latency_p50, latency_p95, ttfb_p50, prompt_tokens } =
    byModel.series;
  const times = reqs[0];
  assert.equal(times.length, 36);
  assert.equal(times[0], sec(B0));
  const last = 36 - 6; // the bucket at -30m
  assert.deepEqual([reqs[1]![0], reqs[1]![1], reqs[1]![last]], [4, 2, 1]);
  assert.deepEqual([reqs[2]![0], reqs[2]![last]], [1, 1]);
  assert.equal(errors[1]![1], 2, "a 429 and a recorded error are both errors");
  assert.equal(errors[1]![0], 0);
  assert.equal(errors[2]![0], 1);
  assert.equal(prompt_tokens[1]![0], 10 + 11 + 12 + 13);
  // percentile_cont over 100, 200, 300, 400: p50 = 250; p95 at rank 2.85 = 300 + 0.85 * 100.
  assert.equal(latency_p50[1]![0], 250);
  assert.ok(Math.abs(latency_p95[1]![0]! - 385) < 1e-9);
  assert.equal(ttfb_p50[1]![0], 25);
  assert.equal(ttfb_p50[1]![1], null, "no time to first byte recorded in that bucket");
  for (let i = 12; i < 24; i++) {
    assert.equal(reqs[1]![i], 0, "the empty hour counts 0");
    assert.equal(latency_p50[1]![i], null, "and has no latency");
  }

  const byHost = await usage(db, { window, by: "host", limit: 1, now: NOW });
  assert.deepEqual(byHost.groups, [{ id: "agent-a", label: "gpu-1" }]);
  assert.equal(byHost.omitted, 2, "gpu-2 and the requests with no host");

  const all = await usage(db, { window, by: "none", now: NOW });
  assert.deepEqual(all.groups, [{ id: "all", label: "all" }]);
  assert.equal(all.series.requests[1]!.reduce((a, b) => a! + b!, 0), REQUESTS.length);

  const filtered = await usage(db, {
    window,
    by: "key",
    host: "gpu-1",
    model: "qwen3:8b",
    now: NOW,
  });
  assert.deepEqual(filtered.groups.map((g) => g.id), ["alice"]);
  assert.equal(filtered.series.requests[1]!.reduce((a, b) => a! + b!, 0), 6);
  const empty = await usage(db, { window, by: "none", key: "nobody", now: NOW });
  assert.deepEqual(empty.series.requests[1], times.map(() => 0), "by=none always has its group");

  await rejectsWith(usage(db, { window, host: "gpu-9", now: NOW }), 404, /No host "gpu-9"/);
  const old = { from: NOW - 8 * 24 * H, to: NOW - 7 * 24 * H, step: 300 };
  await rejectsWith(
    usage(db, { window: old, now: NOW, rawRetentionMs: 7 * 24 * H }),
    400,
    /Raw history is kept for 7d .* use a step of 1h or more/,
  );

  const hour = Date.parse("2025-03-01T10:00:00Z");
  const rollup = (h: number, model: string, server: string, n: number, p50: number | null) => ({
    hour: iso(h),
    model,
    server,
    n,
    p50,
  });
  const rollups = [
    rollup(hour, "qwen3:8b", "agent-a", 10, 100),
    rollup(hour, "qwen3:8b", "agent-b", 30, 200),
    rollup(hour + H, "qwen3:8b", "agent-a", 5, null),
    rollup(hour + 2 * H, "llama3:8b", "agent-a", 1, 900),
  ];
  await db.query(
    `INSERT INTO request_rollups SELECT r.hour, r.model, r.server, '', r.n, r.n / 5, r.n * 10,
       r.n * 100, r.n * coalesce(r.p50, 0), r.p50, r.p50 * 2, r.p50 * 3, r.n, 0, r.p50 / 10, null
     FROM jsonb_to_recordset($1::jsonb) AS r(hour timestamptz, model text, server text, n int,
       p50 real)`,
    [rollups],
  );
  const from = hour - 2 * H;
  const hourly = await usage(db, { window: { from, to: from + 8 * H, step: 7200 }, now: NOW });
  assert.equal(hourly.source, "rollup");
  assert.equal(hourly.approximate, true);
  assert.deepEqual(hourly.groups.map((g) => g.id), ["qwen3:8b", "llama3:8b"]);
  const [rt, qwen, llama] = [hourly.series.requests[0], ...hourly.series.requests.slice(1)];
  assert.deepEqual(rt, [0, 1, 2, 3].map((i) => sec(from) + i * 7200));
  assert.deepEqual(qwen, [0, 45, 0, 0], "10:00 and 11:00 fall in the 10:00 bucket");
  assert.deepEqual(llama, [0, 0, 1, 0]);
  assert.equal(hourly.series.errors[1]![1], 2 + 6 + 1);
  assert.equal(hourly.series.prompt_tokens[1]![1], 450);
  // (10 × 100 + 30 × 200) / 40: the hour with no percentile weighs nothing.
  assert.equal(hourly.series.latency_p50[1]![1], 175);
  assert.equal(hourly.series.latency_p95[1]![1], 350);
  assert.equal(hourly.series.ttfb_p50[1]![1], 17.5);
  assert.equal(hourly.series.latency_p50[1]![0], null);
  const oldRollup = await usage(db, {
    window: { from, to: from + 8 * H, step: 3600 },
    by: "host",
    model: "qwen3:8b",
    now: NOW,
    rawRetentionMs: H,
  });
  assert.deepEqual(oldRollup.groups, [
    { id: "agent-b", label: "gpu-2" },
    { id: "agent-a", label: "gpu-1" },
  ], "rollups are read whatever the raw retention");
});

await testBothBackends(
  "hostMetrics() and fleetMetric() average samples and rollups",
  async (db) => {
    await db.query(INSERT.servers, [SERVERS]);
    const t0 = NOW - H;
    const system = (id: string, ms: number, cpu: number | null): SystemMetricsRow => ({
      server_id: id,
      time: iso(ms),
      cpu_util: cpu,
      cpu_count: 16,
      load1: 2,
      mem_total: 1000,
      mem_available: cpu === null ? null : 250,
      swap_total: 0,
      swap_free: 0,
      disk_total: 2000,
      disk_used: 500,
      cpu_temp: 60,
      uptime_s: 1000,
      in_flight: 1,
    });
    const gpu = (id: string, index: number, ms: number, util: number): GpuMetricsRow => ({
      server_id: id,
      gpu: index,
      time: iso(ms),
      uuid: `GPU-${id}-${index}`,
      name: index === 0 ? "NVIDIA RTX 4090" : "NVIDIA RTX 3090",
      utilization: util,
      memory_total: 24_000,
      memory_used: 6_000,
      temperature: 70,
      power_draw: 300,
      power_limit: 450,
    });
    await db.query(INSERT.system_metrics, [[
      system("agent-a", t0, 10),
      system("agent-a", t0 + 30_000, 30),
      system("agent-a", t0 + 40 * MIN, null),
      system("agent-b", t0, 90),
    ]]);
    await db.query(INSERT.gpu_metrics, [[
      gpu("agent-a", 0, t0, 50),
      gpu("agent-a", 0, t0 + 30_000, 70),
      gpu("agent-a", 1, t0, 10),
      gpu("agent-b", 0, t0, 40),
    ]]);
    const window = { from: t0, to: NOW, step: 600 };
    const metrics = await hostMetrics(db, { host: "gpu-1", window, now: NOW });
    assert.deepEqual(metrics.host, { id: "agent-a", name: "gpu-1" });
    assert.equal(metrics.source, "raw");
    const col = (name: string) => metrics.system.columns.indexOf(name);
    assert.equal(metrics.system.columns[0], "time");
    assert.equal(metrics.system.data.length, metrics.system.columns.length);
    assert.equal(metrics.system.data[0].length, 6);
    assert.equal(metrics.system.data[col("cpu_util")]![0], 20);
    assert.equal(metrics.system.data[col("mem_used_pct")]![0], 75);
    assert.equal(metrics.system.data[col("mem_used")]![0], 750);
    assert.equal(metrics.system.data[col("disk_used_pct")]![0], 25);
    assert.equal(metrics.system.data[col("cpu_util")]![1], null, "no samples: a gap");
    assert.equal(metrics.system.data[col("cpu_util")]![4], null, "a sample without the value");
    assert.equal(metrics.system.data[col("load1")]![4], 2);
    assert.deepEqual(metrics.gpus.map((g) => [g.index, g.name, g.uuid]), [
      [0, "NVIDIA RTX 4090", "GPU-agent-a-0"],
      [1, "NVIDIA RTX 3090", "GPU-agent-a-1"],
    ]);
    const util = metrics.gpus[0]!.columns.indexOf("utilization");
    assert.deepEqual(metrics.gpus[0]!.data[util], [60, null, null, null, null, null]);
    assert.equal(
      metrics.gpus[0]!.data[metrics.gpus[0]!.columns.indexOf("memory_used_pct")]![0],
      25,
    );
    await rejectsWith(hostMetrics(db, { host: "nope", window, now: NOW }), 404, /No host "nope"/);
    const byName = await hostMetrics(db, { host: "gpu-3", window, now: NOW });
    assert.equal(byName.host.id, "agent-new", "a shared name means the host seen last");
    assert.deepEqual(byName.gpus, []);

    const fleet = await fleetMetric(db, { metric: "cpu_util", window, now: NOW });
    assert.equal(fleet.unit, "%");
    assert.deepEqual(fleet.groups, [
      { id: "agent-a", label: "gpu-1" },
      { id: "agent-b", label: "gpu-2" },
    ]);
    assert.deepEqual(fleet.data.map((c) => c[0]), [sec(t0), 20, 90]);
    const fleetGpu = await fleetMetric(db, { metric: "utilization", window, now: NOW });
    assert.equal(fleetGpu.data[1]![0], (50 + 70 + 10) / 3, "every sample of the host's GPUs");
    assert.equal(fleetGpu.data[2]![0], 40);
    await rejectsWith(
      fleetMetric(db, { metric: "fan_speed", window, now: NOW }),
      400,
      /^Invalid metric "fan_speed": expected one of cpu_util, .*utilization/,
    );

    const hour = Date.parse("2025-03-01T00:00:00Z");
    const rollup = (h: number, server: string, g: number, metric: string, avg: number, n: number) =>
      db.query(
        "INSERT INTO metric_rollups VALUES ($1::text::timestamptz, $2, $3, $4, 0, $5, 100, $6)",
        [iso(h), server, g, metric, avg, n],
      );
    await rollup(hour, "agent-a", -1, "cpu_util", 40, 10);
    await rollup(hour + H, "agent-a", -1, "cpu_util", 70, 30);
    await rollup(hour, "agent-a", 0, "utilization", 80, 60);
    await rollup(hour, "agent-a", 1, "utilization", 20, 60);
    await rollup(hour, "agent-b", -1, "cpu_util", 5, 60);
    const days = { from: hour, to: hour + 6 * H, step: 7200 };
    const hourly = await hostMetrics(db, { host: "agent-a", window: days, now: NOW });
    assert.equal(hourly.source, "rollup");
    assert.deepEqual(hourly.system.data[col("cpu_util")], [62.5, null, null], "(400 + 2100) / 40");
    assert.equal(hourly.system.data[col("mem_used_pct")]![0], null);
    assert.deepEqual(hourly.gpus.map((g) => [g.index, g.name, g.data[util]![0]]), [
      [0, "NVIDIA RTX 4090", 80],
      [1, "NVIDIA RTX 4090", 20],
    ], "names from the host's GPU list");
    const fleetHourly = await fleetMetric(db, { metric: "utilization", window: days, now: NOW });
    assert.deepEqual(fleetHourly.data.slice(1).map((c) => c[0]), [50]);
    const fleetCpu = await fleetMetric(db, { metric: "cpu_util", window: days, now: NOW });
    assert.deepEqual(fleetCpu.data.slice(1).map((c) => c[0]), [62.5, 5]);
  },
);

await testBothBackends("requests() and events page newest first, each row once", async (db) => {
  await seed(db);
  // Six timestamps, four rows each.
  const many: RequestLogRow[] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 4; j++) many.push(request(NOW - 10 * MIN + i * 1000, { endpoint: "/x" }));
  }
  // The newest of these ends the first page; the next differs from it by 100 µs only.
  many[16]!.time = "2025-03-10T11:50:04.000200Z";
  many[17]!.time = "2025-03-10T11:50:04.000100Z";
  await db.query(INSERT.request_logs, [many]);
  const range = { from: NOW - 11 * MIN, to: NOW };
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Awaited<ReturnType<typeof requests>> = await requests(db, {
      range,
      endpoint: "/x",
      limit: 5,
      cursor: cursor === null ? undefined : parseCursor(cursor),
    });
    seen.push(...page.requests.map((r) => r.id));
    cursor = page.next;
    if (pages++ === 1) {
      // Written while paging: newer than every page, so it shows on none of them.
      await db.query(INSERT.request_logs, [[request(NOW - MIN, { endpoint: "/x" })]]);
    }
  } while (cursor !== null);
  assert.equal(pages, 5);
  assert.equal(seen.length, many.length);
  assert.equal(new Set(seen).size, many.length, "no row twice");
  const micros = (time: string) => time.replace(/\.(\d+)Z$/, (_, f: string) => f.padEnd(6, "0"));
  const expected = [...many].sort((a, b) =>
    micros(b.time).localeCompare(micros(a.time)) || b.id.localeCompare(a.id)
  );
  assert.deepEqual(seen, expected.map((r) => r.id), "time, then id, descending");

  const all = { from: NOW - 4 * H, to: NOW };
  const ids = async (options: Omit<Parameters<typeof requests>[1], "range">) =>
    (await requests(db, { range: all, ...options })).requests.map((r) => r.id);
  const idsOf = (rows: RequestLogRow[]) => rows.map((r) => r.id).reverse();
  assert.deepEqual(await ids({ status: { class: 5 } }), [REQUESTS[4]!.id]);
  assert.deepEqual(await ids({ status: { code: 429 } }), [REQUESTS[5]!.id]);
  assert.deepEqual(await ids({ status: "error" }), idsOf(REQUESTS.slice(4, 7)));
  assert.equal((await ids({ status: "ok", endpoint: "/api/chat" })).length, 5);
  assert.deepEqual(await ids({ host: "gpu-2" }), idsOf([REQUESTS[4]!, REQUESTS[7]!]));
  assert.deepEqual(await ids({ key: "bob" }), [REQUESTS[4]!.id]);
  assert.deepEqual(await ids({ model: "llama3:8b", host: "agent-a" }), [REQUESTS[8]!.id]);
  assert.deepEqual(await ids({ endpoint: "/api/tags" }), [REQUESTS[9]!.id]);
  await rejectsWith(requests(db, { range: all, host: "gpu-7" }), 404, /No host "gpu-7" in history/);

  const one = await requestById(db, REQUESTS[4]!.id);
  assert.deepEqual(one, {
    id: REQUESTS[4]!.id,
    time: B0 + 5000,
    hub: "hub-1",
    apiKey: "bob",
    client: "curl/8",
    method: "POST",
    endpoint: "/api/chat",
    model: "llama3:8b",
    host: { id: "agent-b", name: "gpu-2" },
    route: "loaded",
    attempts: 1,
    queuedMs: null,
    status: 500,
    error: "upstream failed",
    stream: true,
    promptTokens: 10,
    completionTokens: 100,
    ttfbMs: null,
    durationMs: 1000,
    loadMs: null,
    bytesIn: 200,
    bytesOut: 4000,
  });
  assert.equal((await requestById(db, REQUESTS[9]!.id)).host, null);
  await rejectsWith(requestById(db, uuidv7(NOW)), 404, /^No request ".*" in history$/);

  const modelEvent = (
    ms: number,
    server: string,
    model: string,
    event: ModelEventRow["event"],
  ) => ({
    id: uuidv7(ms),
    time: iso(ms),
    server_id: server,
    model,
    event,
    digest: "sha256:abc",
    size: 5e9,
    size_vram: event === "load" ? 5e9 : null,
    loaded_ms: event === "unload" ? 60_000 : null,
    detail: null,
  });
  const loads = [
    modelEvent(NOW - 50 * MIN, "agent-a", "qwen3:8b", "load"),
    modelEvent(NOW - 40 * MIN, "agent-a", "qwen3:8b", "unload"),
    modelEvent(NOW - 40 * MIN, "agent-b", "llama3:8b", "load"),
    modelEvent(NOW - 30 * MIN, "ghost", "llama3:8b", "added"),
  ];
  await db.query(INSERT.model_events, [loads]);
  const hour = { from: NOW - H, to: NOW };
  const first = await modelEvents(db, { range: hour, limit: 3 });
  assert.equal(first.events.length, 3);
  assert.equal(first.events[0]!.host.name, "ghost", "a host history never named shows its id");
  const second = await modelEvents(db, { range: hour, limit: 3, cursor: parseCursor(first.next!) });
  assert.deepEqual(second.events.map((e) => e.id), [loads[0]!.id]);
  assert.equal(second.next, null);
  assert.deepEqual(second.events[0], {
    id: loads[0]!.id,
    time: NOW - 50 * MIN,
    host: { id: "agent-a", name: "gpu-1" },
    model: "qwen3:8b",
    event: "load",
    digest: "sha256:abc",
    size: 5e9,
    sizeVram: 5e9,
    loadedMs: null,
    detail: null,
  });
  const unloads = await modelEvents(db, { range: hour, host: "gpu-1", event: ["unload"] });
  assert.deepEqual(unloads.events.map((e) => [e.model, e.loadedMs]), [["qwen3:8b", 60_000]]);
  const llama = await modelEvents(db, { range: hour, model: "llama3:8b" });
  assert.equal(llama.events.length, 2);

  const serverEvent = (ms: number, server: string, event: ServerEventRow["event"]) => ({
    id: uuidv7(ms),
    time: iso(ms),
    server_id: server,
    event,
    previous: "online",
    detail: null,
  });
  await db.query(INSERT.server_events, [[
    serverEvent(NOW - 20 * MIN, "agent-old", "offline"),
    serverEvent(NOW - 10 * MIN, "agent-new", "discovered"),
    serverEvent(NOW - 5 * MIN, "agent-a", "reboot"),
  ]]);
  const gpu3 = await serverEvents(db, { range: hour, host: "gpu-3" });
  assert.deepEqual(
    gpu3.events.map((e) => [e.host.id, e.event]),
    [["agent-new", "discovered"], ["agent-old", "offline"]],
    "a name matches every host that had it",
  );
  const reboots = await serverEvents(db, { range: hour, event: ["reboot", "offline"] });
  assert.deepEqual(reboots.events.map((e) => e.event), ["reboot", "offline"]);
  const byId = await serverEvents(db, { range: hour, host: "agent-old" });
  assert.deepEqual(byId.events.map((e) => e.event), ["offline"], "an id matches that host only");
});

await testBothBackends(
  "hosts(), facets() and resolveHosts() read what history holds",
  async (db) => {
    await seed(db);
    const listed = await hosts(db);
    assert.deepEqual(listed.map((h) => [h.name, h.id]), [
      ["gpu-1", "agent-a"],
      ["gpu-2", "agent-b"],
      ["gpu-3", "agent-new"],
      ["gpu-3", "agent-old"],
    ]);
    assert.equal(listed[0]!.lastSeen, NOW);
    assert.equal(listed[0]!.gpus.length, 2);
    assert.equal(listed[0]!.agentVersion, "0.1.0");
    assert.deepEqual(await resolveHosts(db, "agent-old"), [{ id: "agent-old", name: "gpu-3" }]);
    assert.deepEqual((await resolveHosts(db, "gpu-3")).map((h) => h.id), [
      "agent-new",
      "agent-old",
    ]);
    await db.query(
      `INSERT INTO request_rollups VALUES ('2025-03-01T00:00:00Z', 'phi4', 'agent-old', 'carol',
      1, 0, 1, 1, 10, 10, 10, 10, 0, 0, null, null)`,
    );
    const recent = await facets(db, { from: NOW - H, to: NOW });
    assert.deepEqual(recent, {
      models: ["llama3:8b", "qwen3:8b"],
      hosts: [{ id: "agent-a", name: "gpu-1" }, { id: "agent-b", name: "gpu-2" }],
      keys: ["alice"],
    });
    const month = await facets(db, { from: NOW - 30 * 24 * H, to: NOW });
    assert.deepEqual(month.models, ["llama3:8b", "phi4", "qwen3:8b"], "rollups count too");
    assert.deepEqual(month.keys, ["alice", "bob", "carol"]);
    assert.deepEqual(month.hosts.map((h) => h.id), ["agent-a", "agent-b", "agent-old"]);
  },
);
