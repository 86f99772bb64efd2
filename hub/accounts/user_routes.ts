/**
 * `/api/users` (admins only, as the guard sees to): list, create, change and delete dashboard
 * users. The last enabled admin cannot be demoted, disabled or deleted (409).
 *
 * @module
 */

import { Hono } from "hono";
import type { UserView } from "../../shared/dashboard.ts";
import type { AccountsEnv } from "./guard.ts";
import { idParam, readBody, type RouteDeps } from "./http.ts";
import {
  changeUser,
  createUser,
  deleteUser,
  listUsers,
  parseNewUser,
  parseUserChange,
} from "./users.ts";

/** The `/api/users` routes. */
export function userRoutes(deps: RouteDeps): Hono<AccountsEnv> {
  const { db, log } = deps;
  const app = new Hono<AccountsEnv>();

  app.get("/", async (c) => c.json({ users: await listUsers(db) }));

  app.post("/", async (c) => {
    const user = await createUser(db, parseNewUser(await readBody(c)));
    log.info(`accounts: ${c.get("user").username} created ${user.role} "${user.username}"`);
    return c.json<UserView>(user, 201);
  });

  app.patch("/:id", async (c) => {
    const id = idParam(c, "user");
    const change = parseUserChange(await readBody(c));
    const session = c.get("session");
    // Changing one's own password keeps the session it is changed from.
    const keepSession = session && session.user.id === id ? session.tokenHash : undefined;
    const user = await changeUser(db, id, change, { keepSession });
    const what = Object.keys(change).join(", ");
    log.info(`accounts: ${c.get("user").username} changed ${what} of "${user.username}"`);
    return c.json<UserView>(user);
  });

  app.delete("/:id", async (c) => {
    const id = idParam(c, "user");
    await deleteUser(db, id);
    log.info(`accounts: ${c.get("user").username} deleted user ${id}`);
    return c.body(null, 204);
  });

  return app;
}
