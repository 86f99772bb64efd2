import assert from "node:assert/strict";
import type { Db, Queryable, Row } from "./db.ts";
import { uuidv7 } from "./ids.ts";
import { GPU_METRICS, HOST_METRICS } from "./metric_columns.ts";
import {
  prune,
  RETENTION_LOCK_KEY,
  retentionCutoffs,
  rollUp,
  rollupWindow,
  runRetention,
  startRetention,
} from "./retention.ts";
import type { GpuMetricsRow, RequestLogRow, ServerRow, SystemMetricsRow } from "./tables.ts";
import { INSERT } from "./tables.ts";
import { recordingLog, testBothBackends } from "./testing.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date("2025-03-10T12:30:00Z");
const POLICY = { rawRetentionMs: 7 * DAY, rollupRetentionMs: 90 * DAY };
const iso = (ms: number) => new Date(ms).toISOString();
const ago = (ms: number) => iso(NOW.getTime() - ms);

function request(time: string, fields: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id: uuidv7(Date.parse(time)),
    time,
    hub: "hub-1",
    api_key: "alice",
    user_id: null,
    client: null,
    method: "POST",
    endpoint: "/api/chat",
    model: "llama3",
    server_id: "s1",
    route: "loaded",
    attempts: 1,
    queued_ms: null,
    status: 200,
    error: null,
    stream: false,
    prompt_tokens: null,
    completion_tokens: null,
    ttfb_ms: null,
    duration_ms: null,
    load_ms: null,
    bytes_in: null,
    bytes_out: null,
    ...fields,
  };
}

function system(
  server_id: string,
  time: string,
  fields: Partial<SystemMetricsRow> = {},
): SystemMetricsRow {
  return {
    server_id,
    time,
    cpu_util: null,
    cpu_count: null,
    load1: null,
    mem_total: null,
    mem_available: null,
    swap_total: null,
    swap_free: null,
    disk_total: null,
    disk_used: null,
    cpu_temp: null,
    uptime_s: null,
    in_flight: null,
    ...fields,
  };
}

function gpu(server_id: string, time: string, fields: Partial<GpuMetricsRow> = {}): GpuMetricsRow {
  return {
    server_id,
    gpu: 0,
    time,
    uuid: null,
    name: "RTX 4090",
    utilization: null,
    memory_total: null,
    memory_used: null,
    temperature: null,
    power_draw: null,
    power_limit: null,
    ...fields,
  };
}

function server(id: string, lastSeen: string): ServerRow {
  return {
    id,
    name: id,
    kind: "agent",
    url: `http://${id}:11435`,
    status: "online",
    hostname: null,
    os: null,
    kernel: null,
    arch: null,
    cpu_model: null,
    boot_id: null,
    agent_version: null,
    ollama_version: null,
    gpus: [],
    first_seen: lastSeen,
    last_seen: lastSeen,
  };
}

/** Three complete hours (09:00, 10:00, 11:00 on NOW's day) and some of the current one. */
async function insertSample(db: Queryable): Promise<void> {
  const day = "2025-03-10T";
  await db.query(INSERT.request_logs, [[
    request(`${day}09:05:00Z`, {
      duration_ms: 100,
      ttfb_ms: 10,
      prompt_tokens: 5,
      completion_tokens: 1,
    }),
    request(`${day}09:10:00Z`, {
      duration_ms: 200,
      ttfb_ms: 20,
      completion_tokens: 2,
      error: "client went away",
    }),
    request(`${day}09:20:00Z`, {
      status: 500,
      duration_ms: 300,
      prompt_tokens: 7,
      completion_tokens: 3,
    }),
    request(`${day}09:59:59.999Z`, { duration_ms: 400, ttfb_ms: 40, prompt_tokens: 8 }),
    request(`${day}09:30:00Z`, { status: 404, model: null, server_id: null, api_key: null }),
    request(`${day}10:00:00Z`, {
      model: "qwen",
      server_id: "s2",
      duration_ms: 50,
      ttfb_ms: 5,
      prompt_tokens: 3,
      completion_tokens: 4,
    }),
    request(`${day}11:15:00Z`, { api_key: "bob", duration_ms: 70, ttfb_ms: 7 }),
    request(`${day}12:10:00Z`, { duration_ms: 999 }),
  ]]);
  await db.query(INSERT.system_metrics, [[
    system("s1", `${day}09:00:00Z`, {
      cpu_util: 10,
      mem_total: 100,
      mem_available: 60,
      swap_total: 0,
      swap_free: 0,
      load1: 1,
      in_flight: 0,
    }),
    system("s1", `${day}09:30:00Z`, {
      cpu_util: 30,
      mem_total: 100,
      mem_available: 20,
      swap_total: 0,
      swap_free: 0,
      cpu_temp: 50,
      load1: 3,
      in_flight: 2,
    }),
    system("s2", `${day}09:15:00Z`, { cpu_util: 5 }),
    system("s1", `${day}12:05:00Z`, { cpu_util: 99 }),
  ]]);
  await db.query(INSERT.gpu_metrics, [[
    gpu("s1", `${day}09:00:00Z`, {
      utilization: 50,
      memory_total: 1000,
      memory_used: 250,
      temperature: 60,
    }),
    gpu("s1", `${day}09:30:00Z`, {
      utilization: 100,
      memory_total: 1000,
      memory_used: 750,
      temperature: 70,
    }),
    gpu("s1", `${day}12:05:00Z`, { utilization: 1 }),
  ]]);
}

