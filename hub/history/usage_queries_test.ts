import assert from "node:assert/strict";
import { B0, H, iso, NOW, rejectsWith, REQUESTS, sec, seed } from "./query_fixtures.ts";
import { testBothBackends } from "./testing.ts";
import { usage } from "./usage_queries.ts";

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
