import assert from "node:assert/strict";
import { FOREVER, parseGoDuration, parseKeepAlive } from "./duration.ts";

Deno.test("parseGoDuration() reads Go durations", () => {
  assert.equal(parseGoDuration("300ms"), 300);
  assert.equal(parseGoDuration("1h30m"), 5_400_000);
  assert.equal(parseGoDuration("1.5s"), 1500);
  assert.equal(parseGoDuration("-1m"), -60_000);
  assert.equal(parseGoDuration("0"), 0);
  assert.equal(parseGoDuration("2us"), 0.002);
});

Deno.test("parseGoDuration() fails with Go's messages", () => {
  assert.throws(() => parseGoDuration("300"), {
    name: "SyntaxError",
    message: `time: missing unit in duration "300"`,
  });
  assert.throws(() => parseGoDuration("abc"), { message: `time: invalid duration "abc"` });
  assert.throws(() => parseGoDuration("5x"), {
    message: `time: unknown unit "x" in duration "5x"`,
  });
  assert.throws(() => parseGoDuration(""), { message: `time: invalid duration ""` });
});

Deno.test("parseKeepAlive() takes seconds, durations, and negatives as forever", () => {
  assert.equal(parseKeepAlive(undefined), undefined);
  assert.equal(parseKeepAlive(null), undefined);
  assert.equal(parseKeepAlive(30), 30_000);
  assert.equal(parseKeepAlive(0.5), 500);
  assert.equal(parseKeepAlive("10m"), 600_000);
  assert.equal(parseKeepAlive(0), 0);
  assert.equal(parseKeepAlive("0"), 0);
  assert.equal(parseKeepAlive(-1), FOREVER);
  assert.equal(parseKeepAlive("-5m"), FOREVER);
  assert.throws(() => parseKeepAlive(true), { message: "Unsupported type: 'bool'" });
  assert.throws(() => parseKeepAlive([1]), { message: "Unsupported type: '[]interface {}'" });
  assert.throws(() => parseKeepAlive("-1"), { message: `time: missing unit in duration "-1"` });
});