async function requestRollups(db: Queryable): Promise<Row[]> {
  const rows = await db.query(
    "SELECT * FROM request_rollups ORDER BY hour, model, server_id, api_key",
  );
  return rows.map((r) => ({ ...r, hour: (r.hour as Date).toISOString() }));
}

async function metricRollups(db: Queryable): Promise<Row[]> {
  const rows = await db.query(
    "SELECT * FROM metric_rollups ORDER BY hour, server_id, gpu, metric",
  );
  return rows.map((r) => ({ ...r, hour: (r.hour as Date).toISOString() }));
}

await testBothBackends("rollUp() computes hourly request and metric rollups", async (db) => {
  await insertSample(db);
  const result = await rollUp(
    db,
    new Date("2025-03-10T09:00:00Z"),
    new Date("2025-03-10T12:00:00Z"),
  );
  assert.deepEqual(result, { hours: 3 });

  const h = (hh: string) => `2025-03-10T${hh}:00:00.000Z`;
  const none = { duration_p50_ms: null, duration_p95_ms: null, duration_max_ms: null };
  assert.deepEqual(await requestRollups(db), [
    {
      hour: h("09"),
      model: "",
      server_id: "",
      api_key: "",
      requests: 1,
      errors: 1,
      prompt_tokens: 0,
      completion_tokens: 0,
      duration_sum_ms: 0,
      ...none,
      ttfb_count: 0,
      ttfb_sum_ms: 0,
      ttfb_p50_ms: null,
      ttfb_p95_ms: null,
    },
    {
      hour: h("09"),
      model: "llama3",
      server_id: "s1",
      api_key: "alice",
      requests: 4,
      // a 500, and a 200 with an error
      errors: 2,
      prompt_tokens: 20,
      completion_tokens: 6,
      duration_sum_ms: 1000,
      // percentile_cont over 100, 200, 300, 400: 250, and 300 + 0.85 * 100
      duration_p50_ms: 250,
      duration_p95_ms: 385,
      duration_max_ms: 400,
      ttfb_count: 3,
      ttfb_sum_ms: 70,
      // over 10, 20, 40: 20, and 20 + 0.9 * 20
      ttfb_p50_ms: 20,
      ttfb_p95_ms: 38,
    },
    {
      hour: h("10"),
      model: "qwen",
      server_id: "s2",
      api_key: "alice",
      requests: 1,
      errors: 0,
      prompt_tokens: 3,
      completion_tokens: 4,
      duration_sum_ms: 50,
      duration_p50_ms: 50,
      duration_p95_ms: 50,
      duration_max_ms: 50,
      ttfb_count: 1,
      ttfb_sum_ms: 5,
      ttfb_p50_ms: 5,
      ttfb_p95_ms: 5,
    },
    {
      hour: h("11"),
      model: "llama3",
      server_id: "s1",
      api_key: "bob",
      requests: 1,
      errors: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      duration_sum_ms: 70,
      duration_p50_ms: 70,
      duration_p95_ms: 70,
      duration_max_ms: 70,
      ttfb_count: 1,
      ttfb_sum_ms: 7,
      ttfb_p50_ms: 7,
      ttfb_p95_ms: 7,
    },
  ]);

  const metric = (server_id: string, gpu: number, metric: string, stats: number[]) => {
    const [min, avg, max, samples] = stats;
    return { hour: h("09"), server_id, gpu, metric, min, avg, max, samples };
  };
  // Swap (total 0) and disk (no sample) have no value, so no row; cpu_temp has one sample.
  assert.deepEqual(await metricRollups(db), [
    metric("s1", -1, "cpu_temp", [50, 50, 50, 1]),
    metric("s1", -1, "cpu_util", [10, 20, 30, 2]),
    metric("s1", -1, "in_flight", [0, 1, 2, 2]),
    metric("s1", -1, "load1", [1, 2, 3, 2]),
    metric("s1", -1, "mem_used", [40, 60, 80, 2]),
    metric("s1", -1, "mem_used_pct", [40, 60, 80, 2]),
    metric("s1", 0, "memory_used", [250, 500, 750, 2]),
    metric("s1", 0, "memory_used_pct", [25, 50, 75, 2]),
    metric("s1", 0, "temperature", [60, 65, 70, 2]),
    metric("s1", 0, "utilization", [50, 75, 100, 2]),
    metric("s2", -1, "cpu_util", [5, 5, 5, 1]),
  ]);
});

