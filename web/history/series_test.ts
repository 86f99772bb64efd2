/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import {
  bucketSpans,
  fleetChart,
  groupLabel,
  hasData,
  hostCharts,
  usageChart,
  usageTotals,
} from "./series.ts";
import type { AlignedData, HostMetricsResult, UsageResult } from "./types.ts";

const T = [0, 60, 120];

function usageResult(): UsageResult {
  const two = (a: (number | null)[], b: (number | null)[]): AlignedData => [T, a, b];
  return {
    from: 0,
    to: 180,
    step: 60,
    by: "model",
    source: "raw",
    approximate: false,
    groups: [{ id: "qwen3:8b", label: "qwen3:8b" }, { id: "", label: "(none)" }],
    omitted: 0,
    series: {
      requests: two([6, 0, 3], [1, 0, 0]),
      errors: two([1, 0, 0], [1, 0, 0]),
      prompt_tokens: two([60, 0, 30], [0, 0, 0]),
      completion_tokens: two([600, 0, 300], [0, 0, 0]),
      latency_p50: two([100, null, 400], [50, null, null]),
      latency_p95: two([200, null, 800], [50, null, null]),
      ttfb_p50: two([10, null, 40], [null, null, null]),
      ttfb_p95: two([20, null, 80], [null, null, null]),
    },
  };
}

Deno.test("usageChart() turns counts per bucket into rates and keeps latencies as they are", () => {
  const result = { ...usageResult(), from: 0, to: 180, step: 60 };
  const requests = usageChart(result, "requests");
  assert.equal(requests.unit, "req/min");
  assert.deepEqual(requests.data, [T, [6, 0, 3], [1, 0, 0]]);
  assert.deepEqual(requests.labels, ["qwen3:8b", "(no model)"]);
  assert.equal(requests.counts, true);
  const tokens = usageChart(result, "tokens");
  assert.equal(tokens.unit, "tok/s");
  assert.deepEqual(tokens.data, [T, [11, 0, 5.5], [0, 0, 0]]);
  const latency = usageChart(result, "latency_p95");
  assert.equal(latency.unit, "ms");
  assert.equal(latency.title, "Duration p95");
  assert.deepEqual(latency.data, [T, [200, null, 800], [50, null, null]]);
  assert.equal(latency.counts, false);
});

Deno.test("usageChart() rates the buckets at the range's ends over their part inside it", () => {
  // The range starts 30 s into the first bucket and ends 40 s into the last; 25 s into it would
  // be too little to rate.
  const result = { ...usageResult(), from: 30, to: 160, step: 60 };
  assert.deepEqual(usageChart(result, "requests").data[1], [12, 0, 4.5]);
  assert.deepEqual(usageChart({ ...result, to: 145 }, "requests").data[1], [12, 0, null]);
  assert.deepEqual(bucketSpans(T, { from: 30, to: 160, step: 60 }), [30, 60, 40]);
  assert.deepEqual(bucketSpans(T, { from: 0, to: 145, step: 60 }), [60, 60, 0]);
});

Deno.test("groupLabel() spells out the hub's placeholder groups", () => {
  assert.equal(groupLabel({ id: "", label: "(none)" }, "key"), "(no key)");
  assert.equal(groupLabel({ id: "", label: "(none)" }, "host"), "(no host)");
  assert.equal(groupLabel({ id: "all", label: "all" }, "none"), "All requests");
  assert.equal(groupLabel({ id: "h1", label: "gpu-1" }, "host"), "gpu-1");
});

Deno.test("usageTotals() adds up requests, errors and tokens and weighs latencies by requests", () => {
  const totals = usageTotals(usageResult());
  assert.equal(totals.requests, 10);
  assert.equal(totals.errors, 2);
  assert.equal(totals.errorRate, 20);
  assert.equal(totals.promptTokens, 90);
  assert.equal(totals.completionTokens, 900);
  // (100*6 + 400*3 + 50*1) / 10
  assert.equal(totals.latencyP50, 185);
  // (10*6 + 40*3) / 9: the bucket without a value weighs nothing.
  assert.equal(totals.ttfbP50, 20);
});

