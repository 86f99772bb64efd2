import assert from "node:assert/strict";
import type { SparkPoint } from "../shared/dashboard.ts";
import type { AgentSnapshot, GpuSample } from "../shared/protocol.ts";
import { InFlightTable } from "./in_flight.ts";
import { Registry } from "./registry.ts";
import { testGpu, testSnapshot } from "./snapshot_testing.ts";
import { sparkPoint, Sparks } from "./sparks.ts";

const GB = 1e9;

function gpu(index: number, utilization: number | null, used: number | null, total: number | null) {
  return testGpu({ index, utilization, memoryUsed: used, memoryTotal: total });
}

function snapshot(cpu: number | null, gpus: GpuSample[] = []): AgentSnapshot {
  return testSnapshot((s) => {
    s.metrics.cpuUtilization = cpu;
    s.gpus = { source: gpus.length ? "simulator" : "none", gpus, error: null };
  });
}

Deno.test("sparkPoint() averages GPU utilisation and sums VRAM over the GPUs that report them", () => {
  const point = sparkPoint(
    snapshot(12.5, [
      gpu(0, 80, 6 * GB, 24 * GB),
      gpu(1, 20, 18 * GB, 24 * GB),
      gpu(2, null, null, null),
    ]),
    1234,
  );
  assert.deepEqual(point, { t: 1234, gpu: 50, cpu: 12.5, vram: 0.5 });
});

Deno.test("sparkPoint() gives null for what a snapshot cannot say", () => {
  assert.deepEqual(sparkPoint(snapshot(null), 1), { t: 1, gpu: null, cpu: null, vram: null });
  assert.deepEqual(
    sparkPoint(snapshot(3, [gpu(0, null, 1 * GB, 0)]), 1),
    { t: 1, gpu: null, cpu: 3, vram: null },
    "a GPU with no memory total is left out of the fraction",
  );
});

function setup(points?: number) {
  let now = 0;
  const registry = new Registry(new InFlightTable());
  const sparks = new Sparks(registry, { now: () => now, points });
  const heard: [string, SparkPoint][] = [];
  sparks.onPoint((id, point) => heard.push([id, point]));
  registry.add({ id: "a1", name: "Alpha", kind: "agent", url: "http://a", source: "static" }, 0);
  return {
    registry,
    sparks,
    heard,
    at(ms: number, cpu: number) {
      now = ms;
      registry.observe("a1", snapshot(cpu), ms);
    },
  };
}

Deno.test("Sparks keeps at most one point per 5 s from the registry's snapshots, and tells listeners", () => {
  const { sparks, heard, at } = setup();
  at(1000, 10);
  at(2000, 20);
  at(5999, 30);
  at(6000, 40);
  at(9000, 50);
  at(11_500, 60);
  assert.deepEqual(sparks.of("a1").map((p) => [p.t, p.cpu]), [[1000, 10], [6000, 40], [
    11_500,
    60,
  ]]);
  assert.deepEqual(heard.map(([id, p]) => [id, p.cpu]), [["a1", 10], ["a1", 40], ["a1", 60]]);
  assert.deepEqual(sparks.all(), { a1: sparks.of("a1") });
  assert.deepEqual(sparks.of("nobody"), []);
  sparks.stop();
});

Deno.test("Sparks keeps the last points only, and forgets a removed host", () => {
  const { registry, sparks, at } = setup(3);
  for (let i = 0; i < 5; i++) at(i * 5000, i);
  assert.deepEqual(sparks.of("a1").map((p) => p.cpu), [2, 3, 4]);
  registry.remove("a1");
  assert.deepEqual(sparks.of("a1"), []);
  assert.deepEqual(sparks.all(), {});
  sparks.stop();
});

Deno.test("Sparks.stop() stops listening to the registry", () => {
  const { sparks, heard, at } = setup();
  at(0, 1);
  sparks.stop();
  at(10_000, 2);
  assert.equal(heard.length, 1);
  assert.equal(sparks.of("a1").length, 1, "the points stay readable");
});
