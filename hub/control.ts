/**
 * The control plane (port 11400, loopback by default): the registry as JSON, operators' drain /
 * maintenance / resume, and health. The dashboard (issue #6) and history (issue #5) build on it.
 * Everything under `/api` passes the accounts guard first (sessions, CSRF, roles; see
 * `accounts/guard.ts`); without a database there are no accounts, and the control plane must
 * then stay on a private interface.
 *
 * @module
 */

import { Hono } from "hono";
import { FleetError, toErrorBody } from "../shared/errors.ts";
import { CORRAL_VERSION } from "../shared/version.ts";
import { type Accounts, type AccountsEnv, openAccounts } from "./accounts/accounts.ts";
import { hostView } from "./host_view.ts";
import type { AdminState } from "./host_status.ts";
import type { InFlightTable } from "./in_flight.ts";
import type { FleetQueue } from "./queue.ts";
import type { Registry } from "./registry.ts";
import { historyRoutes } from "./history/api.ts";
import type { History } from "./history/history.ts";
import { DEFAULT_RAW_RETENTION_MS } from "./history/settings.ts";
import type { Logger } from "./log.ts";
import { dashboardRoutes } from "./dashboard.ts";
import { type LiveFeed, liveRoutes } from "./live.ts";
import { modelControlRoutes, type ModelRoutesDeps } from "./model_routes.ts";
import type { SettingsView } from "../shared/dashboard.ts";

/** What the control plane reads and changes. */
export interface ControlDeps {
  registry: Registry;
  inFlight: InFlightTable;
  queue: FleetQueue<unknown>;
  /** The history store; `null` when history is off (its API then answers 404). */
  history?: History | null;
  /** How long raw history rows are kept, for the history API's choice of source. */
  rawRetentionMs?: number;
  /** Where the history API reports database failures. @default the hub's log */
  log?: Logger;
  /** @default Date.now */
  now?: () => number;
  /** Users, sessions and API keys. @default no accounts: everyone is an admin */
  accounts?: Accounts;
  /** The dashboard's live event stream, `GET /api/events`. */
  live?: LiveFeed;
  /** Pulls and model actions: `/api/models/*`, `/api/pulls`. */
  models?: ModelRoutesDeps;
  /** `GET /api/settings`. */
  settings?: () => Promise<SettingsView>;
  /** Where the built dashboard is. @default `web/dist` */
  dashboard?: URL;
}

const ACTIONS: Record<string, AdminState> = {
  drain: "draining",
  maintenance: "maintenance",
  resume: "none",
};

/** Builds the control-plane app. */
export function createControlApp(deps: ControlDeps): Hono<AccountsEnv> {
  const { registry, inFlight, queue, now = Date.now } = deps;
  const accounts = deps.accounts ?? openAccounts([], { name: "corral", version: CORRAL_VERSION });
  const app = new Hono<AccountsEnv>();
  app.use("/api/*", accounts.guard);
  app.route("/api", accounts.routes);
  app.get("/healthz", (c) => {
    const hosts = registry.records();
    const online = hosts.filter((h) => h.status === "online" || h.status === "degraded").length;
    return c.json({
      ok: true,
      hosts: hosts.length,
      online,
      queued: queue.size,
      history: deps.history?.health() ?? null,
    });
  });
  if (deps.history) {
    const { history } = deps;
    app.route(
      "/api/history",
      historyRoutes({
        db: history.db,
        ready: history.ready,
        rawRetentionMs: deps.rawRetentionMs ?? DEFAULT_RAW_RETENTION_MS,
        now,
        log: deps.log,
      }),
    );
  }
  if (deps.live) app.route("/api", liveRoutes(deps.live));
  if (deps.models) app.route("/api", modelControlRoutes(deps.models));
  const { settings } = deps;
  if (settings) app.get("/api/settings", async (c) => c.json(await settings()));
  app.route("/", dashboardRoutes(deps.dashboard));
  app.get(
    "/api/hosts",
    (c) => c.json({ hosts: registry.records().map((h) => hostView(h, inFlight)) }),
  );
  app.get("/api/hosts/:id", (c) => {
    const host = registry.find(c.req.param("id"));
    if (!host) throw new FleetError("NOT_FOUND", `No host "${c.req.param("id")}"`, 404);
    return c.json(hostView(host, inFlight));
  });
  app.post("/api/hosts/:id/:action", (c) => {
    const admin = ACTIONS[c.req.param("action")];
    if (admin === undefined) {
      throw new FleetError(
        "NOT_FOUND",
        `No action "${c.req.param("action")}": drain, maintenance or resume`,
        404,
      );
    }
    const host = registry.find(c.req.param("id"));
    if (!host) throw new FleetError("NOT_FOUND", `No host "${c.req.param("id")}"`, 404);
    registry.setAdmin(host.id, admin, now());
    return c.json(hostView(host, inFlight));
  });
  app.notFound(() => {
    throw new FleetError("NOT_FOUND", "No such page", 404);
  });
  app.onError((error, c) => {
    const { status, body } = toErrorBody("hub", error);
    if (status === 500) console.error("corral-hub: control plane:", error);
    return c.json(body, status as 404);
  });
  return app;
}
