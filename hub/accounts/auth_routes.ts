/**
 * `/api/auth/*` with accounts: the hub's state, login, the first admin's setup, logout, who am I,
 * and changing one's own password. A wrong username and a wrong password get the same 401 after
 * the same work; too many failures get a 429 with `Retry-After`.
 *
 * @module
 */

import { Hono } from "hono";
import type { AuthState, Me } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { AccountsEnv } from "./guard.ts";
import {
  type AccountsContext,
  clearSessionCookie,
  clientAddress,
  readBody,
  type RouteDeps,
  setSessionCookie,
} from "./http.ts";
import {
  hashPassword,
  MAX_PASSWORD,
  needsRehash,
  parsePassword,
  verifyPassword,
  wastePasswordCheck,
} from "./password.ts";
import {
  changeUser,
  countUsers,
  createUser,
  findUser,
  parseNewUser,
  recordLogin,
  type User,
} from "./users.ts";

const WRONG = "Wrong username or password";

/** Refuses when `username` or `address` failed too often, with `Retry-After`. */
function checkLimit(c: AccountsContext, deps: RouteDeps, username: string): void {
  const verdict = deps.limiter.check(username, clientAddress(c), deps.now());
  if (verdict.ok) return;
  c.header("Retry-After", String(verdict.retryAfterS));
  throw new FleetError(
    "TOO_MANY_REQUESTS",
    `Too many failed logins: try again in ${verdict.retryAfterS} s`,
    429,
  );
}

/** Starts a session for `user`, sets its cookie, and answers who they are. */
async function logIn(c: AccountsContext, deps: RouteDeps, user: User): Promise<Response> {
  const { token, session } = await deps.sessions.start(user);
  setSessionCookie(c, token, deps.sessions.maxAgeS);
  return c.json<Me>({ user: session.user, csrf: session.csrf });
}

/** The `/api/auth` routes. */
export function authRoutes(deps: RouteDeps): Hono<AccountsEnv> {
  const { db, sessions, limiter, setup, now } = deps;
  const app = new Hono<AccountsEnv>();

  app.get("/state", async (c) =>
    c.json<AuthState>({
      accounts: true,
      setupNeeded: await deps.setupNeeded(),
      hub: deps.hub,
    }));

  app.post("/login", async (c) => {
    const body = await readBody(c);
    const username = typeof body.username === "string" ? body.username.trim().toLowerCase() : "";
    const password = typeof body.password === "string" ? body.password : "";
    if (!username || !password) {
      throw new FleetError("BAD_REQUEST", "username and password are required", 400);
    }
    checkLimit(c, deps, username);
    const user = password.length <= MAX_PASSWORD ? await findUser(db, username) : null;
    const ok = user
      ? await verifyPassword(password, user.passwordHash)
      : await wastePasswordCheck(password.slice(0, MAX_PASSWORD)).then(() => false);
    if (!user || !ok) {
      limiter.fail(username, clientAddress(c), now());
      throw new FleetError("UNAUTHORIZED", WRONG, 401);
    }
    if (user.disabled) {
      throw new FleetError("UNAUTHORIZED", "This account is disabled: ask an admin", 401);
    }
    limiter.succeed(username);
    const rehash = needsRehash(user.passwordHash) ? await hashPassword(password) : null;
    await recordLogin(db, user.id, now(), rehash);
    return await logIn(c, deps, { id: user.id, username: user.username, role: user.role });
  });

  app.post("/setup", async (c) => {
    const body = await readBody(c);
    if (setup.value === null) {
      throw new FleetError("CONFLICT", "This hub has users already: log in instead", 409);
    }
    if (!setup.matches(body.token)) {
      throw new FleetError("FORBIDDEN", "Wrong setup token: use the link the hub printed", 403);
    }
    const admin = parseNewUser({ ...body, role: "admin" });
    // Hubs sharing a PostgreSQL each have a token: only one first admin.
    const created = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('corral:setup'))");
      return await countUsers(tx) === 0 ? await createUser(tx, admin) : null;
    });
    setup.consume();
    if (!created) {
      throw new FleetError("CONFLICT", "This hub has users already: log in instead", 409);
    }
    deps.log.info(`accounts: first admin "${created.username}" created with the setup link`);
    await recordLogin(db, created.id, now(), null);
    return await logIn(c, deps, { id: created.id, username: created.username, role: "admin" });
  });

  app.post("/logout", async (c) => {
    await sessions.end(c.get("session")!.tokenHash);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.get("/me", (c) => c.json<Me>({ user: c.get("user"), csrf: c.get("session")!.csrf }));

  app.post("/password", async (c) => {
    const me = c.get("user");
    const body = await readBody(c);
    const password = parsePassword(body.password);
    checkLimit(c, deps, me.username);
    const current = typeof body.current === "string" ? body.current : "";
    const user = await findUser(db, me.username);
    if (!user || !(await verifyPassword(current.slice(0, MAX_PASSWORD), user.passwordHash))) {
      limiter.fail(me.username, clientAddress(c), now());
      throw new FleetError("FORBIDDEN", "The current password is wrong", 403);
    }
    await changeUser(db, me.id, { password }, { keepSession: c.get("session")!.tokenHash });
    return c.body(null, 204);
  });

  return app;
}
