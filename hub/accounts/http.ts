/**
 * What the accounts routes share: reading a JSON body and an id, the client's address, and the
 * session cookie (HttpOnly, SameSite=Strict, Path=/, Secure when the dashboard is on https).
 *
 * @module
 */

import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { ApiKey } from "../config.ts";
import type { Db } from "../history/db.ts";
import type { Logger } from "../log.ts";
import type { AccountsEnv } from "./guard.ts";
import type { KeyStore } from "./key_store.ts";
import type { LoginLimiter } from "./login_limiter.ts";
import type { Sessions } from "./sessions.ts";
import type { SetupToken } from "./setup.ts";

/** A route's context on the control plane. */
export type AccountsContext = Context<AccountsEnv>;

/** What the accounts routes work with. */
export interface RouteDeps {
  /** The database; a 503 while it is away (`guarded_db.ts`). */
  db: Db;
  sessions: Sessions;
  limiter: LoginLimiter;
  setup: SetupToken;
  /** Whether the hub has no user yet (asks the database until one exists). */
  setupNeeded(): Promise<boolean>;
  keys: KeyStore;
  /** The configuration file's keys, listed beside the dashboard's. */
  configKeys: readonly ApiKey[];
  hub: { name: string; version: string };
  now: () => number;
  log: Logger;
}

/** The request's JSON body; 400 when it is not JSON. */
export async function readBody(c: AccountsContext): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new FleetError("BAD_REQUEST", "The body must be JSON", 400);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new FleetError("BAD_REQUEST", "The body must be a JSON object", 400);
  }
  return body as Record<string, unknown>;
}

/** The `:id` parameter; 404 (as for a missing row) when it is not a row id. */
export function idParam(c: AccountsContext, what: string): number {
  const raw = c.req.param("id") ?? "";
  if (!/^[1-9]\d{0,14}$/.test(raw)) {
    throw new FleetError("NOT_FOUND", `No ${what} with id "${raw.slice(0, 20)}"`, 404);
  }
  return Number(raw);
}

/** The client's IP address (`Deno.serve`'s peer), or `"unknown"` outside a server. */
export function clientAddress(c: AccountsContext): string {
  const addr = c.env?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "unknown";
}

/** Whether the dashboard was reached over https (directly or through a proxy that says so). */
function overHttps(c: AccountsContext): boolean {
  const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return new URL(c.req.url).protocol === "https:" || forwarded === "https";
}

/** Sets the session cookie. */
export function setSessionCookie(c: AccountsContext, token: string, maxAgeS: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    maxAge: maxAgeS,
    secure: overHttps(c),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(c: AccountsContext): void {
  deleteCookie(c, SESSION_COOKIE, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: overHttps(c),
  });
}
