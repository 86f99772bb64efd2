/**
 * The control plane's contract with the dashboard (`web/`): what `/api/auth/*`, `/api/users`,
 * `/api/keys`, `/api/models/*`, `/api/settings` and the live event stream (`/api/events`) send and
 * accept. Times are epoch milliseconds, sizes bytes. Errors are the {@link ErrorEnvelope} of
 * `errors.ts` with these statuses: 400 bad input, 401 not logged in (or the session expired), 403
 * a viewer asking for an admin action or a missing/wrong CSRF token, 404, 409 a name already taken,
 * 429 too many failed logins, 503 the database is away.
 *
 * Every request that changes something (POST, PUT, PATCH, DELETE) carries the session's CSRF token
 * in `X-CSRF-Token`; the session itself is the `corral_session` cookie (HttpOnly, SameSite=Strict).
 *
 * @module
 */

import type { AgentSnapshot } from "./protocol.ts";

/** What a user may do: viewers see everything but secrets and change nothing. */
export type Role = "admin" | "viewer";

/** The header that carries the CSRF token. */
export const CSRF_HEADER = "x-csrf-token";
/** The session cookie's name. */
export const SESSION_COOKIE = "corral_session";

/**
 * `GET /api/auth/state`, answered to anyone: `accounts` is false when the hub has no database
 * (history off), in which case the control plane is open to whoever reaches it (loopback by
 * default) and every caller acts as an admin; `setupNeeded` is true until the first admin exists.
 */
export interface AuthState {
  accounts: boolean;
  setupNeeded: boolean;
  hub: { name: string; version: string };
}

/** The logged-in user, as `GET /api/auth/me`, `POST /api/auth/login` and `/setup` answer. */
export interface Me {
  user: { id: number; username: string; role: Role };
  /** Send back in {@link CSRF_HEADER} on every change. */
  csrf: string;
}

/** `POST /api/auth/login`. A wrong username and a wrong password get the same 401. */
export interface LoginRequest {
  username: string;
  password: string;
}

/** `POST /api/auth/setup`: creates the first admin with the one-time token the hub printed. */
export interface SetupRequest {
  token: string;
  username: string;
  password: string;
}

/** A user as `GET /api/users` lists them (admins only). */
export interface UserView {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  lastLogin: number | null;
  disabled: boolean;
}

/** `POST /api/users`; passwords need at least {@link MIN_PASSWORD} characters. */
export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

/** `PATCH /api/users/:id`: any of these. An admin cannot demote, disable or delete the last admin. */
export interface UserChange {
  role?: Role;
  password?: string;
  disabled?: boolean;
}

/** The shortest password accepted. */
export const MIN_PASSWORD = 8;

/** A client API key as `GET /api/keys` lists it; the key itself is shown only once, at creation. */
export interface ApiKeyView {
  /** `null` for keys from the hub's configuration file, which the dashboard cannot revoke. */
  id: number | null;
  name: string;
  /** Model name patterns (`qwen3:8b`, `qwen3:*`); `null` allows every model. */
  models: string[] | null;
  source: "dashboard" | "config";
  createdBy: string | null;
  createdAt: number | null;
  lastUsed: number | null;
  revokedAt: number | null;
}

/** `POST /api/keys` (admins). */
export interface NewApiKey {
  name: string;
  models: string[] | null;
}

/** The answer to `POST /api/keys`: `secret` is the key, never shown again. */
export interface CreatedApiKey {
  key: ApiKeyView;
  secret: string;
}

/** `GET /api/settings`. */
export interface SettingsView {
  hub: { name: string; version: string; dataUrl: string; controlUrl: string };
  /** Whether the data plane asks clients for an API key. */
  apiKeysRequired: boolean;
  fleetKey: {
    /** Whether the hub has one (false only when started insecure). */
    present: boolean;
    /** The first 16 hex digits of SHA-256 of the key: enough to compare with an agent's. */
    fingerprint: string | null;
  };
  history: {
    enabled: boolean;
    backend: "postgres" | "pglite" | null;
    retentionMs: number;
    rollupRetentionMs: number;
    sampleIntervalMs: number;
  };
}

/** A point of a host's sparkline: GPU and CPU busy (percent) and VRAM used (fraction 0-1). */
export interface SparkPoint {
  t: number;
  gpu: number | null;
  cpu: number | null;
  vram: number | null;
}

/** One host as the dashboard shows it (the hub's registry record, plus what the router decided). */
export interface HostView {
  id: string;
  name: string;
  kind: "agent" | "ollama";
  url: string;
  source: string;
  status: "online" | "degraded" | "offline" | "draining" | "maintenance";
  since: number;
  reason: string | null;
  lastSeen: number;
  /** Requests the hub has in flight on this host now. */
  inFlight: number;
  freeVram: number;
  totalVram: number;
  hot: boolean;
  lowMemory: boolean;
  diskFull: boolean;
  /** The agent's last snapshot; `null` before the first one. */
  snapshot: AgentSnapshot | null;
}

/** A pull the hub runs for the dashboard, one per host. */
export interface PullJob {
  id: string;
  model: string;
  hostId: string;
  hostName: string;
  state: "running" | "done" | "failed" | "cancelled";
  /** Ollama's last status line (`pulling manifest`, `pulling 8eeb52dfb3bb`, `success`); `starting`
   * until the first line arrives. */
  status: string;
  /** Bytes done and in all, summed over the layers seen so far; `null` until a layer reports. */
  completed: number | null;
  total: number | null;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  /** Who started it. */
  by: string | null;
}

/**
 * `POST /api/models/pull`: `host` is a host id, or `"all"` for every host taking requests now; the
 * answer is `{ jobs: PullJob[] }`, as is `GET /api/pulls`. `DELETE /api/pulls/:id` cancels one and
 * answers with it.
 */
export interface PullRequest {
  model: string;
  host: string;
}

/** `POST /api/models/load`, `/unload` and `/delete`: one model on one host (by id). */
export interface ModelAction {
  model: string;
  host: string;
  /**
   * For load: how long Ollama keeps it, a Go duration (`"30m"`, `"2h"`) or whole seconds (`"-1"` for
   * ever, `"0"` at once); Ollama's default when absent.
   */
  keepAlive?: string;
}

/** The answer to a load, unload or delete. */
export interface ModelActionResult {
  ok: true;
  /** The host's id. */
  host: string;
  model: string;
  durationMs: number;
}

/** Everything the dashboard needs at once: the first event of the stream, and after a reconnect. */
export interface FleetState {
  hub: { name: string; version: string };
  time: number;
  hosts: HostView[];
  /** The last few minutes of each host's sparkline, by host id. */
  sparks: Record<string, SparkPoint[]>;
  pulls: PullJob[];
  /** Requests waiting in the fleet queue. */
  queued: number;
}

/**
 * The events of `GET /api/events` (server-sent events, `event:` is the key, `data:` the JSON):
 * `fleet` first and after every reconnect, then changes as they happen, coalesced to at most a few
 * per second per host. A comment line every 15 s keeps proxies from closing the stream.
 */
export interface LiveEvents {
  fleet: FleetState;
  host: HostView;
  "host-removed": { id: string };
  spark: { id: string; point: SparkPoint };
  pull: PullJob;
  queue: { queued: number };
}
