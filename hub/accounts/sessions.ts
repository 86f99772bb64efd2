/**
 * Dashboard sessions. The cookie holds a random 32-byte token (base64url); the `sessions` table
 * keeps only its SHA-256, with a random CSRF token of the session's own. A session ends after 7
 * days unused or 30 days in all, whichever comes first; `last_seen` is written at most once a
 * minute. The user's role is read with every lookup, so a demotion takes effect at once.
 *
 * @module
 */

import { encodeBase64Url, sha256Hex } from "../../shared/encoding.ts";
import type { Queryable } from "../history/db.ts";
import type { User } from "./users.ts";

/** How long sessions last. */
export interface SessionPolicy {
  /** Unused for this long, a session ends. */
  idleMs: number;
  /** A session ends this long after the login, used or not. */
  absoluteMs: number;
  /** `last_seen` is written when it is older than this. */
  touchMs: number;
}

const DAY_MS = 86_400_000;

/** 7 days idle, 30 days in all, `last_seen` written once a minute at most. */
export const SESSION_POLICY: SessionPolicy = Object.freeze({
  idleMs: 7 * DAY_MS,
  absoluteMs: 30 * DAY_MS,
  touchMs: 60_000,
});

/** A live session: who, and the CSRF token their changes must carry. */
export interface Session {
  /** The SHA-256 of the cookie's token (hex): what the table is keyed by. */
  tokenHash: string;
  csrf: string;
  user: User;
}

/**
 * What a session needs now: `"expired"`, `"touch"` (alive, and `last_seen` is due to be written)
 * or `"alive"`.
 */
export function sessionState(
  times: { createdAt: number; lastSeen: number },
  now: number,
  policy: SessionPolicy = SESSION_POLICY,
): "expired" | "touch" | "alive" {
  if (now - times.lastSeen >= policy.idleMs || now - times.createdAt >= policy.absoluteMs) {
    return "expired";
  }
  return now - times.lastSeen >= policy.touchMs ? "touch" : "alive";
}

/** A new random token (32 bytes, base64url): session cookies, CSRF tokens, setup links. */
export function randomToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const iso = (ms: number) => new Date(ms).toISOString();

/** Ends every session of a user but `except` (a token hash); in the caller's transaction. */
export async function endUserSessions(
  db: Queryable,
  userId: number,
  except?: string,
): Promise<void> {
  await db.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", [
    userId,
    except ?? "",
  ]);
}

/** Options for {@link Sessions}. */
export interface SessionsOptions {
  /** @default Date.now */
  now?: () => number;
  /** @default SESSION_POLICY */
  policy?: SessionPolicy;
}

interface SessionRow {
  token_hash: string;
  csrf: string;
  created_at: Date;
  last_seen: Date;
  id: number;
  username: string;
  role: User["role"];
  disabled: boolean;
}

/** The sessions table. */
export class Sessions {
  #db: Queryable;
  #now: () => number;
  #policy: SessionPolicy;

  /** @param db Where sessions are kept. */
  constructor(db: Queryable, options: SessionsOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#policy = options.policy ?? SESSION_POLICY;
  }

  /** How long a new session's cookie may live, in seconds. */
  get maxAgeS(): number {
    return Math.floor(this.#policy.absoluteMs / 1000);
  }

  /** Starts a session for `user`; returns the cookie's token (never stored) and the session. */
  async start(user: User): Promise<{ token: string; session: Session }> {
    const token = randomToken();
    const session = { tokenHash: await sha256Hex(token), csrf: randomToken(), user };
    const now = iso(this.#now());
    await this.#db.query(
      `INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen)
       VALUES ($1, $2, $3, $4::text::timestamptz, $4::text::timestamptz)`,
      [session.tokenHash, user.id, session.csrf, now],
    );
    return { token, session };
  }

  /** The live session a cookie's token opens, or `null` (unknown, expired, user disabled). */
  async find(token: string): Promise<Session | null> {
    if (!TOKEN.test(token)) return null;
    const tokenHash = await sha256Hex(token);
    const [row] = await this.#db.query<SessionRow>(
      `SELECT s.token_hash, s.csrf, s.created_at, s.last_seen, u.id, u.username, u.role, u.disabled
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [tokenHash],
    );
    if (!row || row.disabled) return null;
    const now = this.#now();
    const times = {
      createdAt: new Date(row.created_at).getTime(),
      lastSeen: new Date(row.last_seen).getTime(),
    };
    const state = sessionState(times, now, this.#policy);
    if (state === "expired") {
      await this.end(tokenHash);
      return null;
    }
    if (state === "touch") {
      await this.#db.query(
        "UPDATE sessions SET last_seen = $2::text::timestamptz WHERE token_hash = $1",
        [tokenHash, iso(now)],
      );
    }
    return {
      tokenHash,
      csrf: row.csrf,
      user: { id: Number(row.id), username: row.username, role: row.role },
    };
  }

  /** Ends one session (logout). */
  async end(tokenHash: string): Promise<void> {
    await this.#db.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
  }

  /** Deletes every expired session; returns how many. */
  async prune(): Promise<number> {
    const now = this.#now();
    const rows = await this.#db.query(
      `DELETE FROM sessions
       WHERE last_seen <= $1::text::timestamptz OR created_at <= $2::text::timestamptz
       RETURNING 1`,
      [iso(now - this.#policy.idleMs), iso(now - this.#policy.absoluteMs)],
    );
    return rows.length;
  }
}
