/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { spanText } from "./retention.ts";

Deno.test("spanText() says a span in its largest whole unit", () => {
  assert.equal(spanText(7 * 86_400_000), "7 days");
  assert.equal(spanText(86_400_000), "1 day");
  assert.equal(spanText(36 * 3_600_000), "36 hours");
  assert.equal(spanText(90 * 60_000), "90 minutes");
  assert.equal(spanText(10_000), "10 seconds");
  assert.equal(spanText(1500), "1.5 seconds");
  assert.equal(spanText(250), "250 ms");
});
