import assert from "node:assert/strict";
import { INSERT } from "../../hub/history/tables.ts";
import { testBothBackends } from "../../hub/history/testing.ts";
import {
  fillHistory,
  gpuCount,
  hostId,
  hostIdSql,
  hostsOfModel,
  MODELS,
  requestCount,
  requestLogRow,
  SAMPLE_SECONDS,
  span,
} from "./history_data.ts";
import { rng } from "../sim/text.ts";

Deno.test("requestLogRow() draws about 2 % errors, each model on its own hosts", () => {
  const random = rng(7);
  const rows = Array.from({ length: 20_000 }, (_, i) => requestLogRow(random, 1.8e12 + i, 20));
  const failed = rows.filter((r) => r.status >= 400);
  assert.ok(failed.length > 300 && failed.length < 500, `${failed.length} errors in 20000`);
  for (const row of rows) {
    const m = MODELS.indexOf(row.model!);
    assert.ok(hostsOfModel(m, 20).map(hostId).includes(row.server_id!), row.server_id!);
    assert.equal(row.error !== null, row.status >= 400);
    if (row.status >= 400) assert.equal(row.completion_tokens, null);
    assert.ok(row.duration_ms! > 0 && row.ttfb_ms! > 0);
    assert.equal(row.id[14], "7");
  }
  const byModel = MODELS.map((model) => rows.filter((r) => r.model === model).length);
  assert.ok(byModel[0]! > 2 * byModel.at(-1)!, `skewed: ${byModel}`);
});

Deno.test("rng() repeats its numbers for the same seed, in [0, 1)", () => {
  const a = rng(3);
  const b = rng(3);
  const drawn = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(drawn, Array.from({ length: 1000 }, () => b()));
  assert.ok(drawn.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(drawn.slice(0, 5), Array.from({ length: 5 }, rng(4)));
});

await testBothBackends(
  "hostIdSql() and requestLogRow() agree with the database",
  async (db) => {
    const [row] = await db.query<{ ids: string[] }>(
      `SELECT array_agg(${hostIdSql("h")} ORDER BY h) AS ids FROM generate_series(1, 20) h`,
    );
    assert.deepEqual(row!.ids, Array.from({ length: 20 }, (_, i) => hostId(i + 1)));
    const random = rng(1);
    const rows = Array.from({ length: 200 }, (_, i) => requestLogRow(random, 1.8e12 + i));
    await db.query(INSERT.request_logs, [rows]);
    const [count] = await db.query<{ n: number }>(
      "SELECT count(*)::integer AS n FROM request_logs",
    );
    assert.equal(count!.n, 200);
  },
);

await testBothBackends(
  "fillHistory() writes every sample and request of the shape, rolled up",
  async (db) => {
    const shape = {
      days: 0.125,
      hosts: 3,
      requestsPerSecond: 1,
      rollupDays: 15,
      end: 1.8e12 + 1_800_000,
    };
    const timings = await fillHistory(db, shape);
    const { start, end } = span(shape);
    const samples = shape.days * 86_400 / SAMPLE_SECONDS;
    const count = async (sql: string) =>
      (await db.query<{ n: number }>(`SELECT (${sql})::integer AS n`))[0]!.n;
    assert.equal(await count("SELECT count(*) FROM servers"), 3);
    assert.equal(await count("SELECT count(*) FROM system_metrics"), 3 * samples);
    assert.equal(await count("SELECT count(*) FROM server_snapshots"), 3 * samples);
    const gpus = [1, 2, 3].reduce((sum, h) => sum + gpuCount(h), 0);
    assert.equal(await count("SELECT count(*) FROM gpu_metrics"), gpus * samples);
    assert.equal(await count("SELECT count(*) FROM request_logs"), requestCount(shape));
    const [bounds] = await db.query<{ first: Date; last: Date }>(
      "SELECT min(time) AS first, max(time) AS last FROM request_logs",
    );
    assert.ok(bounds!.first.getTime() >= start && bounds!.last.getTime() < end);
    // Ids are UUIDv7 of the row's own time, so the key grows at its end as the hub's do.
    assert.equal(
      await count(`SELECT count(*) FROM request_logs WHERE substr(id::text, 15, 1) <> '7'
        OR replace(substr(id::text, 1, 13), '-', '')
          <> lpad(to_hex(floor(extract(epoch from time) * 1000)::bigint), 12, '0')`),
      0,
    );
    const errors = await count(
      "SELECT count(*) FILTER (WHERE status >= 400 AND error IS NOT NULL) FROM request_logs",
    );
    assert.ok(errors > 0.01 * requestCount(shape) && errors < 0.03 * requestCount(shape));
    const pairs = await db.query<{ model: string; server_id: string }>(
      "SELECT DISTINCT model, server_id FROM request_logs",
    );
    for (const { model, server_id } of pairs) {
      assert.ok(hostsOfModel(MODELS.indexOf(model), 3).map(hostId).includes(server_id));
    }
    // Every whole hour's requests are in the rollups, and older weeks are copies of them.
    assert.equal(timings.rollup.hours, 2);
    const hourStart = new Date(Math.ceil(start / 3_600_000) * 3_600_000).toISOString();
    const hourEnd = new Date(Math.floor(end / 3_600_000) * 3_600_000).toISOString();
    const raw = await count(`SELECT count(*) FROM request_logs
      WHERE time >= '${hourStart}' AND time < '${hourEnd}'`);
    const rolled = await count(
      `SELECT sum(requests) FROM request_rollups WHERE hour >= '${hourStart}'`,
    );
    assert.equal(rolled, raw);
    const older = await count(`SELECT sum(requests) FROM request_rollups
      WHERE hour < '${hourStart}'`);
    assert.equal(older, 2 * raw);
  },
);
