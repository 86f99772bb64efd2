/**
 * The control plane (port 11400, loopback by default): the registry as JSON, operators' drain /
 * maintenance / resume, and health. The dashboard (issue #6) and history (issue #5) build on it;
 * until users and sessions exist it must stay on a private interface.
 *
 * @module
 */

import { Hono } from "hono";
import { FleetError, toErrorBody } from "../shared/errors.ts";
import type { HostRecord } from "./host.ts";
import type { AdminState } from "./host_status.ts";
import type { InFlightTable } from "./in_flight.ts";
import type { FleetQueue } from "./queue.ts";
import type { Registry } from "./registry.ts";
import { historyRoutes } from "./history/api.ts";
import type { History } from "./history/history.ts";
import { DEFAULT_RAW_RETENTION_MS } from "./history/settings.ts";
import type { Logger } from "./log.ts";

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
}

/** A host as the control plane shows it (the router's maps become lists). */
export function hostView(host: HostRecord, inFlight: InFlightTable) {
  const { route, snapshot } = host;
  return {
    id: host.id,
    name: host.name,
    kind: host.kind,
    url: host.url,
    source: host.source,
    status: host.status,
    since: host.since,
    reason: host.reason,
    lastSeen: host.lastSeen,
    inFlight: inFlight.total(host.id),
    loaded: snapshot?.ollama.loaded.map((m) => m.name) ?? [],
    models: snapshot?.ollama.models.map((m) => m.name) ?? [],
    freeVram: route.freeVram,
    totalVram: route.totalVram,
    hot: route.hot,
    lowMemory: route.lowMemory,
    diskFull: route.diskFull,
    snapshot,
  };
}

const ACTIONS: Record<string, AdminState> = {
  drain: "draining",
  maintenance: "maintenance",
  resume: "none",
};

/** Builds the control-plane app. */
export function createControlApp(deps: ControlDeps): Hono {
  const { registry, inFlight, queue, now = Date.now } = deps;
  const app = new Hono();
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
