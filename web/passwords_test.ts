/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { MIN_PASSWORD, passwordProblem } from "./passwords.ts";

Deno.test("passwordProblem() wants the minimum length and the same password twice", () => {
  assert.equal(passwordProblem("x".repeat(MIN_PASSWORD), "x".repeat(MIN_PASSWORD)), null);
  assert.equal(passwordProblem("short", "short"), "The password needs at least 8 characters");
  assert.equal(passwordProblem("long enough", "long enougH"), "The two passwords differ");
});
