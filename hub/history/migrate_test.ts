import assert from "node:assert/strict";
import { DataDirLockedError, openPglite } from "./pglite.ts";
import { loadMigrations, migrate } from "./migrate.ts";
import { freshPglite, testBothBackends } from "./testing.ts";

const TABLES = [
  "servers",
  "server_snapshots",
  "system_metrics",
  "gpu_metrics",
  "model_events",
  "server_events",
  "request_logs",
  "request_rollups",
  "metric_rollups",
  "users",
  "api_keys",
  "alert_rules",
  "alerts",
  "user_telegram_configs",
  "user_server_subscriptions",
  "scheduled_jobs",
];

await testBothBackends("migrations create every table once and record it", async (db) => {
  const rows = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  const tables = new Set(rows.map((r) => r.table_name));
  for (const table of TABLES) assert.ok(tables.has(table), `missing table ${table}`);
  const all = await loadMigrations();
  assert.deepEqual(await migrate(db), [], "a second run applies nothing");
  const recorded = await db.query<{ version: number }>(
    "SELECT version FROM schema_migrations ORDER BY version",
  );
  assert.deepEqual(recorded.map((r) => r.version), all.map((m) => m.version));
});

await testBothBackends("a failing migration leaves nothing behind", async (db) => {
  const all = await loadMigrations();
  const broken = {
    version: all.length + 1,
    name: "broken",
    sql: "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;",
  };
  await assert.rejects(migrate(db, [...all, broken]), /no_such_table/);
  const half = await db.query(
    "SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'",
  );
  assert.equal(half.length, 0, "the migration's first statement was rolled back");
  const recorded = await db.query("SELECT 1 FROM schema_migrations WHERE version = $1", [
    broken.version,
  ]);
  assert.equal(recorded.length, 0);
});

await testBothBackends(
  "hubs that migrate at the same time apply each migration once",
  async (db) => {
    const all = await loadMigrations();
    const extra = {
      version: all.length + 1,
      name: "counted",
      sql: "CREATE TABLE counted (id int)",
    };
    const results = await Promise.all([migrate(db, [...all, extra]), migrate(db, [...all, extra])]);
    assert.deepEqual(results.flat(), [extra.version]);
  },
);

await testBothBackends("bigint, numeric and jsonb read back the same on both", async (db) => {
  const [row] = await db.query<{ big: number; num: number; doc: unknown; at: Date }>(
    "SELECT 9007199254740991::bigint AS big, 1.5::numeric AS num, $1::jsonb AS doc, " +
      "'2026-01-02T03:04:05Z'::timestamptz AS at",
    [{ a: [1, "x"] }],
  );
  assert.equal(row!.big, 9007199254740991);
  assert.equal(row!.num, 1.5);
  assert.deepEqual(row!.doc, { a: [1, "x"] });
  assert.equal(row!.at.toISOString(), "2026-01-02T03:04:05.000Z");
});

await testBothBackends("a transaction rolls back when its function throws", async (db) => {
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query(
        "INSERT INTO users (username, password_hash, role) VALUES ('ann', 'x', 'admin')",
      );
      throw new Error("changed my mind");
    }),
    /changed my mind/,
  );
  assert.equal((await db.query("SELECT 1 FROM users")).length, 0);
  await db.transaction((tx) =>
    tx.query("INSERT INTO users (username, password_hash, role) VALUES ('bob', 'x', 'viewer')")
  );
  assert.equal((await db.query("SELECT 1 FROM users")).length, 1);
});

Deno.test({
  name: "two hubs cannot open one embedded database",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using fresh = await freshPglite();
    await assert.rejects(openPglite(fresh.location), (error: Error) => {
      assert.ok(error instanceof DataDirLockedError);
      assert.match(error.message, new RegExp(`pid ${Deno.pid}`));
      return true;
    });
    await fresh.db.close();
    const again = await openPglite(fresh.location);
    assert.equal((await again.query("SELECT 1 AS one"))[0]?.one, 1);
    await again.close();
  },
});
