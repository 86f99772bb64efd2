/**
 * The people who sign in to the dashboard: the `users` table, its rules, and the checks on what an
 * admin sends. Usernames are 1 to 64 characters of `a-z 0-9 . _ -`, kept in lower case; roles are
 * `admin` and `viewer`. One rule spans rows: there is always an enabled admin left, so the last
 * one cannot be demoted, disabled or deleted (409). A password change, a disable and a delete end
 * the user's sessions in the same transaction.
 *
 * @module
 */

import type { NewUser, Role, UserChange, UserView } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { Db, Queryable } from "../history/db.ts";
import { hashPassword, parsePassword } from "./password.ts";
import { endUserSessions } from "./sessions.ts";

/** A signed-in user as the control plane's routes see them (`Me["user"]`). */
export interface User {
  id: number;
  username: string;
  role: Role;
}

/** A user row as a login reads it. */
export interface UserRecord extends User {
  passwordHash: string;
  disabled: boolean;
}

const USERNAME = /^[a-z0-9._-]{1,64}$/;

function bad(message: string): FleetError {
  return new FleetError("BAD_REQUEST", message, 400);
}

/** A username, lower-cased; 400 unless 1 to 64 characters of `a-z 0-9 . _ -`. */
export function parseUsername(value: unknown): string {
  if (typeof value !== "string") throw bad("username must be a string");
  const name = value.trim().toLowerCase();
  if (!USERNAME.test(name)) {
    throw bad(
      `username must be 1 to 64 characters of a-z, 0-9, ".", "_" and "-", not "${
        name.slice(0, 64)
      }"`,
    );
  }
  return name;
}

