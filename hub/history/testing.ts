/**
 * Databases for the history tests: a fresh embedded PGlite, and a fresh database on a real
 * PostgreSQL when one can be reached (`CORRAL_TEST_DATABASE_URL`, by default the local server's
 * `postgres` database as user `postgres`). Each fresh database is migrated and removed afterwards.
 * Tests that need PostgreSQL are skipped, with a message saying why, where there is none.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { Db } from "./db.ts";
import { migrate } from "./migrate.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

/** The server the PostgreSQL tests create their databases on. */
export const TEST_POSTGRES_URL = Deno.env.get("CORRAL_TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** A database made for one test; `close()` removes it. */
export interface TestDb extends AsyncDisposable {
  db: Db;
  /** The PostgreSQL URL, or the PGlite data directory. */
  location: string;
  close(): Promise<void>;
}

let reachable: Promise<string | null> | null = null;

/** `null` when PostgreSQL can be used for tests, else why not (printed once). */
export function postgresMissing(): Promise<string | null> {
  reachable ??= (async () => {
    const db = openPostgres(TEST_POSTGRES_URL, { max: 1, connectTimeout: 2 });
    try {
      await db.query("SELECT 1");
      return null;
    } catch (error) {
      const why = `PostgreSQL is not reachable at ${db.where} (${(error as Error).message}); ` +
        `set CORRAL_TEST_DATABASE_URL to run the tests that need it`;
      console.log(`skipping: ${why}`);
      return why;
    } finally {
      await db.close();
    }
  })();
  return reachable;
}

/** A new, migrated database on the test PostgreSQL. */
export async function freshPostgres(): Promise<TestDb> {
  const name = `corral_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = openPostgres(TEST_POSTGRES_URL, { max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  await migrate(db);
  const close = async () => {
    await db.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  };
  return { db, location: url.toString(), close, [Symbol.asyncDispose]: close };
}

let template: Promise<string> | null = null;

/** A new, migrated embedded database: a copy of one made (and migrated) once per process. */
export async function freshPglite(): Promise<TestDb> {
  template ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "corral-pglite-template-" });
    const db = await openPglite(dir);
    await migrate(db);
    await db.close();
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    return dir;
  })();
  const source = await template;
  const dir = await Deno.makeTempDir({ prefix: "corral-pglite-" });
  const copy = await new Deno.Command("cp", { args: ["-a", `${source}/pglite`, `${dir}/pglite`] })
    .output();
  if (!copy.success) throw new Error(`cp failed: ${new TextDecoder().decode(copy.stderr)}`);
  const db = await openPglite(dir);
  const close = async () => {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { db, location: dir, close, [Symbol.asyncDispose]: close };
}

/** Which backends a storage test runs on. */
export type Backend = "pglite" | "postgres";

/**
 * Registers one test per backend: `name (pglite)` always, `name (postgres)` when PostgreSQL is
 * reachable (ignored, with the reason printed once, when it is not). Each run gets its own fresh
 * database.
 */
export async function testBothBackends(
  name: string,
  fn: (db: Db, backend: Backend) => Promise<void>,
): Promise<void> {
  const missing = await postgresMissing();
  for (const backend of ["pglite", "postgres"] as const) {
    Deno.test({
      name: `${name} (${backend})`,
      ignore: backend === "postgres" && missing !== null,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn() {
        await using fresh = backend === "pglite" ? await freshPglite() : await freshPostgres();
        await fn(fresh.db, backend);
      },
    });
  }
}

/** A logger that keeps its lines (`info …`, `warn …`, `error …`) for a test to read. */
export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}
