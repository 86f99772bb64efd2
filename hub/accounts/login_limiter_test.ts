import assert from "node:assert/strict";
import { LoginLimiter } from "./login_limiter.ts";

const MIN = 60_000;

Deno.test("LoginLimiter refuses a username after 5 failures in 15 minutes, until the first expires", () => {
  const limiter = new LoginLimiter();
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(limiter.check("alice", "10.0.0.1", i * MIN), { ok: true });
    limiter.fail("alice", "10.0.0.1", i * MIN);
  }
  assert.deepEqual(limiter.check("alice", "10.0.0.2", 5 * MIN), { ok: false, retryAfterS: 600 });
  assert.deepEqual(limiter.check("bob", "10.0.0.1", 5 * MIN), { ok: true }, "others may try");
  assert.deepEqual(limiter.check("alice", "10.0.0.1", 15 * MIN), { ok: true });
});

Deno.test("LoginLimiter refuses an address after 20 failures, whatever the usernames", () => {
  const limiter = new LoginLimiter();
  for (let i = 0; i < 20; i++) limiter.fail(`user${i}`, "10.0.0.9", 1000);
  const verdict = limiter.check("someone-new", "10.0.0.9", 2000);
  assert.deepEqual(verdict, { ok: false, retryAfterS: 15 * 60 - 1 });
  assert.deepEqual(limiter.check("someone-new", "10.0.0.8", 2000), { ok: true });
});

Deno.test("LoginLimiter.succeed() clears the username's failures", () => {
  const limiter = new LoginLimiter({ perUser: 2 });
  limiter.fail("alice", "a", 0);
  limiter.succeed("alice");
  limiter.fail("alice", "a", 1);
  assert.deepEqual(limiter.check("alice", "a", 2), { ok: true });
  limiter.fail("alice", "a", 3);
  assert.equal(limiter.check("alice", "a", 4).ok, false);
});