/** A role; 400 unless `admin` or `viewer`. */
export function parseRole(value: unknown): Role {
  if (value !== "admin" && value !== "viewer") {
    throw bad(`role must be "admin" or "viewer", not ${JSON.stringify(value) ?? "nothing"}`);
  }
  return value;
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad("the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** `POST /api/users`'s body, checked. */
export function parseNewUser(body: unknown): NewUser {
  const b = object(body);
  return {
    username: parseUsername(b.username),
    password: parsePassword(b.password),
    role: parseRole(b.role ?? "viewer"),
  };
}

/** `PATCH /api/users/:id`'s body, checked; at least one field. */
export function parseUserChange(body: unknown): UserChange {
  const b = object(body);
  const change: UserChange = {};
  if (b.role !== undefined) change.role = parseRole(b.role);
  if (b.password !== undefined) change.password = parsePassword(b.password);
  if (b.disabled !== undefined) {
    if (typeof b.disabled !== "boolean") throw bad("disabled must be true or false");
    change.disabled = b.disabled;
  }
  if (Object.keys(change).length === 0) {
    throw bad("nothing to change: give role, password or disabled");
  }
  return change;
}

/**
 * Why a change would leave the hub without an enabled admin, or `null` when it would not.
 *
 * @param target The user as they are.
 * @param after The user after the change; `null` for a delete.
 * @param enabledAdmins How many enabled admins there are now.
 */
export function lastAdminProblem(
  target: { role: Role; disabled: boolean; username: string },
  after: { role: Role; disabled: boolean } | null,
  enabledAdmins: number,
): string | null {
  if (target.role !== "admin" || target.disabled || enabledAdmins > 1) return null;
  const what = after === null
    ? "delete"
    : after.disabled
    ? "disable"
    : after.role !== "admin"
    ? "demote"
    : null;
  return what && `Cannot ${what} "${target.username}": the hub needs at least one enabled admin`;
}

interface UserRow {
  id: number;
  username: string;
  role: Role;
  created_at: Date;
  last_login: Date | null;
  disabled: boolean;
}

const COLUMNS = "id, username, role, created_at, last_login, disabled";

function toView(row: UserRow): UserView {
  return {
    id: Number(row.id),
    username: row.username,
    role: row.role,
    createdAt: new Date(row.created_at).getTime(),
    lastLogin: row.last_login === null ? null : new Date(row.last_login).getTime(),
    disabled: row.disabled,
  };
}

/** Whether an error is PostgreSQL's unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}

/** Every user, by name. */
export async function listUsers(db: Queryable): Promise<UserView[]> {
  const rows = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY username`);
  return rows.map(toView);
}

/** How many users there are. */
export async function countUsers(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
  return row?.n ?? 0;
}

/** A user by name, with what a login checks; `null` when there is none. */
export async function findUser(db: Queryable, username: string): Promise<UserRecord | null> {
  const [row] = await db.query<UserRow & { password_hash: string }>(
    `SELECT ${COLUMNS}, password_hash FROM users WHERE username = $1`,
    [username.toLowerCase()],
  );
  if (!row) return null;
  return {
    id: Number(row.id),
    username: row.username,
    role: row.role,
    disabled: row.disabled,
    passwordHash: row.password_hash,
  };
}

/** Creates a user (already checked by {@link parseNewUser}); 409 when the name is taken. */
export async function createUser(db: Queryable, user: NewUser): Promise<UserView> {
  const hash = await hashPassword(user.password);
  try {
    const [row] = await db.query<UserRow>(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [user.username, hash, user.role],
    );
    return toView(row!);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new FleetError("CONFLICT", `Username "${user.username}" is taken`, 409);
    }
    throw error;
  }
}

/** Options for {@link changeUser}. */
export interface ChangeOptions {
  /** A session (its token's hash) that a password change keeps: the user changing their own. */
  keepSession?: string;
}

/** Locks the enabled admins and the target; 404 when there is no such user. */
async function lockTarget(tx: Queryable, id: number) {
  const admins = await tx.query<{ id: number }>(
    "SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE",
  );
  const [row] = await tx.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [
    id,
  ]);
  if (!row) throw new FleetError("NOT_FOUND", `No user with id ${id}`, 404);
  return { row, enabledAdmins: admins.length };
}

/**
 * Changes a user's role, password or disabled flag; 404 when there is none, 409 when it would
 * leave no enabled admin. A new password or a disable ends their sessions (but `keepSession`).
 */
export async function changeUser(
  db: Db,
  id: number,
  change: UserChange,
  options: ChangeOptions = {},
): Promise<UserView> {
  const hash = change.password === undefined ? null : await hashPassword(change.password);
  return await db.transaction(async (tx) => {
    const { row, enabledAdmins } = await lockTarget(tx, id);
    const after = { role: change.role ?? row.role, disabled: change.disabled ?? row.disabled };
    const problem = lastAdminProblem(row, after, enabledAdmins);
    if (problem) throw new FleetError("CONFLICT", problem, 409);
    const [updated] = await tx.query<UserRow>(
      `UPDATE users SET role = $2, disabled = $3, password_hash = coalesce($4, password_hash)
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, after.role, after.disabled, hash],
    );
    if (hash !== null) await endUserSessions(tx, id, options.keepSession);
    else if (after.disabled && !row.disabled) await endUserSessions(tx, id);
    return toView(updated!);
  });
}

/** Deletes a user and their sessions; 404 when there is none, 409 for the last enabled admin. */
export async function deleteUser(db: Db, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { row, enabledAdmins } = await lockTarget(tx, id);
    const problem = lastAdminProblem(row, null, enabledAdmins);
    if (problem) throw new FleetError("CONFLICT", problem, 409);
    await tx.query("DELETE FROM users WHERE id = $1", [id]);
  });
}

/** Creates the user, or gives an existing one this password and role and enables them. */
export async function ensureUser(db: Db, user: NewUser): Promise<UserView> {
  const found = await findUser(db, user.username);
  if (!found) return await createUser(db, user);
  return await changeUser(db, found.id, {
    password: user.password,
    role: user.role,
    disabled: false,
  });
}

/** Notes a successful login; replaces the hash when it was made with older parameters. */
export async function recordLogin(
  db: Queryable,
  id: number,
  now: number,
  newHash: string | null,
): Promise<void> {
  await db.query(
    "UPDATE users SET last_login = $2, password_hash = coalesce($3, password_hash) WHERE id = $1",
    [id, new Date(now), newHash],
  );
}