await testBothBackends("rollUp() rolls up every metric in metric_columns.ts", async (db) => {
  const time = "2025-03-10T08:20:00Z";
  await db.query(INSERT.system_metrics, [[system("s3", time, {
    cpu_util: 1,
    cpu_count: 4,
    load1: 1,
    mem_total: 10,
    mem_available: 5,
    swap_total: 10,
    swap_free: 5,
    disk_total: 10,
    disk_used: 5,
    cpu_temp: 40,
    uptime_s: 100,
    in_flight: 1,
  })]]);
  await db.query(INSERT.gpu_metrics, [[gpu("s3", time, {
    utilization: 1,
    memory_total: 10,
    memory_used: 5,
    temperature: 40,
    power_draw: 100,
    power_limit: 200,
  })]]);
  await rollUp(db, new Date("2025-03-10T08:00:00Z"), new Date("2025-03-10T09:00:00Z"));
  const rows = await metricRollups(db);
  const names = (gpu: number) => rows.filter((r) => r.gpu === gpu).map((r) => r.metric).sort();
  assert.deepEqual(names(-1), HOST_METRICS.map((m) => m.name).sort());
  assert.deepEqual(names(0), GPU_METRICS.map((m) => m.name).sort());
});

/** The rollups of the hour in progress at NOW (12:30) from the sample's rows at 12:05 and 12:10. */
const CURRENT_HOUR = "2025-03-10T12:00:00.000Z";
const CURRENT_REQUESTS = {
  hour: CURRENT_HOUR,
  model: "llama3",
  server_id: "s1",
  api_key: "alice",
  requests: 1,
  errors: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  duration_sum_ms: 999,
  duration_p50_ms: 999,
  duration_p95_ms: 999,
  duration_max_ms: 999,
  ttfb_count: 0,
  ttfb_sum_ms: 0,
  ttfb_p50_ms: null,
  ttfb_p95_ms: null,
};
const CURRENT_METRICS = [
  {
    hour: CURRENT_HOUR,
    server_id: "s1",
    gpu: -1,
    metric: "cpu_util",
    min: 99,
    avg: 99,
    max: 99,
    samples: 1,
  },
  {
    hour: CURRENT_HOUR,
    server_id: "s1",
    gpu: 0,
    metric: "utilization",
    min: 1,
    avg: 1,
    max: 1,
    samples: 1,
  },
];
const inCurrentHour = (row: Row) => row.hour === CURRENT_HOUR;

