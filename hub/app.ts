/**
 * The data plane (port 11434): one Hono app that speaks the whole Ollama API and the OpenAI and
 * Anthropic compatibility APIs for the fleet. Client API keys are checked here, before any route;
 * unknown paths and methods answer exactly as Ollama does (`404 page not found`,
 * `405 method not allowed`, plain text).
 *
 * @module
 */

import { Hono } from "hono";
import { dialectOf, errorResponse } from "../shared/dialect.ts";
import { basicRoutes } from "./routes/basics.ts";
import type { HubDeps, HubEnv } from "./routes/context.ts";
import { INFERENCE_PATHS, inferenceRoutes } from "./routes/inference.ts";
import { modelRoutes } from "./routes/models.ts";

export type { HubDeps, HubEnv } from "./routes/context.ts";

/** Paths the data plane serves, for telling a wrong method (405) from an unknown path (404). */
const KNOWN = new Set<string>([
  "/",
  "/api/version",
  "/api/status",
  "/api/tags",
  "/api/ps",
  "/api/show",
  "/api/pull",
  "/api/push",
  "/api/create",
  "/api/copy",
  "/api/delete",
  "/v1/models",
  ...INFERENCE_PATHS,
]);

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain" } });
}

/** Builds the data-plane app. */
export function createDataApp(deps: HubDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();

  app.use("*", async (c, next) => {
    const { method, path } = c.req;
    const liveness = path === "/" && (method === "GET" || method === "HEAD");
    if (!deps.keyring || liveness) {
      c.set("apiKey", null);
      return await next();
    }
    const result = await deps.keyring.check(c.req.raw.headers, path);
    if (!result.ok && deps.keysOptional) {
      c.set("apiKey", null);
      return await next();
    }
    if (!result.ok) return errorResponse(dialectOf(path), result.status, result.message);
    c.set("apiKey", result.key);
    if (c.env?.trace && result.key) c.env.trace.apiKey = result.key.name;
    await next();
  });

  app.route("/", basicRoutes(deps));
  app.route("/", inferenceRoutes(deps));
  app.route("/", modelRoutes(deps));

  app.notFound((c) => {
    const known = KNOWN.has(c.req.path) || c.req.path.startsWith("/api/blobs/") ||
      c.req.path.startsWith("/v1/models/");
    return known ? plain(405, "405 method not allowed") : plain(404, "404 page not found");
  });
  app.onError((error, c) => {
    console.error(`corral-hub: ${c.req.method} ${c.req.path} failed:`, error);
    return errorResponse(dialectOf(c.req.path), 500, "internal error in the Corral hub");
  });
  return app;
}
