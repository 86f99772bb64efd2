import assert from "node:assert/strict";
import { DEFAULT_EXPECTED_RUN_MS } from "./router.ts";
import { DEMAND_WINDOW_MS, RunStats } from "./stats.ts";

Deno.test("RunStats averages run times per model and per model on each host", () => {
  const stats = new RunStats(() => 0);
  assert.equal(stats.expectedRunMs("m"), DEFAULT_EXPECTED_RUN_MS);
  stats.recordRun("m", 1000, "fast");
  stats.recordRun("m", 3000, "slow");
  assert.equal(stats.expectedRunMs("m", "fast"), 1000);
  assert.equal(stats.expectedRunMs("m", "slow"), 3000);
  assert.equal(stats.expectedRunMs("m"), 1400); // the EWMA over both: 1000 + 0.2 × 2000
  assert.equal(stats.expectedRunMs("m", "unmeasured"), 1400);
  stats.recordRun("m", NaN, "fast");
  assert.equal(stats.expectedRunMs("m", "fast"), 1000);
});

Deno.test("RunStats measures sustained demand per model and per requested context", () => {
  let now = 0;
  const stats = new RunStats(() => now);
  assert.equal(stats.arrivalRate("m", undefined), 0);
  // Two requests a second for two windows, half of them asking for 16k.
  for (let i = 0; i < 4 * DEMAND_WINDOW_MS / 1000; i++) {
    now = i * 500;
    stats.recordArrival("m", i % 2 === 0 ? 16384 : null);
  }
  const near = (value: number, expected: number) =>
    assert.ok(Math.abs(value - expected) < expected * 0.15, `${value} ≉ ${expected}`);
  near(stats.arrivalRate("m", undefined), 2);
  near(stats.arrivalRate("m", 16384), 1);
  near(stats.arrivalRate("m", null), 1);
  assert.equal(stats.arrivalRate("m", 4096), 0);
  // Demand fades once the requests stop: after two windows, to about e^-2 of it.
  now += 2 * DEMAND_WINDOW_MS;
  near(stats.arrivalRate("m", undefined), 2 * Math.exp(-2));
});

Deno.test("RunStats does not read a single request as a flood", () => {
  let now = 0;
  const stats = new RunStats(() => now);
  stats.recordArrival("m", null);
  now = 10;
  // Counted as if over at least a sixth of the window (5 s): about one per 5 s, not one per 10 ms.
  const rate = stats.arrivalRate("m", undefined);
  assert.ok(rate > 0.15 && rate < 0.25, `${rate}`);
});
