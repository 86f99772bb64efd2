/**
 * History on a real PostgreSQL, through postgres.js. `bigint` and `numeric` are parsed to numbers
 * (counts and byte sizes stay far below 2^53), as PGlite returns them.
 *
 * @module
 */

import postgres from "postgres";
import { type Db, type Queryable, redactUrl, type Row } from "./db.ts";

/** What a {@link openPostgres} connection may be tuned with. */
export interface PostgresOptions {
  /** Connections in the pool. @default 4 */
  max?: number;
  /** Seconds to wait for a connection before failing (and buffering). @default 5 */
  connectTimeout?: number;
}

const toNumber = (value: string) => Number(value);

function queryable(sql: postgres.Sql | postgres.TransactionSql): Queryable {
  return {
    async query<T = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return rows as unknown as T[];
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(text).simple();
    },
  };
}

/** Connects lazily: the first query opens the pool, so a database that is down does not stop the hub. */
export function openPostgres(url: string, options: PostgresOptions = {}): Db {
  const sql = postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeout ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    types: {
      bigint: { to: 20, from: [20], serialize: String, parse: toNumber },
      numeric: { to: 1700, from: [1700], serialize: String, parse: toNumber },
    },
    connection: { application_name: "corral-hub" },
  });
  return {
    backend: "postgres",
    where: redactUrl(url),
    ...queryable(sql),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return await sql.begin((tx) => fn(queryable(tx))) as T;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
