import assert from "node:assert/strict";
import { testBothBackends } from "../history/testing.ts";
import { SESSION_POLICY, Sessions, sessionState } from "./sessions.ts";
import { changeUser, createUser, type User } from "./users.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.parse("2025-06-01T12:00:00Z");

Deno.test("sessionState() ends a session 7 days idle or 30 days old, and touches once a minute", () => {
  const s = { createdAt: T0, lastSeen: T0 };
  assert.equal(sessionState(s, T0 + 30_000), "alive");
  assert.equal(sessionState(s, T0 + MIN), "touch");
  assert.equal(sessionState(s, T0 + 7 * DAY - 1), "touch");
  assert.equal(sessionState(s, T0 + 7 * DAY), "expired");
  const busy = { createdAt: T0, lastSeen: T0 + 30 * DAY - MIN };
  assert.equal(sessionState(busy, T0 + 30 * DAY - 1), "alive");
  assert.equal(
    sessionState(busy, T0 + 30 * DAY),
    "expired",
    "used all along, still 30 days at most",
  );
  assert.equal(SESSION_POLICY.touchMs, MIN);
});

async function someone(db: Parameters<typeof createUser>[0], role: User["role"] = "admin") {
  const view = await createUser(db, { username: "ann", password: "password-1", role });
  return { id: view.id, username: view.username, role: view.role };
}

await testBothBackends("Sessions keep a token's hash only, and expire when idle", async (db) => {
  const clock = { now: T0 };
  const sessions = new Sessions(db, { now: () => clock.now });
  const user = await someone(db);
  const { token, session } = await sessions.start(user);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  const [row] = await db.query<{ token_hash: string; csrf: string }>("SELECT * FROM sessions");
  assert.notEqual(row!.token_hash, token, "the token itself is not stored");
  assert.equal(row!.token_hash, session.tokenHash);

  assert.deepEqual(await sessions.find(token), session);
  assert.equal(await sessions.find("x".repeat(43)), null);
  assert.equal(await sessions.find("not a token"), null);

  const lastSeen = async () =>
    new Date((await db.query<{ last_seen: Date }>("SELECT last_seen FROM sessions"))[0]!.last_seen)
      .getTime();
  clock.now = T0 + 30_000;
  await sessions.find(token);
  assert.equal(await lastSeen(), T0, "not written within a minute");
  clock.now = T0 + 2 * MIN;
  await sessions.find(token);
  assert.equal(await lastSeen(), T0 + 2 * MIN);

  clock.now = T0 + 2 * MIN + 7 * DAY;
  assert.equal(await sessions.find(token), null, "7 days unused");
  assert.equal((await db.query("SELECT 1 FROM sessions")).length, 0, "and gone");
});

await testBothBackends(
  "Sessions end after 30 days in use, and prune() drops expired ones",
  async (db) => {
    const clock = { now: T0 };
    const sessions = new Sessions(db, { now: () => clock.now });
    const user = await someone(db);
    const busy = await sessions.start(user);
    let idle: Awaited<ReturnType<typeof sessions.start>> | null = null;
    for (const day of [5, 10, 15, 20, 25, 29]) {
      clock.now = T0 + day * DAY;
      assert.ok(await sessions.find(busy.token), `alive on day ${day}`);
      if (day === 10) idle = await sessions.start(user);
      if (day === 15) {
        clock.now = T0 + 17 * DAY + 1;
        assert.equal(await sessions.prune(), 1, "the idle one (7 days unused)");
        assert.equal(await sessions.find(idle!.token), null);
      }
    }
    clock.now = T0 + 30 * DAY;
    assert.equal(await sessions.find(busy.token), null, "30 days old");
  },
);

await testBothBackends(
  "a user's sessions end with a new password, a disable and a delete",
  async (db) => {
    const sessions = new Sessions(db, { now: () => T0 });
    const user = await someone(db, "viewer");
    await createUser(db, { username: "boss", password: "password-3", role: "admin" });
    const a = await sessions.start(user);
    const b = await sessions.start(user);
    await changeUser(db, user.id, { password: "password-2" }, { keepSession: a.session.tokenHash });
    assert.ok(await sessions.find(a.token), "the session it was changed from stays");
    assert.equal(await sessions.find(b.token), null);

    await changeUser(db, user.id, { role: "admin" });
    assert.equal((await sessions.find(a.token))?.user.role, "admin", "the role is read each time");
    await changeUser(db, user.id, { role: "viewer" });
    assert.equal((await sessions.find(a.token))?.user.role, "viewer", "a demotion at once");

    const c = await sessions.start(user);
    await changeUser(db, user.id, { disabled: true });
    assert.equal(await sessions.find(c.token), null);
    await changeUser(db, user.id, { disabled: false });
    const d = await sessions.start(user);
    await db.query("DELETE FROM users WHERE id = $1", [user.id]);
    assert.equal(await sessions.find(d.token), null);
  },
);
