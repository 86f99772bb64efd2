/**
 * A whole hub with history on, on each backend: it logs the setup link, the link makes the first
 * admin, and a key made on the dashboard opens the data plane at once and stops at once when
 * revoked.
 */

import assert from "node:assert/strict";
import type { ApiKeyView, CreatedApiKey } from "../../shared/dashboard.ts";
import { hashApiKey } from "../auth.ts";
import { loadHubConfig } from "../config.ts";
import { freshPostgres, postgresMissing, recordingLog } from "../history/testing.ts";
import { startHub } from "../hub.ts";
import { signIn } from "./testing.ts";

const missing = await postgresMissing();

for (const backend of ["pglite", "postgres"] as const) {
  Deno.test({
    name: `a dashboard API key opens the data plane at once and stops when revoked (${backend})`,
    ignore: backend === "postgres" && missing !== null,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "corral-accounts-" });
      const pg = backend === "postgres" ? await freshPostgres() : null;
      const log = recordingLog();
      const config = loadHubConfig({
        env: {},
        yamlText: JSON.stringify({
          insecure: true,
          listen: "0.0.0.0:0",
          control_listen: "127.0.0.1:0",
          discovery: { enabled: false },
          api_keys: [{ name: "ops", hash: await hashApiKey("ops-secret-key") }],
          history: { enabled: true },
          ...(pg ? { database_url: pg.location } : { data_dir: dir }),
        }),
      });
      const hub = await startHub(config, { fleetKey: null, log });
      try {
        const token = await new Promise<string>((resolve) => hub.accounts.onSetupToken(resolve));
        const line = log.lines.find((l) => l.includes("/setup?token="));
        assert.equal(
          line,
          `info open ${hub.controlUrl}/setup?token=${token} to create the first admin ` +
            "(or: deno task fleet users add <name>)",
        );
        const setup = await fetch(`${hub.controlUrl}/api/auth/setup`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ token, username: "root", password: "root-password" }),
        });
        assert.equal(setup.status, 200);
        await setup.body?.cancel();
        const admin = await signIn(hub.controlUrl, "root", "root-password");

        const tags = (key: string) =>
          fetch(`${hub.url}/api/tags`, { headers: { authorization: `Bearer ${key}` } });
        const made = await admin.fetch("/api/keys", {
          method: "POST",
          body: JSON.stringify({ name: "laptop", models: null }),
        });
        assert.equal(made.status, 201);
        const { key, secret } = await made.json() as CreatedApiKey;
        const open = await tags(secret);
        assert.equal(open.status, 200);
        await open.body?.cancel();

        const { keys } = await (await admin.fetch("/api/keys")).json() as { keys: ApiKeyView[] };
        assert.deepEqual(keys.map((k) => [k.id, k.name, k.source]), [
          [null, "ops", "config"],
          [key.id, "laptop", "dashboard"],
        ]);
        assert.ok(!JSON.stringify(keys).includes(secret), "the secret is shown once only");

        const revoked = await admin.fetch(`/api/keys/${key.id}`, { method: "DELETE" });
        assert.equal(revoked.status, 200);
        assert.ok((await revoked.json() as ApiKeyView).revokedAt !== null);
        const shut = await tags(secret);
        assert.equal(shut.status, 401);
        await shut.body?.cancel();
        const ops = await tags("ops-secret-key");
        assert.equal(ops.status, 200, "the configuration's key still works");
        await ops.body?.cancel();
        assert.ok(log.lines.every((l) => !l.includes(secret) && !l.includes("root-password")));
      } finally {
        await hub.stop();
        await pg?.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
