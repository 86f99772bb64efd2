import assert from "node:assert/strict";
import { fleetMetric, hostMetrics } from "./metric_queries.ts";
import { H, iso, MIN, NOW, rejectsWith, sec, SERVERS } from "./query_fixtures.ts";
import { type GpuMetricsRow, INSERT, type SystemMetricsRow } from "./tables.ts";
import { testBothBackends } from "./testing.ts";

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
    // (50 + 70 + 10) / 3, to a thousandth as every chart value is (`series.ts`).
    assert.equal(fleetGpu.data[1]![0], 43.333, "every sample of the host's GPUs");
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
