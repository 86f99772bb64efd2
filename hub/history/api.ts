/**
 * The history API, mounted by the control plane at `/api/history`: usage and metric series for
 * the dashboard's charts (uPlot's columnar data, times in epoch seconds), and the event and
 * request logs as pages (times in epoch ms). Parameters are parsed by `params.ts`, the SQL is in
 * the `*_queries.ts` files; errors are thrown as {@link FleetError}s for the control plane's
 * `onError`.
 *
 * A database failure answers 503 (never 500) without SQL or a URL in the message; its cause goes
 * to the log.
 *
 * @module
 */

import { Hono } from "hono";
import { FleetError } from "../../shared/errors.ts";
import { log as hubLog, type Logger } from "../log.ts";
import type { Queryable } from "./db.ts";
import { facets, hosts } from "./host_queries.ts";
import { modelEvents, requestById, requests, serverEvents } from "./log_queries.ts";
import { fleetMetric, hostMetrics } from "./metric_queries.ts";
import {
  given,
  isUuid,
  parseChoice,
  parseChoices,
  parseCursor,
  parseLimit,
  parseRange,
  parseStatus,
  parseWindow,
  type QueryParams,
} from "./params.ts";
import type { ModelEventKind, ServerEventKind } from "../../shared/history_api.ts";
import { usage, USAGE_BY } from "./usage_queries.ts";

/** What the history API reads. */
export interface HistoryDeps {
  db: Queryable;
  /** False until the history database is open and migrated: the API answers 503 meanwhile. */
  ready: () => boolean;
  /** How long raw rows are kept; older ranges need a step of whole hours (the rollups). */
  rawRetentionMs: number;
  /** @default Date.now */
  now?: () => number;
  /** Where database failures are reported. @default the hub's log */
  log?: Logger;
}

const MODEL_EVENTS: readonly ModelEventKind[] = ["load", "unload", "added", "removed"];
const SERVER_EVENTS: readonly ServerEventKind[] = [
  "discovered",
  "online",
  "offline",
  "degraded",
  "draining",
  "maintenance",
  "reboot",
  "ollama-version",
  "removed",
];

/** The database as the routes see it: any failure of a query is a 503, logged with its cause. */
function guarded(db: Queryable, log: Logger): Queryable {
  function fail(error: unknown): never {
    if (error instanceof FleetError) throw error;
    log.error(`history: a query failed: ${(error as Error)?.message ?? String(error)}`);
    throw new FleetError(
      "UNAVAILABLE",
      "History database is unreachable: try again later",
      503,
      { cause: error },
    );
  }
  return {
    query: <T>(text: string, params?: readonly unknown[]) => db.query<T>(text, params).catch(fail),
    exec: (text) => db.exec(text).catch(fail),
  };
}

function required(params: QueryParams, name: string, what: string): string {
  const value = given(params[name]);
  if (value === undefined) {
    throw new FleetError("BAD_REQUEST", `Missing ${name}: pass ?${name}= with ${what}`, 400);
  }
  return value;
}

/** Builds the history routes, relative to where they are mounted. */
export function historyRoutes(deps: HistoryDeps): Hono {
  const { ready, rawRetentionMs, now = Date.now, log = hubLog } = deps;
  const db = guarded(deps.db, log);
  const app = new Hono();

  app.use("*", async function requireReady(_c, next) {
    if (!ready()) {
      throw new FleetError(
        "UNAVAILABLE",
        "history is not available yet: the history database is still opening",
        503,
      );
    }
    await next();
  });

  app.get("/usage", async (c) => {
    const q = c.req.query();
    const at = now();
    const window = parseWindow(q, { now: at, rawRetentionMs });
    const by = parseChoice(q.by, { param: "by", choices: USAGE_BY, fallback: "model" });
    return c.json(
      await usage(db, {
        window,
        by,
        model: given(q.model),
        host: given(q.host),
        key: given(q.key),
        limit: parseLimit(q.limit),
        rawRetentionMs,
        now: at,
      }),
    );
  });

  app.get("/metrics", async (c) => {
    const q = c.req.query();
    const at = now();
    const host = required(q, "host", "a host's id or name");
    const window = parseWindow(q, { now: at, rawRetentionMs });
    return c.json(await hostMetrics(db, { host, window, rawRetentionMs, now: at }));
  });

  app.get("/fleet-metrics", async (c) => {
    const q = c.req.query();
    const at = now();
    const metric = required(q, "metric", "a metric's name, such as cpu_util or utilization");
    const window = parseWindow(q, { now: at, rawRetentionMs });
    const limit = parseLimit(q.limit);
    return c.json(await fleetMetric(db, { metric, window, limit, rawRetentionMs, now: at }));
  });

  app.get("/model-events", async (c) => {
    const q = c.req.query();
    return c.json(
      await modelEvents(db, {
        range: parseRange(q, now()),
        limit: parseLimit(q.limit),
        cursor: parseCursor(q.cursor),
        host: given(q.host),
        model: given(q.model),
        event: parseChoices(q.event, { param: "event", choices: MODEL_EVENTS }),
      }),
    );
  });

  app.get("/server-events", async (c) => {
    const q = c.req.query();
    return c.json(
      await serverEvents(db, {
        range: parseRange(q, now()),
        limit: parseLimit(q.limit),
        cursor: parseCursor(q.cursor),
        host: given(q.host),
        event: parseChoices(q.event, { param: "event", choices: SERVER_EVENTS }),
      }),
    );
  });

  app.get("/requests", async (c) => {
    const q = c.req.query();
    return c.json(
      await requests(db, {
        range: parseRange(q, now()),
        limit: parseLimit(q.limit),
        cursor: parseCursor(q.cursor),
        host: given(q.host),
        model: given(q.model),
        key: given(q.key),
        status: parseStatus(q.status),
        endpoint: given(q.endpoint),
      }),
    );
  });

  app.get("/requests/:id", async (c) => {
    const id = c.req.param("id");
    if (!isUuid(id)) {
      throw new FleetError("BAD_REQUEST", `Invalid request id "${id}": expected a UUID`, 400);
    }
    return c.json(await requestById(db, id));
  });

  app.get("/hosts", async (c) => c.json({ hosts: await hosts(db) }));

  app.get("/facets", async (c) => c.json(await facets(db, parseRange(c.req.query(), now()))));

  return app;
}
