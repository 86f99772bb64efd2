/**
 * Numbered migrations (`migrations/001_initial.sql`, `002_…`), the same files on PostgreSQL and
 * PGlite. Each pending migration runs once, in its own transaction, and is recorded in
 * `schema_migrations` in that transaction. Hubs that start together against one PostgreSQL take
 * turns through a transaction-scoped advisory lock, so a migration never runs twice.
 *
 * @module
 */

import type { Db } from "./db.ts";

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Reads the migration files in `dir`, in order; refuses gaps and duplicate numbers. */
export async function loadMigrations(
  dir: URL = new URL("./migrations/", import.meta.url),
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile ? FILE.exec(entry.name) : null;
    if (!match) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({ version: Number(match[1]), name: match[2]!, sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration ${m.version} (${m.name}) is out of sequence: expected ${i + 1}`);
    }
  });
  return migrations;
}

const LOCK = "SELECT pg_advisory_xact_lock(hashtext('corral:migrations'))";
const TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies the pending migrations; returns the versions it applied (none when up to date). */
export async function migrate(db: Db, migrations?: readonly Migration[]): Promise<number[]> {
  const all = migrations ?? await loadMigrations();
  const applied: number[] = [];
  for (const migration of all) {
    const ran = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      await tx.exec(TABLE);
      const done = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [
        migration.version,
      ]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}
