/**
 * `/api/keys`: the client API keys, the configuration file's (read-only) and the dashboard's.
 * Anyone signed in may list them (no secret is listed); admins create them, seeing the secret
 * once, and revoke them, which stops the key on this hub at once and on hubs sharing the database
 * within 30 s.
 *
 * @module
 */

import { Hono } from "hono";
import type { ApiKeyView, CreatedApiKey } from "../../shared/dashboard.ts";
import {
  configKeyView,
  createApiKey,
  listApiKeys,
  parseNewApiKey,
  revokeApiKey,
} from "./api_keys.ts";
import type { AccountsEnv } from "./guard.ts";
import { idParam, readBody, type RouteDeps } from "./http.ts";

/** The `/api/keys` routes. */
export function keyRoutes(deps: RouteDeps): Hono<AccountsEnv> {
  const { db, keys, configKeys, log, now } = deps;
  const app = new Hono<AccountsEnv>();
  const configNames = configKeys.map((k) => k.name);

  app.get(
    "/",
    async (c) => c.json({ keys: [...configKeys.map(configKeyView), ...await listApiKeys(db)] }),
  );

  app.post("/", async (c) => {
    const user = c.get("user");
    const created = await createApiKey(db, parseNewApiKey(await readBody(c), configNames), user);
    log.info(`accounts: ${user.username} created API key "${created.key.name}"`);
    await keys.refresh().catch((error) =>
      log.warn(`accounts: cannot reload API keys: ${(error as Error).message}`)
    );
    return c.json<CreatedApiKey>(created, 201);
  });

  app.delete("/:id", async (c) => {
    const id = idParam(c, "API key");
    const key = await revokeApiKey(db, id, now());
    keys.forget(id);
    log.info(`accounts: ${c.get("user").username} revoked API key "${key.name}"`);
    return c.json<ApiKeyView>(key);
  });

  return app;
}
