import assert from "node:assert/strict";
import { quantile, runLoad } from "./load.ts";

Deno.test("quantile() picks the nearest rank", () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(quantile(values, 0.5), 5);
  assert.equal(quantile(values, 0.99), 10);
  assert.equal(quantile(values, 0), 1);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

Deno.test("runLoad() sends exactly `count` requests and counts failures apart", async () => {
  let calls = 0;
  const result = await runLoad(() => {
    calls++;
    return calls % 4 === 0 ? Promise.reject(new Error("x")) : Promise.resolve();
  }, { concurrency: 3, count: 20 });
  assert.equal(calls, 20);
  assert.equal(result.failures, 5);
  assert.equal(result.requests, 15);
});
