/**
 * The accounts API, mounted by the control plane at `/api`: `/auth/*` (state, login, setup,
 * logout, me, password), `/users` and `/keys`. The guard (`guard.ts`) runs first.
 *
 * @module
 */

import { Hono } from "hono";
import { authRoutes } from "./auth_routes.ts";
import type { AccountsEnv } from "./guard.ts";
import type { RouteDeps } from "./http.ts";
import { keyRoutes } from "./key_routes.ts";
import { userRoutes } from "./user_routes.ts";

export type { RouteDeps } from "./http.ts";

/** The `/api` routes of accounts on a hub with a database. */
export function accountRoutes(deps: RouteDeps): Hono<AccountsEnv> {
  return new Hono<AccountsEnv>()
    .route("/auth", authRoutes(deps))
    .route("/users", userRoutes(deps))
    .route("/keys", keyRoutes(deps));
}
