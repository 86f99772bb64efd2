import assert from "node:assert/strict";
import { freshPglite, testBothBackends } from "../history/testing.ts";
import { quiet } from "../log.ts";
import { startAccounts } from "./accounts.ts";
import { Browser, ORIGIN, startTestControl } from "./testing.ts";
import { createControlApp } from "../control.ts";
import { InFlightTable } from "../in_flight.ts";
import { FleetQueue } from "../queue.ts";
import { Registry } from "../registry.ts";
import { CORRAL_VERSION } from "../../shared/version.ts";

const MIN = 60_000;

await testBothBackends(
  "the setup link creates the first admin once, then logs them in",
  async (db) => {
    await using control = await startTestControl(db);
    const browser = new Browser(control.app);
    const state = await browser.send("GET", "/api/auth/state");
    assert.deepEqual(state.body, {
      accounts: true,
      setupNeeded: true,
      hub: { name: "test-hub", version: CORRAL_VERSION },
    });
    const token = control.accounts.setupToken()!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await browser.send("GET", "/api/hosts")).status, 401);

    const setup = { token, username: "Root", password: "first-password" };
    const wrong = await browser.send("POST", "/api/auth/setup", {
      ...setup,
      token: "x".repeat(43),
    });
    assert.deepEqual([wrong.status, wrong.body.error.code], [403, "FORBIDDEN"]);
    const elsewhere = await browser.send("POST", "/api/auth/setup", setup, {
      origin: "https://evil.example",
    });
    assert.equal(elsewhere.status, 403, "a cross-site page cannot use a leaked link");
    const short = await browser.send("POST", "/api/auth/setup", { ...setup, password: "short" });
    assert.equal(short.status, 400);

    const done = await browser.send("POST", "/api/auth/setup", setup);
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.user, { id: done.body.user.id, username: "root", role: "admin" });
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("corral_session="))!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=2592000/);
    assert.doesNotMatch(cookie, /Secure/, "plain http: a Secure cookie would not come back");
    assert.equal((await browser.send("GET", "/api/auth/me")).body.user.username, "root");

    const again = await new Browser(control.app).send("POST", "/api/auth/setup", {
      ...setup,
      username: "intruder",
    });
    assert.deepEqual([again.status, again.body.error.code], [409, "CONFLICT"]);
    assert.equal(control.accounts.setupToken(), null);
    assert.equal((await browser.send("GET", "/api/auth/state")).body.setupNeeded, false);
  },
);