await testBothBackends(
  "runRetention() rolls up the hour in progress, is idempotent, and takes in rows written later",
  async (db) => {
    await insertSample(db);
    const first = await runRetention(db, { ...POLICY, now: NOW });
    assert.ok(first);
    assert.equal(first.from.toISOString(), "2025-03-10T09:00:00.000Z", "from the oldest raw row");
    assert.equal(first.to.toISOString(), "2025-03-10T13:00:00.000Z", "to the end of the hour");
    assert.equal(first.hours, 4);
    assert.ok(Object.values(first.deleted).every((n) => n === 0), "nothing is old enough");
    const requests = await requestRollups(db);
    const metrics = await metricRollups(db);
    assert.equal(requests.length, 5);
    // The hour in progress holds its rows so far (rollUp()'s test checks the complete hours).
    assert.deepEqual(requests.filter(inCurrentHour), [CURRENT_REQUESTS]);
    assert.deepEqual(metrics.filter(inCurrentHour), CURRENT_METRICS);

    const again = await runRetention(db, { ...POLICY, now: NOW });
    assert.equal(again?.from.toISOString(), "2025-03-10T10:00:00.000Z", "12:00 minus 2 h");
    assert.equal(again?.to.toISOString(), "2025-03-10T13:00:00.000Z");
    assert.equal(again?.hours, 3);
    assert.deepEqual(await requestRollups(db), requests);
    assert.deepEqual(await metricRollups(db), metrics);

    // A row written late into a complete hour, and more rows of the hour in progress.
    await db.query(INSERT.request_logs, [[
      request("2025-03-10T10:45:00Z", {
        model: "qwen",
        server_id: "s2",
        duration_ms: 150,
        ttfb_ms: 15,
      }),
      request("2025-03-10T12:40:00Z", { status: 502, duration_ms: 199, ttfb_ms: 9 }),
    ]]);
    await db.query(INSERT.system_metrics, [[
      system("s1", "2025-03-10T12:40:00Z", { cpu_util: 1 }),
    ]]);
    const later = await runRetention(db, { ...POLICY, now: new Date("2025-03-10T12:45:00Z") });
    assert.equal(later?.hours, 3);
    assert.ok(Object.values(later?.deleted ?? {}).every((n) => n === 0), "nothing is old enough");
    const updated = await requestRollups(db);
    const qwen = updated.find((r) => r.model === "qwen");
    assert.equal(qwen?.requests, 2);
    assert.equal(qwen?.duration_sum_ms, 200);
    assert.equal(qwen?.duration_max_ms, 150);
    assert.equal(qwen?.ttfb_count, 2);
    assert.equal(qwen?.prompt_tokens, 3);
    assert.deepEqual(updated.filter(inCurrentHour), [{
      ...CURRENT_REQUESTS,
      requests: 2,
      errors: 1,
      duration_sum_ms: 1198,
      // percentile_cont over 199, 999: 599, and 199 + 0.95 * 800
      duration_p50_ms: 599,
      duration_p95_ms: 959,
      ttfb_count: 1,
      ttfb_sum_ms: 9,
      ttfb_p50_ms: 9,
      ttfb_p95_ms: 9,
    }]);
    const updatedMetrics = await metricRollups(db);
    assert.deepEqual(updatedMetrics.filter(inCurrentHour), [
      { ...CURRENT_METRICS[0], min: 1, avg: 50, max: 99, samples: 2 },
      CURRENT_METRICS[1],
    ]);
    const unchanged = (rows: Row[]) => rows.filter((r) => r.model !== "qwen" && !inCurrentHour(r));
    assert.deepEqual(unchanged(updated), unchanged(requests), "the other hours are as they were");

    // An hour on, with raw rows kept an hour: the run recomputes from 10:00 (12:00 minus 2 h), so
    // the raw rows of 10:00 on stay and only 09:00's go, its rollups kept.
    const pruning = await runRetention(db, {
      ...POLICY,
      rawRetentionMs: HOUR,
      now: new Date("2025-03-10T13:30:00Z"),
    });
    assert.equal(pruning?.from.toISOString(), "2025-03-10T10:00:00.000Z");
    assert.equal(pruning?.hours, 3);
    assert.equal(pruning?.deleted.request_logs, 5);
    assert.equal(pruning?.deleted.system_metrics, 3);
    assert.equal(pruning?.deleted.gpu_metrics, 2);
    const raw = await db.query<{ time: Date }>("SELECT time FROM request_logs ORDER BY time");
    assert.deepEqual(raw.map((r) => r.time.toISOString()), [
      "2025-03-10T10:00:00.000Z",
      "2025-03-10T10:45:00.000Z",
      "2025-03-10T11:15:00.000Z",
      "2025-03-10T12:10:00.000Z",
      "2025-03-10T12:40:00.000Z",
    ]);
    assert.deepEqual(await requestRollups(db), updated, "no rollup lost what was pruned");
    assert.deepEqual(await metricRollups(db), updatedMetrics, "no rollup lost what was pruned");
  },
);

