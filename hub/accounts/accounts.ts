/**
 * Accounts, assembled: the control plane's guard and `/api` routes (auth, users, keys), the
 * one-time setup token, and the upkeep that runs beside them (API keys reloaded every 30 s, their
 * use written once a minute, expired sessions pruned hourly). `hub.ts` starts them on the
 * history database, or {@link openAccounts} when there is none.
 *
 * A database that is not ready (PostgreSQL down at start) makes the accounts API answer 503; the
 * keys and the setup token are loaded as soon as it is.
 *
 * @module
 */

import type { Hono, MiddlewareHandler } from "hono";
import type { NewUser, UserView } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";
import type { Keyring } from "../auth.ts";
import type { ApiKey } from "../config.ts";
import type { Db } from "../history/db.ts";
import type { Logger } from "../log.ts";
import { type AccountsEnv, accountsGuard, openGuard } from "./guard.ts";
import { guardedDb } from "./guarded_db.ts";
import { KeyStore } from "./key_store.ts";
import { LoginLimiter, type LoginLimits } from "./login_limiter.ts";
import { openRoutes } from "./open_routes.ts";
import { accountRoutes } from "./routes.ts";
import { type SessionPolicy, Sessions } from "./sessions.ts";
import { SetupToken } from "./setup.ts";
import { countUsers, ensureUser, parseNewUser } from "./users.ts";

export type { AccountsEnv } from "./guard.ts";

/** The accounts of a hub, as the control plane and the hub use them. */
export interface Accounts {
  /** Whether there are accounts at all (false without a database). */
  enabled: boolean;
  /** The middleware for `/api/*`. */
  guard: MiddlewareHandler<AccountsEnv>;
  /** The routes, to mount at `/api`. */
  routes: Hono<AccountsEnv>;
  /** The one-time setup token while the hub has no users; `null` otherwise (or not known yet). */
  setupToken(): string | null;
  /** Calls `listener` with the setup token now if there is one, and when one is made later. */
  onSetupToken(listener: (token: string) => void): void;
  /** Creates a user, or resets an existing one's password and role and enables them (demo, tests). */
  ensureUser(user: NewUser): Promise<UserView>;
  stop(): Promise<void>;
}

/** What {@link startAccounts} needs. */
export interface AccountsOptions {
  /** The history database. */
  db: Db;
  /** Whether it is open and migrated. */
  ready: () => boolean;
  log: Logger;
  /** The configuration file's API keys. */
  configKeys: readonly ApiKey[];
  /** The data plane's keyring, which gets the dashboard's keys; `null` when the API is open. */
  keyring: Keyring | null;
  hub: { name: string; version: string };
  /** @default Date.now */
  now?: () => number;
  /** How often the API keys are reloaded. @default 30_000 */
  refreshMs?: number;
  /** @default 5 per username and 20 per address in 15 minutes */
  loginLimits?: LoginLimits;
  /** @default SESSION_POLICY (7 days idle, 30 days in all) */
  sessionPolicy?: SessionPolicy;
}

const USAGE_FLUSH_MS = 60_000;
const PRUNE_MS = 3_600_000;
const READY_POLL_MS = 1000;

/** Starts accounts on the database; resolves once keys and users are loaded, if it is ready. */
export async function startAccounts(options: AccountsOptions): Promise<Accounts> {
  const { log, now = Date.now, ready } = options;
  const db = guardedDb(options.db, ready, log);
  const sessions = new Sessions(db, { now, policy: options.sessionPolicy });
  const keys = new KeyStore({
    db,
    keyring: options.keyring,
    configKeys: options.configKeys,
    log,
    now,
  });
  const setup = new SetupToken();
  let hasUsers = false;

  /** Whether the hub has no user yet; issues the setup token when so. */
  async function setupNeeded(): Promise<boolean> {
    if (hasUsers) return false;
    if (await countUsers(db) > 0) {
      hasUsers = true;
      setup.consume();
      return false;
    }
    setup.issue();
    return true;
  }

  let loaded = false;
  let failing = false;
  const running = new Set<Promise<void>>();
  /** Runs one upkeep job when the database is ready; says so once when they start failing. */
  function upkeep(job: () => Promise<unknown>): Promise<void> {
    const run = upkeepRun(job).finally(() => running.delete(run));
    running.add(run);
    return run;
  }
  async function upkeepRun(job: () => Promise<unknown>): Promise<void> {
    if (!ready()) return;
    try {
      if (!loaded) {
        await keys.refresh();
        await setupNeeded();
        loaded = true;
      }
      await job();
      failing = false;
    } catch (error) {
      if (!failing) log.warn(`accounts: ${(error as Error).message}`);
      failing = true;
    }
  }

  const timers = [
    setInterval(() => void upkeep(() => keys.refresh()), options.refreshMs ?? 30_000),
    setInterval(() => void upkeep(() => keys.flushUsage()), USAGE_FLUSH_MS),
    setInterval(() => void upkeep(() => sessions.prune()), PRUNE_MS),
  ];
  // Until the database answers, look for it every second, so that keys work soon after.
  const poll = setInterval(() => {
    if (loaded) clearInterval(poll);
    else void upkeep(async () => {});
  }, READY_POLL_MS);
  await upkeep(async () => {});

  const routes = accountRoutes({
    db,
    sessions,
    limiter: new LoginLimiter(options.loginLimits),
    setup,
    setupNeeded,
    keys,
    configKeys: options.configKeys,
    hub: options.hub,
    now,
    log,
  });

  return {
    enabled: true,
    guard: accountsGuard(sessions),
    routes,
    setupToken: () => setup.value,
    onSetupToken: (listener) => setup.onIssue(listener),
    async ensureUser(user) {
      const view = await ensureUser(db, parseNewUser(user));
      hasUsers = true;
      setup.consume();
      return view;
    },
    async stop() {
      for (const timer of [...timers, poll]) clearInterval(timer);
      keys.detach();
      await Promise.all(running);
      if (ready()) await keys.flushUsage();
    },
  };
}

/** Accounts of a hub without a database: everyone is the admin `local` (see `guard.ts`). */
export function openAccounts(
  configKeys: readonly ApiKey[],
  hub: { name: string; version: string },
): Accounts {
  return {
    enabled: false,
    guard: openGuard(),
    routes: openRoutes(configKeys, hub),
    setupToken: () => null,
    onSetupToken() {},
    ensureUser() {
      return Promise.reject(
        new FleetError("NOT_FOUND", "This hub has no accounts: history is off", 404),
      );
    },
    stop: () => Promise.resolve(),
  };
}