await testBothBackends("CSRF, roles and the last admin, through the control plane", async (db) => {
  await using control = await startTestControl(db);
  await control.accounts.ensureUser({ username: "root", password: "root-password", role: "admin" });
  const admin = new Browser(control.app);
  assert.equal((await admin.login("root", "root-password")).status, 200);
  const rootId = (await admin.send("GET", "/api/auth/me")).body.user.id;

  // Changes need the session's CSRF token.
  const csrf = admin.csrf;
  admin.csrf = null;
  const missing = await admin.send("POST", "/api/users", { username: "v", password: "12345678" });
  assert.deepEqual([missing.status, missing.body.error.code], [403, "FORBIDDEN"]);
  admin.csrf = "x".repeat(43);
  assert.equal((await admin.send("DELETE", `/api/users/${rootId}`)).status, 403);
  admin.csrf = csrf;

  // The last admin stays.
  const demote = await admin.send("PATCH", `/api/users/${rootId}`, { role: "viewer" });
  assert.deepEqual([demote.status, demote.body.error.code], [409, "CONFLICT"]);
  assert.equal((await admin.send("DELETE", `/api/users/${rootId}`)).status, 409);

  const created = await admin.send("POST", "/api/users", {
    username: "Vera",
    password: "vera-password",
    role: "viewer",
  });
  assert.equal(created.status, 201);
  assert.deepEqual([created.body.username, created.body.role], ["vera", "viewer"]);
  const taken = await admin.send("POST", "/api/users", {
    username: "vera",
    password: "other-password",
    role: "viewer",
  });
  assert.equal(taken.status, 409);
  const bad = await admin.send("POST", "/api/users", {
    username: "no spaces",
    password: "12345678",
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /username must be/);

  // A viewer reads, and cannot change anything, even by calling the API directly.
  const viewer = new Browser(control.app, "192.0.2.20");
  assert.equal((await viewer.login("vera", "vera-password")).status, 200);
  assert.equal((await viewer.send("GET", "/api/hosts")).status, 200);
  assert.equal((await viewer.send("GET", "/api/keys")).status, 200);
  for (
    const [method, path, body] of [
      ["POST", "/api/hosts/h1/drain", undefined],
      ["GET", "/api/users", undefined],
      ["POST", "/api/users", { username: "x", password: "12345678" }],
      ["POST", "/api/keys", { name: "mine", models: null }],
      ["PATCH", `/api/users/${rootId}`, { disabled: true }],
    ] as const
  ) {
    const refused = await viewer.send(method, path, body);
    assert.deepEqual([refused.status, refused.body.error.message], [403, "admins only"], path);
  }
  // A promotion and a demotion count at once.
  await admin.send("PATCH", `/api/users/${created.body.id}`, { role: "admin" });
  assert.equal((await viewer.send("POST", "/api/hosts/h1/drain")).status, 404, "past the guard");
  await admin.send("PATCH", `/api/users/${created.body.id}`, { role: "viewer" });
  assert.equal((await viewer.send("POST", "/api/hosts/h1/drain")).status, 403);

  // Anyone may change their own password (knowing it) and log out.
  const wrongCurrent = await viewer.send("POST", "/api/auth/password", {
    current: "not-it-at-all",
    password: "new-vera-password",
  });
  assert.equal(wrongCurrent.status, 403);
  const changed = await viewer.send("POST", "/api/auth/password", {
    current: "vera-password",
    password: "new-vera-password",
  });
  assert.equal(changed.status, 204);
  assert.equal((await viewer.send("GET", "/api/auth/me")).status, 200, "this session stays");
  assert.equal((await new Browser(control.app).login("vera", "vera-password")).status, 401);
  assert.equal((await viewer.send("POST", "/api/auth/logout")).status, 204);
  assert.equal(viewer.cookie, null, "the cookie is cleared");
  assert.equal((await viewer.send("GET", "/api/hosts")).status, 401);

  // Disabled: sessions end and login is refused.
  const vera = new Browser(control.app);
  await vera.login("vera", "new-vera-password");
  await admin.send("PATCH", `/api/users/${created.body.id}`, { disabled: true });
  assert.equal((await vera.send("GET", "/api/hosts")).status, 401);
  assert.equal((await vera.login("vera", "new-vera-password")).status, 401);
  assert.equal((await admin.send("DELETE", `/api/users/${created.body.id}`)).status, 204);
  const users = (await admin.send("GET", "/api/users")).body.users;
  assert.deepEqual(users.map((u: { username: string }) => u.username), ["root"]);
});

await testBothBackends(
  "logins: same 401 for any wrong pair, 429 after 5 failures, Secure on https",
  async (db) => {
    await using control = await startTestControl(db);
    await control.accounts.ensureUser({
      username: "root",
      password: "root-password",
      role: "admin",
    });
    const browser = new Browser(control.app, "198.51.100.7");
    const unknown = await browser.login("nobody", "root-password");
    const wrong = await browser.login("root", "wrong-password");
    assert.deepEqual([unknown.status, unknown.body], [wrong.status, wrong.body]);
    assert.equal(wrong.status, 401);
    for (let i = 0; i < 4; i++) await browser.login("root", `wrong-${i}-password`);
    const limited = await browser.login("root", "root-password");
    assert.deepEqual([limited.status, limited.body.error.code], [429, "TOO_MANY_REQUESTS"]);
    assert.equal(limited.headers.get("retry-after"), "900");
    assert.equal(browser.cookie, null);

    control.clock.now += 15 * MIN;
    const https = await browser.send("POST", "/api/auth/login", {
      username: "ROOT",
      password: "root-password",
    }, { "x-forwarded-proto": "https", origin: ORIGIN.replace("http:", "https:") });
    assert.equal(https.status, 200, "the window has passed");
    assert.match(https.headers.getSetCookie()[0]!, /; Secure/);

    // Sessions end after 7 days without use.
    assert.equal((await browser.send("GET", "/api/auth/me")).status, 200);
    control.clock.now += 7 * 24 * 60 * MIN;
    assert.equal((await browser.send("GET", "/api/auth/me")).status, 401);
  },
);

Deno.test({
  name: "accounts answer 503, not 500, while the database is not ready",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using fresh = await freshPglite();
    await using control = await startTestControl(fresh.db, { ready: () => false });
    const browser = new Browser(control.app);
    for (
      const answer of [
        await browser.send("GET", "/api/auth/state"),
        await browser.login("root", "root-password"),
        await browser.send("GET", "/api/hosts", undefined, {
          cookie: `corral_session=${"a".repeat(43)}`,
        }),
      ]
    ) {
      assert.deepEqual([answer.status, answer.body.error.code], [503, "UNAVAILABLE"]);
      assert.doesNotMatch(answer.body.error.message, /pglite|SELECT/i);
    }
    assert.equal(control.accounts.setupToken(), null, "not known yet");
  },
});

