/**
 * For the accounts tests: a control plane with accounts on a test database, a clock the test
 * moves, and a {@link Browser} that keeps the session cookie and sends the CSRF token back as the
 * dashboard does. Requests go through `app.request()`, with the client address a test chooses.
 *
 * @module
 */

import type { Hono } from "hono";
import { CSRF_HEADER, type Me, SESSION_COOKIE } from "../../shared/dashboard.ts";
import { CORRAL_VERSION } from "../../shared/version.ts";
import { createControlApp } from "../control.ts";
import type { Db } from "../history/db.ts";
import { InFlightTable } from "../in_flight.ts";
import { quiet } from "../log.ts";
import { FleetQueue } from "../queue.ts";
import { Registry } from "../registry.ts";
import {
  type Accounts,
  type AccountsEnv,
  type AccountsOptions,
  startAccounts,
} from "./accounts.ts";

/** The origin the test control plane answers on. */
export const ORIGIN = "http://hub.test";

/** A control plane with accounts, for one test. */
export interface TestControl extends AsyncDisposable {
  app: Hono<AccountsEnv>;
  accounts: Accounts;
  /** The accounts' clock, in epoch ms; move it to expire sessions. */
  clock: { now: number };
  stop(): Promise<void>;
}

/** Starts accounts on `db` (already migrated) and a control plane around them. */
export async function startTestControl(
  db: Db,
  options: Partial<AccountsOptions> = {},
): Promise<TestControl> {
  const clock = { now: Date.parse("2025-06-01T12:00:00Z") };
  const now = () => clock.now;
  const accounts = await startAccounts({
    db,
    ready: () => true,
    log: quiet,
    configKeys: [],
    keyring: null,
    hub: { name: "test-hub", version: CORRAL_VERSION },
    now,
    ...options,
  });
  const inFlight = new InFlightTable();
  const app = createControlApp({
    registry: new Registry(inFlight),
    inFlight,
    queue: new FleetQueue({ max: 1, timeoutMs: 1000 }),
    accounts,
    now,
  });
  const stop = () => accounts.stop();
  return { app, accounts, clock, stop, [Symbol.asyncDispose]: stop };
}

/** An answer, its JSON body parsed. */
export interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any -- JSON bodies, checked field by field
  body: any;
}

/** A browser on the dashboard: one cookie jar, the CSRF token from the last `Me`. */
export class Browser {
  cookie: string | null = null;
  csrf: string | null = null;
  #app: Hono<AccountsEnv>;
  #address: string;

  /** @param address The client's IP address, as `Deno.serve` would give it. */
  constructor(app: Hono<AccountsEnv>, address = "192.0.2.10") {
    this.#app = app;
    this.#address = address;
  }

  /** Sends a request as the dashboard would (`origin`, cookie, CSRF token on changes). */
  async send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const sent = new Headers({ origin: ORIGIN });
    if (body !== undefined) sent.set("content-type", "application/json");
    if (this.cookie) sent.set("cookie", `${SESSION_COOKIE}=${this.cookie}`);
    if (this.csrf && method !== "GET") sent.set(CSRF_HEADER, this.csrf);
    for (const [name, value] of Object.entries(headers)) sent.set(name, value);
    const response = await this.#app.request(`${ORIGIN}${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    }, { remoteAddr: { transport: "tcp", hostname: this.#address, port: 40000 } });
    for (const line of response.headers.getSetCookie()) {
      const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(line);
      if (match) this.cookie = /max-age=0/i.test(line) || !match[1] ? null : match[1];
    }
    const text = await response.text();
    const answer = {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : null,
    };
    if (answer.status === 200 && answer.body?.csrf !== undefined) {
      this.csrf = (answer.body as Me).csrf;
    }
    return answer;
  }

  /** Logs in; the session and its CSRF token are kept for the next requests. */
  login(username: string, password: string): Promise<Answer> {
    return this.send("POST", "/api/auth/login", { username, password });
  }
}

/** A signed-in client of a running hub's control plane. */
export interface SignedIn {
  me: Me;
  /** `fetch` on the control plane with the session cookie, and the CSRF token on changes. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Logs in to a running hub's control plane over HTTP, as the dashboard does. */
export async function signIn(
  controlUrl: string,
  username: string,
  password: string,
): Promise<SignedIn> {
  const origin = new URL(controlUrl).origin;
  const response = await fetch(`${controlUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) {
    throw new Error(`login as "${username}" failed: ${response.status} ${await response.text()}`);
  }
  const me = await response.json() as Me;
  const cookie = response.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return {
    me,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("cookie", cookie);
      headers.set("origin", origin);
      const method = (init.method ?? "GET").toUpperCase();
      if (method !== "GET" && method !== "HEAD") headers.set(CSRF_HEADER, me.csrf);
      if (typeof init.body === "string" && !headers.has("content-type")) {
        headers.set("content-type", "application/json");
      }
      return fetch(`${controlUrl}${path}`, { ...init, headers });
    },
  };
}
