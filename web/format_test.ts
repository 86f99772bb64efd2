/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { ago, bytes, bytesOf, dateTime, duration, percent } from "./format.ts";

Deno.test("bytes() uses decimal units with two, one or no decimals", () => {
  assert.equal(bytes(0), "0 B");
  assert.equal(bytes(999), "999 B");
  assert.equal(bytes(1500), "1.50 KB");
  assert.equal(bytes(24e9), "24.0 GB");
  assert.equal(bytes(512e6), "512 MB");
  assert.equal(bytes(3.2e12), "3.20 TB");
  assert.equal(bytes(5e15), "5000 TB");
  assert.equal(bytes(-2e9), "-2.00 GB");
  assert.equal(bytes(null), "–");
  assert.equal(bytes(undefined), "–");
  assert.equal(bytes(Number.NaN), "–");
});

Deno.test("duration() picks the unit by size", () => {
  assert.equal(duration(850), "850 ms");
  assert.equal(duration(-5), "0 ms");
  assert.equal(duration(1234), "1.2 s");
  assert.equal(duration(12_300), "12 s");
  assert.equal(duration(245_000), "4m 05s");
  assert.equal(duration(3 * 3600_000 + 12 * 60_000), "3h 12m");
  assert.equal(duration(52 * 3600_000), "2d 4h");
  assert.equal(duration(null), "–");
});

Deno.test("ago() reads as past time from now", () => {
  assert.equal(ago(1000, 1500), "just now");
  assert.equal(ago(0, 5000), "5.0 s ago");
  assert.equal(ago(0, 190_000), "3m 10s ago");
  assert.equal(ago(null, 0), "never");
});

Deno.test("percent() rounds; dateTime() is local and zero-padded", () => {
  assert.equal(percent(42.4), "42 %");
  assert.equal(percent(null), "–");
  const d = new Date(2026, 0, 2, 3, 4, 5).getTime();
  assert.equal(dateTime(d), "2026-01-02 03:04:05");
});

Deno.test("bytesOf() writes a part in its whole's unit", () => {
  assert.equal(bytesOf(40.9e9, 128e9), "40.9/128 GB");
  assert.equal(bytesOf(1.22e12, 2e12), "1.22/2.00 TB");
  assert.equal(bytesOf(512e6, 24e9), "0.51/24.0 GB");
  assert.equal(bytesOf(300, 900), "300/900 B");
  assert.equal(bytesOf(5e9, 0), "5.00 GB");
  assert.equal(bytesOf(null, 1e9), "–");
});
