/**
 * The agent's HTTP API on port 11435, for hubs: state, state stream, the proxy to Ollama, metrics
 * and a health check. Everything but `/healthz` needs the fleet token (`Authorization: Bearer …`),
 * unless the agent runs `--insecure`.
 *
 * @module
 */

import { Hono } from "hono";
import { FleetError, toErrorBody } from "../shared/errors.ts";
import { timingSafeEqual } from "../shared/fleet_key.ts";
import { type AgentCounters, renderMetrics } from "./metrics.ts";
import type { ProxyHandler } from "./proxy.ts";
import type { AgentState } from "./state.ts";
import { stateStream } from "./stream.ts";

/** What the agent's app is built from. */
export interface AgentAppDeps {
  state: AgentState;
  /** The `/ollama/*` handler. */
  proxy: ProxyHandler;
  /** The token hubs must send; `null` when running insecure. */
  token: string | null;
  counters: () => AgentCounters;
  /** Ends every open state stream when aborted (the agent is stopping). */
  shutdown?: AbortSignal;
}

/** What `Deno.serve` passes with each request; Hono hands it to routes as `c.env`. */
export type AgentEnv = { Bindings: Pick<Deno.ServeHandlerInfo, "completed"> };

/** Builds the agent's Hono app; serve it with `Deno.serve((request, info) => app.fetch(request, info))`. */
export function createAgentApp(deps: AgentAppDeps): Hono<AgentEnv> {
  const { state, proxy, token, counters, shutdown } = deps;
  const expected = token === null ? null : `Bearer ${token}`;
  const app = new Hono<AgentEnv>();

  app.get("/healthz", (c) =>
    c.json({
      status: "ok",
      ollama: state.ollama.reachable ? "reachable" : "unreachable",
    }));

  app.use("*", async function authenticate(c, next) {
    if (expected === null) return await next();
    const given = c.req.header("authorization") ?? "";
    if (!timingSafeEqual(given, expected)) {
      throw new FleetError(
        "UNAUTHORIZED",
        given ? "Fleet token does not match" : "Missing fleet token: send Authorization: Bearer",
        401,
      );
    }
    await next();
  });

  app.get(
    "/v1/state",
    (c) => c.body(state.current().json, 200, { "content-type": "application/json" }),
  );

  app.get("/v1/state/stream", (c) => {
    const signal = shutdown ? AbortSignal.any([c.req.raw.signal, shutdown]) : c.req.raw.signal;
    return stateStream(state, { signal });
  });

  app.all("/ollama", (c) => proxy(c.req.raw, c.env.completed));
  app.all("/ollama/*", (c) => proxy(c.req.raw, c.env.completed));

  app.get("/metrics", (c) =>
    c.body(renderMetrics(state.current().snapshot, counters()), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    }));

  app.notFound((c) => {
    const { body } = toErrorBody("agent", new FleetError("NOT_FOUND", "No such endpoint", 404));
    return c.json(body, 404);
  });

  app.onError((error, c) => {
    if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
    const { status, body } = toErrorBody("agent", error);
    if (status === 500) console.error("agent: unexpected error:", error);
    // Proxied endpoints answer in Ollama's dialect, so that a client sees the reason.
    if (c.req.path.startsWith("/ollama")) {
      return c.json({ error: body.error.message }, status as 500, {
        "x-corral-error": body.error.code,
      });
    }
    return c.json(body, status as 500);
  });

  return app;
}
