/**
 * The database as accounts use it: while it is not ready (PostgreSQL down at start, migrations
 * not run yet) or when it cannot be reached, every call fails with a 503 UNAVAILABLE instead of a
 * 500, and the cause goes to the log. Statements the database refuses (a unique violation, say)
 * pass through untouched for the caller to turn into a 409.
 *
 * @module
 */

import { FleetError } from "../../shared/errors.ts";
import { type Db, isTransient, type Queryable } from "../history/db.ts";
import type { Logger } from "../log.ts";

/** Wraps `db` so that an absent database is a 503. */
export function guardedDb(db: Db, ready: () => boolean, log: Logger): Db {
  function unavailable(cause?: unknown): FleetError {
    return new FleetError(
      "UNAVAILABLE",
      "The accounts database is unreachable: try again later",
      503,
      { cause },
    );
  }
  function fail(error: unknown): never {
    if (error instanceof FleetError || !isTransient(error)) throw error;
    log.error(`accounts: a query failed: ${(error as Error)?.message ?? String(error)}`);
    throw unavailable(error);
  }
  function check(): void {
    if (!ready()) throw unavailable();
  }
  const wrap = (q: Queryable): Queryable => ({
    query: <T>(text: string, params?: readonly unknown[]) => q.query<T>(text, params).catch(fail),
    exec: (text) => q.exec(text).catch(fail),
  });
  return {
    backend: db.backend,
    where: db.where,
    async query<T>(text: string, params?: readonly unknown[]) {
      check();
      return await db.query<T>(text, params).catch(fail);
    },
    async exec(text) {
      check();
      await db.exec(text).catch(fail);
    },
    async transaction(fn) {
      check();
      return await db.transaction((tx) => fn(wrap(tx))).catch(fail);
    },
    close: () => db.close(),
  };
}
