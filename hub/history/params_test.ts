import assert from "node:assert/strict";
import { FleetError } from "../../shared/errors.ts";
import {
  bucketStarts,
  encodeCursor,
  formatStep,
  MAX_POINTS,
  parseChoice,
  parseChoices,
  parseCursor,
  parseLimit,
  parseRange,
  parseStatus,
  parseStep,
  parseTime,
  parseWindow,
  pointCount,
  sourceFor,
} from "./params.ts";

const NOW = Date.parse("2025-03-10T12:00:00Z");
const H = 3_600_000;

/** Asserts a 400 whose message matches `pattern`. */
function badRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FleetError, `not a FleetError: ${error}`);
    assert.equal(error.code, "BAD_REQUEST");
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("parseTime() reads ISO 8601, now, relative times and epoch seconds or ms", () => {
  const at = { param: "from", now: NOW };
  assert.equal(parseTime("now", at), NOW);
  assert.equal(parseTime("-24h", at), NOW - 24 * H);
  assert.equal(parseTime("now-24h", at), NOW - 24 * H);
  assert.equal(parseTime("-7d", at), NOW - 7 * 24 * H);
  assert.equal(parseTime("-90m", at), NOW - 90 * 60_000);
  assert.equal(parseTime("-30s", at), NOW - 30_000);
  assert.equal(parseTime("2025-03-01T00:00:00Z", at), Date.parse("2025-03-01T00:00:00Z"));
  assert.equal(parseTime("2025-03-01T02:00:00+02:00", at), Date.parse("2025-03-01T00:00:00Z"));
  assert.equal(
    parseTime("2025-03-01T00:00:00", at),
    Date.parse("2025-03-01T00:00:00Z"),
    "no offset means UTC, whatever the hub's time zone",
  );
  assert.equal(parseTime("2025-03-01", at), Date.parse("2025-03-01T00:00:00Z"));
  assert.equal(parseTime("1741600000", at), 1_741_600_000_000, "seconds below 1e11");
  assert.equal(parseTime("1741600000123", at), 1_741_600_000_123, "milliseconds above");
  for (const bad of ["yesterday", "-24x", "now+1h", "2025-13-45T00:00:00Z", "-1.5h", "1e9"]) {
    badRequest(() => parseTime(bad, at), /^Invalid from ".*": expected an ISO 8601 time/);
  }
});

Deno.test("parseRange() defaults to the last 24 hours and refuses empty or huge ranges", () => {
  assert.deepEqual(parseRange({}, NOW), { from: NOW - 24 * H, to: NOW });
  assert.deepEqual(parseRange({ to: "-1h" }, NOW), { from: NOW - 25 * H, to: NOW - H });
  assert.deepEqual(parseRange({ from: "-2h", to: "" }, NOW), { from: NOW - 2 * H, to: NOW });
  badRequest(() => parseRange({ from: "now", to: "-1h" }, NOW), /from .* must be before to/);
  badRequest(() => parseRange({ from: "-1h", to: "-1h" }, NOW), /must be before/);
  badRequest(() => parseRange({ from: "-401d" }, NOW), /spans 401 days: at most 400/);
  assert.doesNotThrow(() => parseRange({ from: "-400d" }, NOW));
  badRequest(() => parseRange({ to: "soon" }, NOW), /^Invalid to "soon"/);
});

Deno.test("parseStep() reads durations and seconds, with a 10 s floor and 2000 points", () => {
  const hours = { from: NOW - 5 * H, to: NOW };
  assert.equal(parseStep("10s", hours), 10, "5h at 10s is 1800 points");
  assert.equal(parseStep("5m", hours), 300);
  assert.equal(parseStep("1h", hours), 3600);
  assert.equal(parseStep("1d", hours), 86_400);
  assert.equal(parseStep("60", hours), 60);
  badRequest(() => parseStep("5s", hours), /^Invalid step "5s": the smallest step is 10s/);
  badRequest(() => parseStep("9", hours), /smallest step is 10s/);
  for (const bad of ["fast", "1.5h", "-1m", "1y", "m"]) {
    badRequest(() => parseStep(bad, hours), /expected a duration \("10s", "5m", "1h", "1d"\)/);
  }
  const week = { from: NOW - 7 * 24 * H, to: NOW };
  badRequest(() => parseStep("10s", week), /gives 60480 points .* at most 2000 .* step of 303s/);
  assert.ok(pointCount(week, 303) <= MAX_POINTS, "the suggested step fits");
  assert.ok(pointCount(week, 302) > MAX_POINTS, "and is the smallest that does");
});