/** Counts the statements that delete from each table. */
function countingDeletes(db: Queryable): { db: Queryable; deletes: Map<string, number> } {
  const deletes = new Map<string, number>();
  return {
    deletes,
    db: {
      query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]> {
        const table = /DELETE FROM (\w+)/.exec(text)?.[1];
        if (table) deletes.set(table, (deletes.get(table) ?? 0) + 1);
        return db.query<T>(text, params);
      },
      exec: (text) => db.exec(text),
    },
  };
}

await testBothBackends("prune() deletes only older rows, in batches", async (db) => {
  const before = new Date(NOW.getTime() - 7 * DAY);
  const rollupsBefore = new Date(NOW.getTime() - 90 * DAY);
  // Five rows older than `before` per raw table; kept: one exactly at it and one a day old.
  const old = [8, 9, 10, 11, 12].map((days) => ago(days * DAY));
  const kept = [before.toISOString(), ago(DAY)];
  const times = [...old, ...kept];
  await db.query(INSERT.request_logs, [times.map((t) => request(t))]);
  await db.query(INSERT.system_metrics, [times.map((t) => system("s1", t))]);
  await db.query(INSERT.gpu_metrics, [times.map((t) => gpu("s1", t))]);
  await db.query(INSERT.server_snapshots, [times.map((time) => ({
    server_id: "s1",
    time,
    status: "online",
    ollama_reachable: true,
    ollama_version: null,
    loaded: [],
    models_on_disk: 0,
    in_flight: 0,
  }))]);
  await db.query(INSERT.model_events, [times.map((time) => ({
    id: uuidv7(Date.parse(time)),
    time,
    server_id: "s1",
    model: "llama3",
    event: "load",
    digest: null,
    size: null,
    size_vram: null,
    loaded_ms: null,
    detail: null,
  }))]);
  await db.query(INSERT.server_events, [times.map((time) => ({
    id: uuidv7(Date.parse(time)),
    time,
    server_id: "s1",
    event: "online",
    previous: null,
    detail: null,
  }))]);
  const rollupHours = [100, 95, 91, 89, 30].map((days) => iso(floor(NOW.getTime() - days * DAY)));
  for (const hour of rollupHours) {
    await db.query(
      `INSERT INTO request_rollups VALUES ($1, 'llama3', 's1', '', 1, 0, 0, 0, 0, NULL, NULL,
        NULL, 0, 0, NULL, NULL)`,
      [hour],
    );
    await db.query("INSERT INTO metric_rollups VALUES ($1, 's1', -1, 'cpu_util', 1, 1, 1, 1)", [
      hour,
    ]);
  }
  await db.query(INSERT.servers, [[server("gone", ago(100 * DAY)), server("s1", ago(DAY))]]);

  const counting = countingDeletes(db);
  const deleted = await prune(counting.db, { before, rollupsBefore, batch: 2 });
  assert.deepEqual(deleted, {
    request_logs: 5,
    system_metrics: 5,
    gpu_metrics: 5,
    server_snapshots: 5,
    model_events: 5,
    server_events: 5,
    request_rollups: 3,
    metric_rollups: 3,
    servers: 1,
  });
  // Five rows in batches of 2, 2 and 1; three in 2 and 1; a short batch ends the table.
  assert.equal(counting.deletes.get("request_logs"), 3);
  assert.equal(counting.deletes.get("request_rollups"), 2);
  assert.equal(counting.deletes.get("servers"), 1);

  for (const table of ["request_logs", "system_metrics", "gpu_metrics", "server_snapshots"]) {
    const rows = await db.query<{ time: Date }>(`SELECT time FROM ${table} ORDER BY time`);
    assert.deepEqual(rows.map((r) => r.time.toISOString()), kept, table);
  }
  for (const table of ["model_events", "server_events"]) {
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    assert.equal(row?.n, 2, table);
  }
  for (const table of ["request_rollups", "metric_rollups"]) {
    const rows = await db.query<{ hour: Date }>(`SELECT hour FROM ${table} ORDER BY hour`);
    assert.deepEqual(rows.map((r) => r.hour.toISOString()), rollupHours.slice(3), table);
  }
  const servers = await db.query<{ id: string }>("SELECT id FROM servers");
  assert.deepEqual(servers.map((r) => r.id), ["s1"]);
});

function floor(ms: number): number {
  return Math.floor(ms / HOUR) * HOUR;
}

