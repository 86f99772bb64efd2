/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import {
  checkCustom,
  chooseStep,
  fromLocalInput,
  rangeLabel,
  resolveRange,
  stepLabel,
  TARGET_POINTS,
  toLocalInput,
} from "./range.ts";

const NOW = Date.UTC(2026, 10, 22, 18, 0, 0);
const HOUR = 3_600_000;
const DAY = 86_400_000;

Deno.test("resolveRange() ends a preset now and keeps a custom span as it is", () => {
  assert.deepEqual(resolveRange({ kind: "preset", preset: "1h" }, NOW), {
    from: NOW - HOUR,
    to: NOW,
  });
  assert.deepEqual(resolveRange({ kind: "preset", preset: "7d" }, NOW), {
    from: NOW - 7 * DAY,
    to: NOW,
  });
  assert.deepEqual(resolveRange({ kind: "custom", from: 5, to: 10 }, NOW), { from: 5, to: 10 });
});

Deno.test("chooseStep() picks the smallest nice step within the target number of points", () => {
  const step = (ms: number) => chooseStep({ from: NOW - ms, to: NOW }, { now: NOW });
  assert.equal(step(HOUR), 30);
  assert.equal(step(6 * HOUR), 120);
  assert.equal(step(24 * HOUR), 600);
  assert.equal(step(7 * DAY), 3600);
  assert.equal(step(10 * 60_000), 10);
  for (const span of [HOUR, 6 * HOUR, 24 * HOUR, 7 * DAY, 90 * DAY, 400 * DAY]) {
    assert.ok(span / 1000 / step(span) <= TARGET_POINTS, `span ${span}`);
  }
  assert.equal(step(400 * DAY) % 86_400, 0);
});

Deno.test("chooseStep() rounds up to whole hours for a range older than the raw retention", () => {
  const old = { from: NOW - 10 * DAY, to: NOW - 10 * DAY + 2 * HOUR };
  assert.equal(chooseStep(old, { now: NOW }), 3600);
  assert.equal(chooseStep(old, { now: NOW, rawRetentionMs: 30 * DAY }), 60);
  const recent = { from: NOW - 2 * HOUR, to: NOW };
  assert.equal(chooseStep(recent, { now: NOW, rawRetentionMs: HOUR }), 3600);
});

Deno.test("stepLabel() names a bucket width in its largest whole unit", () => {
  assert.equal(stepLabel(30), "30 s");
  assert.equal(stepLabel(600), "10 min");
  assert.equal(stepLabel(7200), "2 h");
  assert.equal(stepLabel(86_400), "1 d");
  assert.equal(stepLabel(90), "90 s");
});

Deno.test("toLocalInput() and fromLocalInput() round-trip a time to the minute", () => {
  const t = new Date(2026, 10, 22, 9, 5).getTime();
  assert.equal(toLocalInput(t), "2026-11-22T09:05");
  assert.equal(fromLocalInput("2026-11-22T09:05"), t);
  assert.equal(fromLocalInput("2026-11-22T09:05:30"), t + 30_000);
  assert.equal(fromLocalInput(toLocalInput(t + 59_000)), t);
});

Deno.test("fromLocalInput() refuses text that is not a real local date and time", () => {
  assert.equal(fromLocalInput(""), null);
  assert.equal(fromLocalInput("2026-11-22"), null);
  assert.equal(fromLocalInput("2026-02-30T10:00"), null);
  assert.equal(fromLocalInput("yesterday"), null);
});

Deno.test("checkCustom() accepts a span and says what is wrong with a bad one", () => {
  const from = new Date(2026, 10, 22, 9, 0).getTime();
  assert.deepEqual(checkCustom("2026-11-22T09:00", "2026-11-22T10:30"), {
    from,
    to: from + 90 * 60_000,
  });
  assert.deepEqual(checkCustom("", "2026-11-22T10:30"), { error: "Enter a start date and time" });
  assert.deepEqual(checkCustom("2026-11-22T09:00", "x"), { error: "Enter an end date and time" });
  assert.deepEqual(checkCustom("2026-11-22T10:00", "2026-11-22T09:00"), {
    error: "The start must be before the end",
  });
  assert.deepEqual(checkCustom("2024-01-01T00:00", "2026-01-01T00:00"), {
    error: "A range can span at most 400 days",
  });
});

Deno.test("rangeLabel() reads a preset by name and a custom span by its ends", () => {
  assert.equal(rangeLabel({ kind: "preset", preset: "24h" }), "Last 24 hours");
  const from = new Date(2026, 10, 22, 9, 0).getTime();
  assert.equal(
    rangeLabel({ kind: "custom", from, to: from + 5.5 * HOUR }),
    "Nov 22 09:00 → Nov 22 14:30",
  );
});