Deno.test({
  name: "startAccounts() issues the setup token once the database is ready",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using fresh = await freshPglite();
    let ready = false;
    const accounts = await startAccounts({
      db: fresh.db,
      ready: () => ready,
      log: quiet,
      configKeys: [],
      keyring: null,
      hub: { name: "h", version: CORRAL_VERSION },
    });
    try {
      const heard = Promise.withResolvers<string>();
      accounts.onSetupToken(heard.resolve);
      ready = true;
      assert.equal(await heard.promise, accounts.setupToken());
    } finally {
      await accounts.stop();
    }
  },
});

Deno.test("without a database: everyone is the admin local, changes must be same-origin JSON", async () => {
  const inFlight = new InFlightTable();
  const app = createControlApp({
    registry: new Registry(inFlight),
    inFlight,
    queue: new FleetQueue({ max: 1, timeoutMs: 1000 }),
  });
  const browser = new Browser(app);
  const state = await browser.send("GET", "/api/auth/state");
  assert.deepEqual([state.body.accounts, state.body.setupNeeded], [false, false]);
  assert.deepEqual((await browser.send("GET", "/api/auth/me")).body.user, {
    id: 0,
    username: "local",
    role: "admin",
  });
  const post = (headers: Record<string, string>, body?: string) =>
    app.request(`${ORIGIN}/api/hosts/h1/drain`, { method: "POST", headers, body });
  assert.equal((await post({ origin: ORIGIN })).status, 404, "past the guard: no host h1");
  assert.equal((await post({})).status, 404, "no Origin (curl) is fine");
  assert.equal((await post({ origin: "http://evil.example" })).status, 403);
  assert.equal((await post({ origin: "null" })).status, 403);
  const form = await post({ "content-type": "application/x-www-form-urlencoded" }, "a=1");
  assert.equal(form.status, 403, "a cross-site form cannot post");
  assert.equal((await post({ "content-type": "text/plain" }, "{}")).status, 403);
  assert.equal((await post({ "content-type": "application/json" }, "{}")).status, 404);
  const users = await browser.send("POST", "/api/users", { username: "x", password: "12345678" });
  assert.deepEqual([users.status, users.body.error.code], [404, "NOT_FOUND"]);
  assert.match(users.body.error.message, /history is off/);
  assert.deepEqual((await browser.send("GET", "/api/keys")).body, { keys: [] });
});
