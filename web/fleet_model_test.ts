/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import {
  appendSpark,
  attention,
  barLevel,
  fleetTotals,
  sortHosts,
  temperatureLevel,
  trimSpark,
} from "./fleet_model.ts";
import { gpu, host } from "./testing.ts";

const GB = 1e9;

Deno.test("attention() finds nothing wrong with a healthy online host", () => {
  assert.deepEqual(attention(host("a")), { level: null, reasons: [] });
});

Deno.test("attention() says why a host stands out, worst first", async (t) => {
  await t.step("offline, with the hub's reason", () => {
    const a = attention(host("a", { status: "offline", reason: "no heartbeat for 10 s" }));
    assert.equal(a.level, "bad");
    assert.deepEqual(a.reasons, [{ level: "bad", text: "Offline: no heartbeat for 10 s" }]);
  });
  await t.step("an offline host's stale flags are not repeated", () => {
    const a = attention(host("a", { status: "offline", hot: true, diskFull: true }));
    assert.equal(a.reasons.length, 1);
  });
  await t.step("a hot GPU with its temperature", () => {
    const a = attention(
      host("a", {
        hot: true,
        gpus: [gpu({ temperature: 71 }), gpu({ index: 1, temperature: 93 })],
      }),
    );
    assert.deepEqual(a.reasons, [{ level: "bad", text: "GPU hot: 93 °C" }]);
  });
  await t.step("a full disk with the fullest path and its use", () => {
    const a = attention(host("a", { diskFull: true, disk: { total: 100 * GB, used: 95 * GB } }));
    assert.deepEqual(a.reasons, [{ level: "bad", text: "Disk full: 95 % of /" }]);
  });
  await t.step("low memory with what is left", () => {
    const a = attention(
      host("a", { lowMemory: true, memoryTotal: 64 * GB, memoryAvailable: 3.2 * GB }),
    );
    assert.deepEqual(a.reasons, [{ level: "warn", text: "Low memory: 5 % available" }]);
  });
  await t.step("draining and maintenance are an operator's doing: info", () => {
    assert.equal(attention(host("a", { status: "draining" })).level, "info");
    assert.equal(attention(host("a", { status: "maintenance" })).level, "info");
  });
  await t.step("a degraded host that is also hot is red, the red reason first", () => {
    const a = attention(host("a", { status: "degraded", reason: "Ollama down", hot: true }));
    assert.equal(a.level, "bad");
    assert.deepEqual(a.reasons.map((r) => r.level), ["bad", "warn"]);
    assert.equal(a.reasons[1]!.text, "Degraded: Ollama down");
  });
});

Deno.test("sortHosts() puts red, then amber, then drained hosts first, each by name", () => {
  const hosts = [
    host("alpha"),
    host("zulu", { status: "offline" }),
    host("echo", { status: "maintenance" }),
    host("bravo", { lowMemory: true }),
    host("delta", { hot: true }),
    host("charlie"),
  ];
  assert.deepEqual(sortHosts(hosts).map((h) => h.name), [
    "delta",
    "zulu",
    "bravo",
    "echo",
    "alpha",
    "charlie",
  ]);
});

Deno.test("fleetTotals() sums GPUs, VRAM, loaded models and requests over hosts that answer", () => {
  const totals = fleetTotals([
    host("a", {
      gpus: [gpu({ utilization: 20 }), gpu({ index: 1, utilization: null })],
      loaded: ["x", "y"],
      inFlight: 3,
    }),
    host("b", { gpus: [gpu({ utilization: 60, memoryUsed: 4 * GB })], lowMemory: true }),
    host("c", { status: "offline", loaded: ["x"], inFlight: 0 }),
  ]);
  assert.deepEqual(totals, {
    hosts: 3,
    up: 2,
    attention: 2,
    gpus: 3,
    vramUsed: 20 * GB,
    vramTotal: 72 * GB,
    gpuUtilization: 40,
    loaded: 2,
    inFlight: 3,
  });
  assert.equal(fleetTotals([]).gpuUtilization, null);
});

Deno.test("barLevel() and temperatureLevel() colour from their thresholds", () => {
  assert.equal(barLevel(null), "");
  assert.equal(barLevel(0.79), "");
  assert.equal(barLevel(0.8), "warn");
  assert.equal(barLevel(0.9), "bad");
  assert.equal(barLevel(0.5, 0.4, 0.6), "warn");
  assert.equal(temperatureLevel(null), "");
  assert.equal(temperatureLevel(79), "");
  assert.equal(temperatureLevel(80), "warn");
  assert.equal(temperatureLevel(90), "bad");
});

Deno.test("appendSpark() keeps the window, order and no duplicates", () => {
  const p = (t: number) => ({ t, gpu: 1, cpu: 2, vram: 0.5 });
  const window = 1000;
  let points = appendSpark([], p(0), window);
  points = appendSpark(points, p(500), window);
  assert.deepEqual(points.map((x) => x.t), [0, 500]);
  const same = appendSpark(points, p(500), window);
  assert.equal(same, points, "a point already there changes nothing");
  assert.deepEqual(appendSpark(points, p(250), window).map((x) => x.t), [0, 250, 500]);
  assert.equal(
    appendSpark(points, p(-600), window),
    points,
    "a point before the window is dropped",
  );
  assert.deepEqual(appendSpark(points, p(1200), window).map((x) => x.t), [500, 1200]);
  assert.deepEqual(trimSpark([p(0), p(10), p(2000)], window).map((x) => x.t), [2000]);
});
