import assert from "node:assert/strict";
import { formatGoTime } from "./go_time.ts";

Deno.test("formatGoTime() writes RFC 3339 with trimmed nanoseconds", () => {
  const t = Date.UTC(2026, 7, 21, 10, 0, 0);
  assert.equal(formatGoTime(t, { utc: true }), "2026-08-21T10:00:00Z");
  assert.equal(formatGoTime(t + 123, { utc: true }), "2026-08-21T10:00:00.123Z");
  // Fractions of a millisecond that binary floating point holds exactly at this magnitude.
  assert.equal(formatGoTime(t + 123.5, { utc: true }), "2026-08-21T10:00:00.1235Z");
  assert.equal(formatGoTime(t + 0.25, { utc: true }), "2026-08-21T10:00:00.00025Z");
  // Elsewhere a double keeps about a quarter of a microsecond: stamps are right to the microsecond.
  assert.match(formatGoTime(t + 1.2345678, { utc: true }), /^2026-08-21T10:00:00\.00123\d{1,4}Z$/);
});

Deno.test("formatGoTime() handles years past 2300, as a forever keep_alive shows", () => {
  assert.match(formatGoTime(Date.UTC(2318, 0, 25), { utc: true }), /^2318-01-25T00:00:00Z$/);
});

Deno.test("formatGoTime() parses back to the same instant in local form", () => {
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  assert.equal(new Date(formatGoTime(t)).getTime(), t);
});