await testBothBackends(
  "runRetention() rolls old raw rows up before pruning them, and keeps rollups 90 days",
  async (db) => {
    const eightDays = floor(NOW.getTime() - 8 * DAY);
    await db.query(INSERT.request_logs, [[
      request(iso(eightDays + 60_000), { duration_ms: 10 }),
      request(iso(eightDays + 120_000), { duration_ms: 30 }),
      // Older than the rollups are kept: pruned without being rolled up.
      request(ago(100 * DAY), { duration_ms: 5 }),
    ]]);
    await db.query(INSERT.system_metrics, [[system("s1", iso(eightDays), { cpu_util: 42 })]]);
    await db.query(
      "INSERT INTO metric_rollups VALUES ($1, 's1', -1, 'cpu_util', 1, 1, 1, 1)",
      [iso(floor(NOW.getTime() - 91 * DAY))],
    );
    await db.query(
      "INSERT INTO metric_rollups VALUES ($1, 's1', -1, 'cpu_util', 2, 2, 2, 1)",
      [iso(floor(NOW.getTime() - 89 * DAY))],
    );

    const result = await runRetention(db, { ...POLICY, now: NOW });
    assert.ok(result);
    assert.equal(result.hours, 1);
    assert.equal(result.deleted.request_logs, 3);
    assert.equal(result.deleted.system_metrics, 1);
    assert.equal(result.deleted.metric_rollups, 1);

    const requests = await requestRollups(db);
    assert.deepEqual(
      requests.map((r) => [r.hour, r.requests, r.duration_sum_ms]),
      [[iso(eightDays), 2, 40]],
    );
    const metrics = await metricRollups(db);
    assert.deepEqual(metrics.map((r) => [r.hour, r.avg]), [
      [iso(floor(NOW.getTime() - 89 * DAY)), 2],
      [iso(eightDays), 42],
    ]);

    // The raw rows are gone, so the next run finds nothing to recompute and keeps the rollups.
    await runRetention(db, { ...POLICY, now: new Date(NOW.getTime() + HOUR) });
    assert.deepEqual(await requestRollups(db), requests);
  },
);

await testBothBackends(
  "runRetention() returns null while another hub holds the lock, and releases it",
  async (db, backend) => {
    await insertSample(db);
    if (backend === "postgres") {
      const held = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      const holder = db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [RETENTION_LOCK_KEY]);
        held.resolve();
        await release.promise;
      });
      await held.promise;
      try {
        assert.equal(await runRetention(db, { ...POLICY, now: NOW }), null);
        assert.equal((await requestRollups(db)).length, 0, "nothing was rolled up");
      } finally {
        release.resolve();
        await holder;
      }
    }
    assert.ok(await runRetention(db, { ...POLICY, now: NOW }));
    const requests = await requestRollups(db);
    assert.equal(requests.length, 5);
    assert.deepEqual(requests.filter(inCurrentHour), [CURRENT_REQUESTS]);
    const [lock] = await db.transaction((tx) =>
      tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1::bigint) AS locked", [
        RETENTION_LOCK_KEY,
      ])
    );
    assert.equal(lock?.locked, true, "the lock went with the run's commit");
  },
);

Deno.test("rollupWindow() starts 2 h before the newest rollup, else at the oldest raw row, and ends with the hour in progress", () => {
  const rollupsBefore = new Date(NOW.getTime() - 90 * DAY);
  const window = (state: { latestRolledUp: Date | null; oldestRaw: Date | null }) => {
    const { from, to } = rollupWindow(NOW, { ...state, rollupsBefore });
    return [from.toISOString(), to.toISOString()];
  };
  const to = "2025-03-10T13:00:00.000Z";
  assert.deepEqual(
    window({ latestRolledUp: new Date("2025-03-10T11:00:00Z"), oldestRaw: new Date(0) }),
    ["2025-03-10T09:00:00.000Z", to],
  );
  assert.deepEqual(
    window({ latestRolledUp: new Date("2025-03-10T12:00:00Z"), oldestRaw: new Date(0) }),
    ["2025-03-10T10:00:00.000Z", to],
    "the hour in progress rolled up by an earlier run",
  );
  assert.deepEqual(
    window({ latestRolledUp: null, oldestRaw: new Date("2025-03-03T07:59:00Z") }),
    ["2025-03-03T07:00:00.000Z", to],
  );
  assert.deepEqual(window({ latestRolledUp: null, oldestRaw: null }), [to, to]);
  assert.deepEqual(
    window({ latestRolledUp: null, oldestRaw: new Date(0) }),
    ["2024-12-10T13:00:00.000Z", to],
    "not before the rollups are pruned",
  );
  assert.deepEqual(
    window({ latestRolledUp: null, oldestRaw: new Date("2025-03-10T12:10:00Z") }),
    ["2025-03-10T12:00:00.000Z", to],
    "the hour in progress is rolled up too",
  );
  const state = { latestRolledUp: null, oldestRaw: null, rollupsBefore };
  const ends = ["12:00:00Z", "12:59:59.999Z", "13:00:00Z"].map((t) =>
    rollupWindow(new Date(`2025-03-10T${t}`), state).to.toISOString()
  );
  assert.deepEqual(ends, [to, to, "2025-03-10T14:00:00.000Z"], "the end of the hour of `now`");
});

