/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { formatTick, formatValue, logTime, shortBytes, shortNumber, timeTicks } from "./units.ts";

Deno.test("shortNumber() keeps a number to about four characters", () => {
  assert.equal(shortNumber(0), "0");
  assert.equal(shortNumber(0.256), "0.26");
  assert.equal(shortNumber(12.34), "12.3");
  assert.equal(shortNumber(345.6), "346");
  assert.equal(shortNumber(1500), "1.5k");
  assert.equal(shortNumber(12_345), "12k");
  assert.equal(shortNumber(2_500_000), "2.5M");
  assert.equal(shortNumber(-1500), "-1.5k");
});

Deno.test("formatValue() writes a value with its unit, and a dash for a gap", () => {
  assert.equal(formatValue("req/min", 12.5), "12.5 req/min");
  assert.equal(formatValue("tok/s", 1234), "1.2k tok/s");
  assert.equal(formatValue("ms", 850), "850 ms");
  assert.equal(formatValue("ms", 12_300), "12 s");
  assert.equal(formatValue("%", 42.4), "42 %");
  assert.equal(formatValue("%", 4.25), "4.3 %");
  assert.equal(formatValue("°C", 71.6), "72 °C");
  assert.equal(formatValue("W", 249.6), "250 W");
  assert.equal(formatValue("bytes", 1.5e9), "1.50 GB");
  assert.equal(formatValue("", 3.14159), "3.14");
  assert.equal(formatValue("%", null), "–");
  assert.equal(formatValue("W", NaN), "–");
});

Deno.test("formatTick() writes short axis labels", () => {
  assert.equal(formatTick("%", 50), "50%");
  assert.equal(formatTick("°C", 80), "80°");
  assert.equal(formatTick("bytes", 2e9), "2 GB");
  assert.equal(formatTick("bytes", 10e9), "10 GB");
  assert.equal(formatTick("bytes", 0), "0");
  assert.equal(formatTick("ms", 0), "0");
  assert.equal(formatTick("ms", 1500), "1.5 s");
  assert.equal(formatTick("req/min", 1200), "1.2k");
});

Deno.test("timeTicks() writes 24-hour times and dates where the day changes", () => {
  const at = (d: number, h: number, m: number, s = 0) =>
    new Date(2026, 10, d, h, m, s).getTime() / 1000;
  assert.deepEqual(timeTicks([at(22, 22, 0), at(22, 23, 0), at(23, 0, 0), at(23, 1, 0)], 3600), [
    "22:00\nNov 22",
    "23:00",
    "00:00\nNov 23",
    "01:00",
  ]);
  assert.deepEqual(timeTicks([at(22, 9, 5, 10), at(22, 9, 5, 40)], 30), [
    "09:05:10\nNov 22",
    "09:05:40",
  ]);
  assert.deepEqual(timeTicks([at(22, 0, 0), at(23, 0, 0)], 86_400), ["Nov 22", "Nov 23"]);
});

Deno.test("shortBytes() writes sizes in decimal units without trailing zeros", () => {
  assert.equal(shortBytes(2.5e9), "2.5 GB");
  assert.equal(shortBytes(512e6), "512 MB");
  assert.equal(shortBytes(999), "999 B");
  assert.equal(shortBytes(-1500), "-1.5 KB");
});

Deno.test("logTime() drops the date on the same day and keeps it otherwise", () => {
  const now = new Date(2026, 10, 22, 18, 0).getTime();
  assert.equal(logTime(new Date(2026, 10, 22, 9, 5, 7).getTime(), now), "09:05:07");
  assert.equal(logTime(new Date(2026, 10, 21, 23, 59, 59).getTime(), now), "Nov 21 23:59:59");
  assert.equal(logTime(new Date(2025, 10, 22, 9, 0, 0).getTime(), now), "Nov 22 09:00:00");
});