Deno.test("parseStep() picks a nice step for about 300 points when none is given", () => {
  const span = (ms: number) => ({ from: NOW - ms, to: NOW });
  assert.equal(parseStep(undefined, span(H)), 30, "1h: 10s would give 360 points");
  assert.equal(parseStep(undefined, span(30 * 60_000)), 10);
  assert.equal(parseStep(undefined, span(24 * H)), 300);
  assert.equal(parseStep(undefined, span(7 * 24 * H)), 3600);
  assert.equal(parseStep(undefined, span(30 * 24 * H)), 10_800);
  assert.equal(parseStep(undefined, span(90 * 24 * H)), 43_200);
  assert.equal(parseStep(undefined, span(400 * 24 * H)), 2 * 86_400, "past 1d: whole days");
  for (const ms of [H, 24 * H, 90 * 24 * H, 400 * 24 * H]) {
    assert.ok(pointCount(span(ms), parseStep(undefined, span(ms))) <= 301);
  }
  assert.deepEqual(parseWindow({ from: "-1h" }, { now: NOW }), {
    from: NOW - H,
    to: NOW,
    step: 30,
  });
});

Deno.test("parseWindow() picks a whole-hour step for a range older than raw history", () => {
  const params = { from: "-3d", to: "-2d" };
  assert.equal(parseWindow(params, { now: NOW }).step, 300);
  assert.equal(parseWindow(params, { now: NOW, rawRetentionMs: 4 * 24 * H }).step, 300);
  assert.equal(parseWindow(params, { now: NOW, rawRetentionMs: 2 * 24 * H }).step, 3600);
  const asked = { ...params, step: "5m" };
  assert.equal(parseWindow(asked, { now: NOW, rawRetentionMs: H }).step, 300, "asked for: kept");
  assert.deepEqual([600, 3600, 5400, 7200, 86_400].map(sourceFor), [
    "raw",
    "rollup",
    "raw",
    "rollup",
    "rollup",
  ]);
});

Deno.test("bucketStarts() covers the range with buckets aligned to the epoch", () => {
  const from = Date.parse("2025-03-10T10:07:00Z");
  const to = Date.parse("2025-03-10T12:00:00Z");
  const times = bucketStarts({ from, to, step: 3600 });
  assert.deepEqual(times, [
    Date.parse("2025-03-10T10:00:00Z") / 1000,
    Date.parse("2025-03-10T11:00:00Z") / 1000,
  ]);
  assert.equal(pointCount({ from, to }, 3600), 2);
  assert.equal(bucketStarts({ from, to: to + 1, step: 3600 }).length, 3, "to is exclusive");
  assert.equal(formatStep(3600), "1h");
  assert.equal(formatStep(90), "90s");
  assert.equal(formatStep(172_800), "2d");
});

Deno.test("parseLimit() takes 1 to 1000, 100 by default", () => {
  assert.equal(parseLimit(undefined), 100);
  assert.equal(parseLimit(""), 100);
  assert.equal(parseLimit("1"), 1);
  assert.equal(parseLimit("1000"), 1000);
  for (const bad of ["0", "1001", "ten", "1.5", "-3"]) {
    badRequest(() => parseLimit(bad), /^Invalid limit ".*": expected an integer from 1 to 1000$/);
  }
});

Deno.test("parseCursor() reads back what encodeCursor() made and nothing else", () => {
  const cursor = {
    time: "2025-03-10T11:59:59.123456Z",
    id: "0195815c-4a5e-7a3b-9c1d-2e3f4a5b6c7d",
  };
  const text = encodeCursor(cursor);
  assert.match(text, /^[A-Za-z0-9_-]+$/, "base64url, safe in a URL unescaped");
  assert.deepEqual(parseCursor(text), cursor);
  assert.equal(parseCursor(undefined), undefined);
  assert.equal(parseCursor(""), undefined);
  const forged = (s: string) => btoa(s).replaceAll("=", "");
  for (
    const bad of [
      "not a cursor!",
      "abc",
      forged("2025-03-10T11:59:59Z|not-a-uuid"),
      forged(`yesterday|${cursor.id}`),
      forged(`${cursor.time}|${cursor.id}|extra`),
    ]
  ) {
    badRequest(() => parseCursor(bad), /^Invalid cursor .*: pass the "next" value/);
  }
});

Deno.test("parseStatus() and parseChoice() accept their listed values only", () => {
  assert.deepEqual(parseStatus("200"), { code: 200 });
  assert.deepEqual(parseStatus("4xx"), { class: 4 });
  assert.deepEqual(parseStatus("5XX"), { class: 5 });
  assert.equal(parseStatus("error"), "error");
  assert.equal(parseStatus("ok"), "ok");
  assert.equal(parseStatus(undefined), undefined);
  for (const bad of ["600", "20", "4x", "failed"]) {
    badRequest(() => parseStatus(bad), /^Invalid status ".*": expected a code/);
  }
  const by = { param: "by", choices: ["model", "host"] as const, fallback: "model" as const };
  assert.equal(parseChoice(undefined, by), "model");
  assert.equal(parseChoice("host", by), "host");
  badRequest(() => parseChoice("gpu", by), /^Invalid by "gpu": expected one of model, host$/);
  const event = { param: "event", choices: ["load", "unload"] as const };
  assert.deepEqual(parseChoices("load, unload", event), ["load", "unload"]);
  assert.equal(parseChoices(undefined, event), undefined);
  badRequest(() => parseChoices("load,boot", event), /^Invalid event "boot"/);
});
