/**
 * Client API keys made on the dashboard: the `api_keys` table. A key is random and shown once, at
 * creation; the table keeps its SHA-256 (as the configuration's keys do), who made it, its model
 * allow-list, when it was last used, and when it was revoked. Revoked keys stay listed, and their
 * names stay taken, so that the request log's key names keep meaning one key.
 *
 * @module
 */

import type { ApiKeyView, CreatedApiKey, NewApiKey } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import { type ApiKeyEntry, hashApiKey, isModelPattern, newApiKey } from "../auth.ts";
import type { ApiKey } from "../config.ts";
import type { Queryable } from "../history/db.ts";
import { isUniqueViolation, type User } from "./users.ts";

function bad(message: string): FleetError {
  return new FleetError("BAD_REQUEST", message, 400);
}

/** A model pattern as the keyring matches them: `*`, a model name, or `NAME:*`. */
export function parseModelPattern(value: unknown): string {
  if (typeof value !== "string") throw bad("models must be a list of strings");
  const pattern = value.trim();
  if (!isModelPattern(pattern)) {
    throw bad(`models: must be a model name, NAME:* or *, not "${pattern.slice(0, 100)}"`);
  }
  return pattern;
}

/**
 * `POST /api/keys`'s body, checked: a name of 1 to 64 printable characters not used by a key in
 * the configuration (`configNames`), and `models` a non-empty list or `null` (every model).
 */
export function parseNewApiKey(body: unknown, configNames: readonly string[]): NewApiKey {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw bad("the body must be a JSON object");
  }
  const { name: rawName, models: rawModels } = body as Record<string, unknown>;
  if (typeof rawName !== "string") throw bad("name must be a string");
  const name = rawName.trim();
  // deno-lint-ignore no-control-regex
  if (name.length < 1 || name.length > 64 || /[\x00-\x1f\x7f]/.test(name)) {
    throw bad("name must be 1 to 64 printable characters");
  }
  if (configNames.includes(name)) {
    throw new FleetError("CONFLICT", `Key name "${name}" is taken by the configuration`, 409);
  }
  if (rawModels === undefined || rawModels === null) return { name, models: null };
  if (!Array.isArray(rawModels) || rawModels.length === 0) {
    throw bad("models must be a non-empty list of patterns, or null for every model");
  }
  const models = [...new Set(rawModels.map(parseModelPattern))];
  return { name, models: models.includes("*") ? null : models };
}

/** A key from the configuration file, as the dashboard lists it. */
export function configKeyView(key: ApiKey): ApiKeyView {
  return {
    id: null,
    name: key.name,
    models: key.models.includes("*") ? null : [...key.models],
    source: "config",
    createdBy: null,
    createdAt: null,
    lastUsed: null,
    revokedAt: null,
  };
}

interface KeyRow {
  id: number;
  name: string;
  models: string[] | null;
  created_by: string | null;
  created_at: Date;
  last_used: Date | null;
  revoked_at: Date | null;
}

const ms = (time: Date | null) => time === null ? null : new Date(time).getTime();

function toView(row: KeyRow): ApiKeyView {
  return {
    id: Number(row.id),
    name: row.name,
    models: row.models,
    source: "dashboard",
    createdBy: row.created_by,
    createdAt: ms(row.created_at),
    lastUsed: ms(row.last_used),
    revokedAt: ms(row.revoked_at),
  };
}

const SELECT = `SELECT k.id, k.name, k.models, u.username AS created_by, k.created_at, k.last_used,
  k.revoked_at FROM api_keys k LEFT JOIN users u ON u.id = k.created_by`;

/** The dashboard's keys, revoked ones included, newest first. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyView[]> {
  const rows = await db.query<KeyRow>(`${SELECT} ORDER BY k.id DESC`);
  return rows.map(toView);
}

/** Makes a key; the secret in the answer is the only copy. 409 when the name is taken. */
export async function createApiKey(
  db: Queryable,
  key: NewApiKey,
  by: User | null,
): Promise<CreatedApiKey> {
  const secret = newApiKey();
  let id: number;
  try {
    const [row] = await db.query<{ id: number }>(
      "INSERT INTO api_keys (name, hash, models, created_by) VALUES ($1, $2, $3::text[], $4) RETURNING id",
      [key.name, await hashApiKey(secret), key.models, by && by.id > 0 ? by.id : null],
    );
    id = Number(row!.id);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new FleetError("CONFLICT", `Key name "${key.name}" is taken`, 409);
    }
    throw error;
  }
  const [row] = await db.query<KeyRow>(`${SELECT} WHERE k.id = $1`, [id]);
  return { key: toView(row!), secret };
}

/** Revokes a key (it stays listed); 404 when there is none. Revoking twice changes nothing. */
export async function revokeApiKey(db: Queryable, id: number, now: number): Promise<ApiKeyView> {
  await db.query(
    `UPDATE api_keys SET revoked_at = $2::text::timestamptz
     WHERE id = $1 AND revoked_at IS NULL`,
    [id, new Date(now).toISOString()],
  );
  const [row] = await db.query<KeyRow>(`${SELECT} WHERE k.id = $1`, [id]);
  if (!row) throw new FleetError("NOT_FOUND", `No API key with id ${id}`, 404);
  return toView(row);
}

/** The keys that work: every key not revoked, as the keyring holds them. */
export async function activeApiKeys(db: Queryable): Promise<ApiKeyEntry[]> {
  const rows = await db.query<{ id: number; name: string; hash: string; models: string[] | null }>(
    "SELECT id, name, hash, models FROM api_keys WHERE revoked_at IS NULL",
  );
  return rows.map((r) => ({ id: Number(r.id), name: r.name, hash: r.hash, models: r.models }));
}

/** Notes that the keys `ids` were used at `at`. */
export async function markUsed(db: Queryable, ids: readonly number[], at: number): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used = greatest(last_used, $2::text::timestamptz)
     WHERE id = ANY($1::bigint[])`,
    [ids, new Date(at).toISOString()],
  );
}
