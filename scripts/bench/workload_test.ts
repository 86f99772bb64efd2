import assert from "node:assert/strict";
import {
  buildWorkload,
  checkTargets,
  MIXED_NUM_CTX,
  PINNED_NUM_CTX,
  type RequestOutcome,
  type RouterName,
  type Scenario,
  summarize,
  type TargetFigures,
  zipfWeights,
} from "./workload.ts";

const MODELS = ["a", "b", "c", "d", "e", "f"];
const base = { requests: 6000, ratePerSecond: 10, models: MODELS, zipfS: 1.1, seed: 7 };

Deno.test("zipfWeights() falls as k^-s and sums to 1", () => {
  const w = zipfWeights(6, 1.1);
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  for (let k = 1; k < 6; k++) {
    assert.ok(Math.abs(w[k]! / w[0]! - Math.pow(k + 1, -1.1)) < 1e-12);
  }
});

Deno.test("buildWorkload() is repeatable, and its scenarios differ only in num_ctx", () => {
  const defaults = buildWorkload({ ...base, scenario: "defaults" });
  assert.deepEqual(buildWorkload({ ...base, scenario: "defaults" }), defaults);
  const pinned = buildWorkload({ ...base, scenario: "pinned" });
  const mixed = buildWorkload({ ...base, scenario: "mixed" });
  const strip = (w: typeof defaults) => w.map(({ numCtx: _, ...rest }) => rest);
  assert.deepEqual(strip(pinned), strip(defaults));
  assert.deepEqual(strip(mixed), strip(defaults));
  assert.ok(defaults.every((r) => r.numCtx === null));
  assert.ok(pinned.every((r) => r.numCtx === PINNED_NUM_CTX));
  const small = mixed.filter((r) => r.numCtx === MIXED_NUM_CTX[0]).length;
  const large = mixed.filter((r) => r.numCtx === MIXED_NUM_CTX[1]).length;
  assert.equal(small + large, mixed.length);
  assert.ok(Math.abs(small / mixed.length - 0.5) < 0.03, `${small} of ${mixed.length}`);
  assert.notDeepEqual(buildWorkload({ ...base, seed: 8, scenario: "defaults" }), defaults);
});

Deno.test("buildWorkload() arrives at the rate, in order, with Zipf popularity", () => {
  const w = buildWorkload({ ...base, scenario: "defaults" });
  assert.equal(w.length, base.requests);
  assert.deepEqual(w.map((r) => r.seq), [...w.keys()]);
  for (let i = 1; i < w.length; i++) assert.ok(w[i]!.atMs >= w[i - 1]!.atMs);
  const rate = w.length / (w.at(-1)!.atMs / 1000);
  assert.ok(Math.abs(rate / base.ratePerSecond - 1) < 0.05, `rate ${rate}`);
  const expected = zipfWeights(MODELS.length, base.zipfS);
  for (const [i, model] of MODELS.entries()) {
    const share = w.filter((r) => r.model === model).length / w.length;
    assert.ok(Math.abs(share - expected[i]!) < 0.02, `${model}: ${share} vs ${expected[i]}`);
  }
  // Exponential gaps: about as many below the mean gap's ln 2 as above it.
  const gaps = w.slice(1).map((r, i) => r.atMs - w[i]!.atMs);
  const median = 1000 / base.ratePerSecond * Math.LN2;
  const below = gaps.filter((g) => g < median).length / gaps.length;
  assert.ok(Math.abs(below - 0.5) < 0.03, `${below}`);
});

Deno.test("buildWorkload() refuses what it cannot build", () => {
  assert.throws(() => buildWorkload({ ...base, requests: 0, scenario: "defaults" }), RangeError);
  assert.throws(
    () => buildWorkload({ ...base, ratePerSecond: 0, scenario: "defaults" }),
    RangeError,
  );
  assert.throws(() => buildWorkload({ ...base, models: [], scenario: "defaults" }), RangeError);
});

function outcome(latencyMs: number, extra: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    ok: true,
    latencyMs,
    ttfbMs: latencyMs / 2,
    route: "loaded",
    host: "h1",
    failure: null,
    ...extra,
  };
}

Deno.test("summarize() takes percentiles of successes and counts the rest apart", () => {
  const outcomes = [
    ...Array.from({ length: 100 }, (_, i) => outcome(i + 1)),
    outcome(5000, { ok: false, failure: "http 503", route: null, ttfbMs: null }),
    outcome(9000, { ok: false, failure: "timeout", route: null, host: null, ttfbMs: null }),
    outcome(50, { route: "on-disk", host: "h2" }),
  ];
  const s = summarize(outcomes);
  assert.equal(s.requests, 103);
  assert.equal(s.failures, 2);
  assert.equal(s.p50Ms, 50);
  assert.equal(s.p95Ms, 95);
  assert.equal(s.p99Ms, 99);
  assert.equal(s.ttfbP50Ms, 25);
  assert.deepEqual(s.routes, { loaded: 100, "on-disk": 1 });
  assert.deepEqual(s.hosts, { h1: 101, h2: 1 });
  assert.deepEqual(s.failureKinds, { "http 503": 1, timeout: 1 });
  assert.ok(Number.isNaN(summarize([]).p95Ms));
});

Deno.test("checkTargets() checks the issue's ratios on the runs there are", () => {
  const runs: Partial<Record<`${RouterName}/${Scenario}`, TargetFigures>> = {
    "corral/defaults": { p95Ms: 100, coldLoads: 9 },
    "least-connections/defaults": { p95Ms: 400, coldLoads: 100 },
    "corral/pinned": { p95Ms: 105, coldLoads: 12 },
    "sticky/defaults": { p95Ms: 90, coldLoads: 9 },
  };
  const checks = checkTargets((router, scenario) => runs[`${router}/${scenario}`]);
  assert.equal(checks.length, 10);
  const [p95, loads, pinnedP95, pinnedLoads, mixedP95, mixedLoads, stickyP95, stickyLoads] = checks;
  assert.deepEqual([p95!.ratio, p95!.holds], [0.25, true]);
  assert.deepEqual([loads!.ratio, loads!.holds], [0.09, true]);
  assert.deepEqual([pinnedP95!.ratio, pinnedP95!.holds], [1.05, true]);
  assert.deepEqual([pinnedLoads!.ratio, pinnedLoads!.holds], [12 / 9, false]);
  assert.deepEqual([mixedP95!.ratio, mixedP95!.holds], [null, null]);
  assert.deepEqual([mixedLoads!.ratio, mixedLoads!.holds], [null, null]);
  // Against the peer's rules: at least as good at defaults.
  assert.deepEqual([stickyP95!.ratio, stickyP95!.holds], [100 / 90, false]);
  assert.deepEqual([stickyLoads!.ratio, stickyLoads!.holds], [1, true]);
  // Unknown loads cannot be checked; a zero baseline is beaten only by zero.
  const unknown = checkTargets((router) =>
    router === "corral" ? { p95Ms: 0, coldLoads: null } : { p95Ms: 0, coldLoads: 0 }
  );
  assert.deepEqual([unknown[0]!.ratio, unknown[0]!.holds], [1, false]);
  assert.equal(unknown[1]!.holds, null);
});