Deno.test("usageTotals() reports no rate and no latency without requests", () => {
  const empty: UsageResult = {
    ...usageResult(),
    groups: [],
    series: Object.fromEntries(
      Object.keys(usageResult().series).map((k) => [k, [T]]),
    ) as unknown as UsageResult["series"],
  };
  const totals = usageTotals(empty);
  assert.equal(totals.requests, 0);
  assert.equal(totals.errorRate, null);
  assert.equal(totals.latencyP50, null);
});

function hostResult(gpus: number): HostMetricsResult {
  const gpuColumns = [
    "time",
    "utilization",
    "memory_used",
    "memory_used_pct",
    "temperature",
    "power_draw",
  ];
  return {
    host: { id: "h", name: "gpu-box" },
    from: 0,
    to: 180,
    step: 60,
    source: "raw",
    system: {
      columns: [
        "time",
        "cpu_util",
        "mem_used_pct",
        "mem_used",
        "swap_used_pct",
        "disk_used_pct",
        "cpu_temp",
        "load1",
        "in_flight",
      ],
      data: [
        T,
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [0, 0, 0],
        [50, 50, 50],
        [60, 61, null],
        [1, 1, 1],
        [0, 1, 0],
      ],
    },
    gpus: Array.from({ length: gpus }, (_, i) => ({
      index: i,
      name: "RTX 4090",
      uuid: null,
      columns: gpuColumns,
      data: [T, [90 + i, 80, 70], [1e9, 2e9, 3e9], [10, 20, 30], [70, 71, 72], [300, 310, 320]],
    })),
  };
}

Deno.test("hostCharts() draws a line per GPU and finds system columns by name", () => {
  const charts = hostCharts(hostResult(2));
  assert.deepEqual(charts.map((c) => c.id), [
    "gpu-util",
    "gpu-vram",
    "gpu-temp",
    "gpu-power",
    "cpu",
    "memory",
  ]);
  const util = charts[0]!;
  assert.deepEqual(util.labels, ["GPU 0", "GPU 1"]);
  assert.deepEqual(util.data, [T, [90, 80, 70], [91, 80, 70]]);
  const temp = charts[2]!;
  assert.deepEqual(temp.labels, ["GPU 0", "GPU 1", "CPU"]);
  assert.deepEqual(temp.data[3], [60, 61, null]);
  const memory = charts.find((c) => c.id === "memory")!;
  assert.deepEqual(memory.data, [T, [4, 5, 6], [0, 0, 0], [50, 50, 50]]);
});

Deno.test("hostCharts() names a single GPU by its model, and a host without GPUs gets system charts", () => {
  assert.deepEqual(hostCharts(hostResult(1))[0]!.labels, ["RTX 4090"]);
  const charts = hostCharts(hostResult(0));
  assert.deepEqual(charts.map((c) => c.id), ["cpu", "memory", "cpu-temp"]);
});

Deno.test("fleetChart() labels a line per host and keeps the metric's unit", () => {
  const chart = fleetChart({
    metric: "utilization",
    unit: "%",
    from: 0,
    to: 180,
    step: 60,
    source: "raw",
    groups: [{ id: "a", label: "gpu-a" }, { id: "b", label: "gpu-b" }],
    omitted: 0,
    data: [T, [1, 2, 3], [null, null, 4]],
  }, "GPU utilisation");
  assert.equal(chart.unit, "%");
  assert.deepEqual(chart.labels, ["gpu-a", "gpu-b"]);
  assert.equal(chart.title, "GPU utilisation");
});

Deno.test("hasData() sees a gauge's zero as data and a count's zero as nothing", () => {
  assert.equal(hasData({ data: [T, [0, 0, 0]], counts: true }), false);
  assert.equal(hasData({ data: [T, [0, 0, 0]], counts: false }), true);
  assert.equal(hasData({ data: [T, [null, null, null]], counts: false }), false);
  assert.equal(hasData({ data: [T], counts: false }), false);
  assert.equal(hasData({ data: [T, [0, 2, 0]], counts: true }), true);
});