Deno.test("retentionCutoffs() prunes whole hours that no later run recomputes", () => {
  const cutoffs = (rawRetentionMs: number) => {
    const { before, rollupsBefore } = retentionCutoffs(NOW, { ...POLICY, rawRetentionMs });
    return [before.toISOString(), rollupsBefore.toISOString()];
  };
  const rollupsBefore = "2024-12-10T12:30:00.000Z";
  assert.deepEqual(cutoffs(7 * DAY), ["2025-03-03T12:00:00.000Z", rollupsBefore]);
  assert.deepEqual(cutoffs(HOUR), ["2025-03-10T09:00:00.000Z", rollupsBefore]);
  assert.throws(() => cutoffs(0), RangeError);
  assert.throws(() => cutoffs(Number.NaN), /'rawRetentionMs' must be a positive number/);
});

/** A database whose transactions wait for `gate` and then fail. */
function failingDb(gate: Promise<void>): Db & { transactions: number } {
  const fake = {
    backend: "postgres" as const,
    where: "fake",
    transactions: 0,
    query: () => Promise.reject(new Error("unused")),
    exec: () => Promise.reject(new Error("unused")),
    async transaction<T>(): Promise<T> {
      fake.transactions++;
      await gate;
      throw new Error("connection refused");
    },
    close: () => Promise.resolve(),
  };
  return fake;
}

Deno.test("startRetention() logs a failed run, never throws, and runs one at a time", async () => {
  const gate = Promise.withResolvers<void>();
  const db = failingDb(gate.promise);
  const log = recordingLog();
  const job = startRetention({ db, log, ...POLICY, now: () => NOW.getTime() });
  const a = job.runNow();
  const b = job.runNow();
  gate.resolve();
  assert.equal(await a, null);
  assert.equal(await b, null);
  assert.equal(db.transactions, 1, "the second call joined the first run");
  assert.deepEqual(log.lines, ["error history: retention run failed: connection refused"]);
  await job.stop();
  assert.equal(await job.runNow(), null);
  assert.equal(db.transactions, 1, "no run after stop()");
});

Deno.test("startRetention() stop() waits for the run in progress", async () => {
  const gate = Promise.withResolvers<void>();
  const db = failingDb(gate.promise);
  const job = startRetention({ db, log: recordingLog(), ...POLICY, delayMs: 0 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(db.transactions, 1, "the first run starts after delayMs");
  let stopped = false;
  const stopping = job.stop().then(() => stopped = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(stopped, false);
  gate.resolve();
  await stopping;
  assert.equal(stopped, true);
});

Deno.test("startRetention() rejects a retention that is not positive", () => {
  const db = failingDb(Promise.resolve());
  assert.throws(
    () => startRetention({ db, log: recordingLog(), rawRetentionMs: -1, rollupRetentionMs: DAY }),
    RangeError,
  );
});

await testBothBackends("startRetention() runNow() rolls up and logs what it did", async (db) => {
  await insertSample(db);
  const log = recordingLog();
  const job = startRetention({ db, log, ...POLICY, now: () => NOW.getTime() });
  try {
    const result = await job.runNow();
    assert.equal(result?.hours, 4);
    assert.equal(result?.to.toISOString(), "2025-03-10T13:00:00.000Z");
  } finally {
    await job.stop();
  }
  assert.deepEqual((await requestRollups(db)).filter(inCurrentHour), [CURRENT_REQUESTS]);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0]!, /^info history: rolled up 4 h from 2025-03-10T09:00:00.000Z/);
});
