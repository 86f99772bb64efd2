/**
 * The dashboard's model management on the control plane, mounted at `/api`:
 *
 * - `POST /models/pull` ({@link PullRequest}) → `{ jobs: PullJob[] }`: one job per host, `"all"`
 *   meaning every host that takes requests now; progress then comes as `pull` events on the live
 *   stream (and from `GET /pulls`);
 * - `GET /pulls` → `{ jobs: PullJob[] }`; `DELETE /pulls/:id` → the cancelled job;
 * - `POST /models/load`, `/models/unload`, `/models/delete` ({@link ModelAction}) →
 *   {@link ModelActionResult}, once the host has done it.
 *
 * Errors are thrown as {@link FleetError}s for the control plane's `onError`: 400 a bad body, 404
 * an unknown host, model or job, 503 a host that is away. Who is allowed is the auth guard's
 * business (admins only); the user it sets (`c.get("user")`) is recorded with each pull.
 *
 * @module
 */

import { Hono } from "hono";
import type { ModelAction, PullRequest } from "../shared/dashboard.ts";
import { FleetError } from "../shared/errors.ts";
import { modelKey } from "../shared/model_name.ts";
import { type ModelActions, reachableHost } from "./model_actions.ts";
import type { PullJobs } from "./pull_jobs.ts";
import type { Registry } from "./registry.ts";
import { takesRequests } from "./router.ts";

/** What the model routes use. */
export interface ModelRoutesDeps {
  registry: Registry;
  pulls: PullJobs;
  actions: ModelActions;
}

/** Hono's environment: the logged-in user, when the auth guard in front has set one. */
export type ModelRoutesEnv = {
  Variables: { user?: { username: string } | null };
};

function badRequest(message: string): FleetError {
  return new FleetError("BAD_REQUEST", message, 400);
}

async function readObject(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw badRequest("The request body must be JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/**
 * Reads a {@link PullRequest} (`host` may be `"all"`) or a {@link ModelAction}, or throws a 400
 * that says what is wrong.
 */
async function readModelHost(request: Request, what: "pull" | "action"): Promise<ModelAction> {
  const body = await readObject(request);
  const { model, host } = body;
  if (typeof model !== "string" || !modelKey(model.trim())) {
    throw badRequest(`'model' must be a model name such as "qwen3:8b"`);
  }
  if (typeof host !== "string" || host === "") {
    throw badRequest(`'host' must be a host id${what === "pull" ? ` or "all"` : ""}`);
  }
  const action: ModelAction = { model: model.trim(), host };
  if (what === "action" && body.keepAlive !== undefined && body.keepAlive !== null) {
    if (typeof body.keepAlive !== "string") {
      throw badRequest(`'keepAlive' must be a string such as "30m", or "-1" for ever`);
    }
    action.keepAlive = body.keepAlive;
  }
  return action;
}

/** The model routes of the control plane. */
export function modelControlRoutes(deps: ModelRoutesDeps): Hono<ModelRoutesEnv> {
  const { registry, pulls, actions } = deps;
  const app = new Hono<ModelRoutesEnv>();

  app.post("/models/pull", async (c) => {
    const { model, host }: PullRequest = await readModelHost(c.req.raw, "pull");
    const hosts = host === "all"
      ? registry.records().filter((h) => takesRequests(h.route))
      : [reachableHost(registry, host, `pull "${model}"`)];
    if (hosts.length === 0) {
      throw new FleetError("UNAVAILABLE", `Cannot pull "${model}": no host is online`, 503);
    }
    const by = c.get("user")?.username ?? null;
    return c.json({ jobs: pulls.start(model, hosts, by) });
  });

  app.get("/pulls", (c) => c.json({ jobs: pulls.list() }));
  app.delete("/pulls/:id", (c) => c.json(pulls.cancel(c.req.param("id"))));

  app.post("/models/load", async (c) => {
    const { model, host, keepAlive } = await readModelHost(c.req.raw, "action");
    return c.json(await actions.load(model, host, keepAlive));
  });
  app.post("/models/unload", async (c) => {
    const { model, host } = await readModelHost(c.req.raw, "action");
    return c.json(await actions.unload(model, host));
  });
  app.post("/models/delete", async (c) => {
    const { model, host } = await readModelHost(c.req.raw, "action");
    return c.json(await actions.delete(model, host));
  });

  return app;
}
