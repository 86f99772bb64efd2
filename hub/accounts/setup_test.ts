import assert from "node:assert/strict";
import { SetupToken } from "./setup.ts";

Deno.test("SetupToken matches its token only until it is consumed, and tells listeners once", () => {
  const setup = new SetupToken();
  const heard: string[] = [];
  setup.onIssue((t) => heard.push(t));
  assert.equal(setup.matches("anything"), false, "no token yet");
  const token = setup.issue();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(setup.issue(), token, "issued once");
  assert.deepEqual(heard, [token]);
  assert.equal(setup.matches(token), true);
  assert.equal(setup.matches(token.slice(1)), false);
  const other = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  assert.equal(setup.matches(other), false, "same length, one character off");
  assert.equal(setup.matches(undefined), false);
  setup.consume();
  assert.equal(setup.value, null);
  assert.equal(setup.matches(token), false);
  const late: string[] = [];
  setup.onIssue((t) => late.push(t));
  assert.deepEqual(late, [], "a listener added after hears nothing until a new token");
});
