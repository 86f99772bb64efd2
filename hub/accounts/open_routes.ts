/**
 * The accounts routes of a hub without a database (history off): there are no accounts, everyone
 * acts as the admin `local`, and only the configuration file's API keys exist. What needs the
 * database answers 404 with the reason.
 *
 * @module
 */

import { Hono } from "hono";
import type { AuthState, Me } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { ApiKey } from "../config.ts";
import { configKeyView } from "./api_keys.ts";
import type { AccountsEnv } from "./guard.ts";

function noAccounts(): never {
  throw new FleetError(
    "NOT_FOUND",
    "This hub has no accounts or dashboard keys: it runs without a database (history is off)",
    404,
  );
}

/** The `/api` routes of accounts on a hub without a database. */
export function openRoutes(
  configKeys: readonly ApiKey[],
  hub: { name: string; version: string },
): Hono<AccountsEnv> {
  const app = new Hono<AccountsEnv>();
  app.get("/auth/state", (c) => c.json<AuthState>({ accounts: false, setupNeeded: false, hub }));
  app.get("/auth/me", (c) => c.json<Me>({ user: c.get("user"), csrf: "" }));
  app.post("/auth/logout", (c) => c.body(null, 204));
  app.get("/keys", (c) => c.json({ keys: configKeys.map(configKeyView) }));
  app.all("/auth/*", noAccounts);
  app.all("/users", noAccounts);
  app.all("/users/*", noAccounts);
  app.all("/keys", noAccounts);
  app.all("/keys/*", noAccounts);
  return app;
}
