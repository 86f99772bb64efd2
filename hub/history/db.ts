/**
 * The one database interface history is written through: a real PostgreSQL (postgres.js) or an
 * embedded PGlite, running the same SQL. Rows come back as plain objects with `bigint` and
 * `numeric` columns already numbers on both backends, and times as `Date`s.
 *
 * @module
 */

/** A row as the drivers return it. */
export type Row = Record<string, unknown>;

/** What can run queries: the database itself or an open transaction. */
export interface Queryable {
  /** One statement with `$1`-style parameters. Pass objects for `jsonb` parameters, not JSON text. */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** An open database. */
export interface Db extends Queryable {
  readonly backend: "postgres" | "pglite";
  /** Where it is, safe to print: never a password. */
  readonly where: string;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Whether an error means the database could not be reached or went away (so the write should be
 * kept and tried again), as opposed to a statement it refused (which will never succeed).
 * Network errors carry no SQLSTATE; PostgreSQL's own are classes 08 (connection), 53
 * (insufficient resources), 57 (shutdown, crash recovery) and 58 (system error).
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return true;
  if (!/^[0-9A-Z]{5}$/.test(code)) return true; // ECONNREFUSED, CONNECTION_CLOSED, …
  return /^(08|53|57|58)/.test(code);
}

/** `postgres://user:secret@host/db` without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
