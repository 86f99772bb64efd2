import assert from "node:assert/strict";
import { alignSeries, columnsOf } from "./series.ts";

const T0 = Date.parse("2025-03-10T10:00:00Z") / 1000;
const window = { from: T0 * 1000, to: (T0 + 300) * 1000, step: 60 };
const FIELDS = { requests: "count", latency: "gauge" } as const;

Deno.test("alignSeries() fills every bucket: counts with 0, measurements with null", () => {
  const rows = [
    { t: T0, group: "a", requests: 2, latency: 120 },
    { t: T0 + 180, group: "a", requests: 1, latency: null },
    { t: T0 + 60, group: "b", requests: "5", latency: "80.5" },
    { t: T0 + 600, group: "a", requests: 99, latency: 1 },
  ];
  const aligned = alignSeries(rows, { window, fields: FIELDS, rankBy: "requests" });
  const times = [T0, T0 + 60, T0 + 120, T0 + 180, T0 + 240];
  assert.deepEqual(aligned.times, times);
  assert.deepEqual(aligned.groups, ["b", "a"], "b has 5 requests in the window, a has 3");
  assert.equal(aligned.omitted, 0);
  assert.deepEqual(aligned.series.requests, [times, [0, 5, 0, 0, 0], [2, 0, 0, 1, 0]]);
  assert.deepEqual(aligned.series.latency, [
    times,
    [null, 80.5, null, null, null],
    [120, null, null, null, null],
  ]);
  assert.equal(aligned.series.requests[0], aligned.series.latency[0], "one shared time column");
});

Deno.test("alignSeries() keeps the busiest groups up to the limit and counts the rest", () => {
  const rows = ["x", "y", "z", "w"].map((group, i) => ({ t: T0, group, requests: i % 2 }));
  const aligned = alignSeries(rows, {
    window,
    fields: FIELDS,
    rankBy: "requests",
    limit: 2,
    labels: new Map([["y", "alpha"], ["w", "beta"]]),
  });
  assert.deepEqual(aligned.groups, ["y", "w"], "ties are broken by label");
  assert.equal(aligned.omitted, 2);
  assert.equal(aligned.series.requests.length, 3);
});

Deno.test("alignSeries() keeps groups that must be there even without rows", () => {
  const aligned = alignSeries([], { window, fields: FIELDS, always: ["all"] });
  assert.deepEqual(aligned.groups, ["all"]);
  assert.deepEqual(aligned.series.requests[1], [0, 0, 0, 0, 0]);
  assert.deepEqual(aligned.series.latency[1], [null, null, null, null, null]);
  const empty = alignSeries([], { window, fields: FIELDS });
  assert.deepEqual(empty.series.requests, [empty.times], "no groups: only the time column");
  assert.deepEqual(columnsOf(empty, ["latency", "requests"]), [
    empty.times,
    [null, null, null, null, null],
    [null, null, null, null, null],
  ]);
});

Deno.test("columnsOf() turns one group's fields into a table", () => {
  const rows = [{ t: T0 + 60, group: "host", requests: 3, latency: 7 }];
  const aligned = alignSeries(rows, { window, fields: FIELDS, always: ["host"] });
  assert.deepEqual(columnsOf(aligned, ["latency", "requests"]), [
    aligned.times,
    [null, 7, null, null, null],
    [0, 3, 0, 0, 0],
  ]);
});
