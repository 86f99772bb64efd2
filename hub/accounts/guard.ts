/**
 * The control plane's gate for `/api/*` (Hono middleware). With accounts:
 *
 * 1. A change (POST, PUT, PATCH, DELETE) whose `Origin` is another site's is refused (403), login
 *    and setup included: they have no session yet to carry a CSRF token.
 * 2. `GET /api/auth/state`, `POST /api/auth/login` and `POST /api/auth/setup` are open to anyone.
 * 3. Everything else needs a live session cookie (401).
 * 4. A change needs the session's CSRF token in `X-CSRF-Token` (403).
 * 5. A change, and `GET /api/users`, needs an admin (403), except logging out and changing one's
 *    own password.
 *
 * Without a database there are no accounts ("open mode"): every caller acts as the admin
 * `local`, and a change must come from this origin and, when it has a body, be JSON, which a
 * cross-site form cannot send. The user is set on the context as `c.get("user")` for the routes.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { CSRF_HEADER, SESSION_COOKIE } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { Session, Sessions } from "./sessions.ts";
import type { User } from "./users.ts";

/** Hono's environment on the control plane: `Deno.serve`'s connection info, and who is asking. */
export type AccountsEnv = {
  Bindings: { remoteAddr?: Deno.Addr } | undefined;
  Variables: {
    /** Who is asking; the admin `local` on a hub without accounts. */
    user: User;
    /** Their session; `null` on a hub without accounts. */
    session: Session | null;
  };
};

/** Everyone, on a hub without accounts. */
export const OPEN_USER: User = Object.freeze({ id: 0, username: "local", role: "admin" });

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const PUBLIC = new Set(["GET /api/auth/state", "POST /api/auth/login", "POST /api/auth/setup"]);
/** Changes any signed-in user may make. */
const SELF_SERVICE = new Set(["POST /api/auth/logout", "POST /api/auth/password"]);

/** Whether a method changes something. */
export function isUnsafe(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

function firstValue(header: string | null): string | null {
  return header?.split(",")[0]?.trim() || null;
}

/**
 * Whether a request's `Origin` (when it has one) is the request's own: the scheme and host it was
 * sent to, as a reverse proxy's `X-Forwarded-Proto` and `X-Forwarded-Host` tell them (a browser
 * cannot set those on a cross-site request).
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const url = new URL(request.url);
  const proto = firstValue(request.headers.get("x-forwarded-proto")) ?? url.protocol.slice(0, -1);
  const host = firstValue(request.headers.get("x-forwarded-host")) ??
    request.headers.get("host") ?? url.host;
  try {
    return new URL(origin).origin === new URL(`${proto}://${host}`).origin;
  } catch {
    return false; // "null" (a sandboxed frame, a redirect), or garbage
  }
}

/** Whether a request's body, if it has one, is declared JSON. */
function jsonOrEmpty(request: Request): boolean {
  const type = request.headers.get("content-type");
  if (type !== null) return type.split(";")[0]!.trim().toLowerCase() === "application/json";
  const length = request.headers.get("content-length");
  return request.headers.get("transfer-encoding") === null && (length === null || length === "0");
}

function forbidden(message: string): FleetError {
  return new FleetError("FORBIDDEN", message, 403);
}

function sameText(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const [x, y] = [new TextEncoder().encode(a), new TextEncoder().encode(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkOrigin(request: Request): void {
  if (!sameOrigin(request)) {
    throw forbidden("Cross-origin change refused: use the dashboard this hub serves");
  }
}

/** The gate with accounts: sessions, CSRF and roles, as the module says. */
export function accountsGuard(sessions: Pick<Sessions, "find">): MiddlewareHandler<AccountsEnv> {
  return async function accountsGuard(c, next) {
    const method = c.req.method.toUpperCase();
    const route = `${method} ${c.req.path}`;
    const unsafe = isUnsafe(method);
    if (unsafe) checkOrigin(c.req.raw);
    if (PUBLIC.has(route)) return await next();

    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await sessions.find(token) : null;
    if (!session) {
      throw new FleetError("UNAUTHORIZED", "Not logged in, or the session has ended", 401);
    }
    if (unsafe && !sameText(c.req.header(CSRF_HEADER), session.csrf)) {
      throw forbidden(`Missing or wrong ${CSRF_HEADER} header: reload the dashboard`);
    }
    const adminOnly = unsafe
      ? !SELF_SERVICE.has(route)
      : c.req.path === "/api/users" || c.req.path.startsWith("/api/users/");
    if (adminOnly && session.user.role !== "admin") throw forbidden("admins only");
    c.set("user", session.user);
    c.set("session", session);
    await next();
  };
}

/** The gate without accounts: same-origin JSON changes only; everyone is {@link OPEN_USER}. */
export function openGuard(): MiddlewareHandler<AccountsEnv> {
  return async function openGuard(c, next) {
    if (isUnsafe(c.req.method)) {
      checkOrigin(c.req.raw);
      if (!jsonOrEmpty(c.req.raw)) {
        throw forbidden("A change must be sent as JSON (content-type: application/json)");
      }
    }
    c.set("user", OPEN_USER);
    c.set("session", null);
    await next();
  };
}
