/**
 * The simulator's HTTP app: Ollama's native and OpenAI routes, the `/_sim` side endpoint, and the
 * behaviour that real clients notice around them: `Ollama is running` at `/`, plain-text 404 and
 * 405 (with `Allow`, as gin sends), injected faults, and one place where errors become responses
 * in the dialect of the endpoint.
 *
 * @module
 */

import { Hono } from "hono";
import { SimError } from "./errors.ts";
import { methodNotAllowed, nativeError, text, toSimError } from "./http.ts";
import { inferenceRoutes } from "./routes_inference.ts";
import { modelRoutes } from "./routes_models.ts";
import { openAIError, openAIRoutes } from "./routes_openai.ts";
import { simRoutes } from "./routes_sim.ts";
import type { Simulator } from "./simulator.ts";

/** Paths where Ollama registers HEAD as well as GET; Hono would answer HEAD on every GET route. */
const HEAD_PATHS = new Set(["/", "/api/version", "/api/tags"]);

/** Creates the HTTP app of a simulator. */
export function createSimApp(sim: Simulator): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    const path = c.req.path;
    if (path.startsWith("/_sim/")) return await next();
    if (c.req.method === "HEAD" && !HEAD_PATHS.has(path) && !path.startsWith("/api/blobs/")) {
      return allowedMethods(app, path);
    }
    const stall = sim.faults.takeStall();
    if (stall !== undefined) await sim.clock.sleep(stall, c.req.raw.signal).catch(() => {});
    const fail = sim.faults.takeFail(path);
    if (fail) throw new SimError(fail.status, fail.error);
    await next();
  });

  app.get("/", (c) => c.text("Ollama is running"));
  app.route("/", modelRoutes(sim));
  app.route("/", inferenceRoutes(sim));
  app.route("/", openAIRoutes(sim));
  app.route("/", simRoutes(sim));

  app.notFound((c) => allowedMethods(app, c.req.path) ?? text("404 page not found", 404));

  app.onError((error, c) => {
    const e = toSimError(error);
    return c.req.path.startsWith("/v1/") ? openAIError(e) : nativeError(e);
  });

  return app;
}

/** gin's answer for a known path with the wrong method: 405 with the methods it does allow. */
function allowedMethods(app: Hono, path: string): Response | undefined {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const pattern = new RegExp(
      "^" + route.path.replace(/:[^/{]+\{[^}]+\}/g, ".+").replace(/:[^/]+/g, "[^/]+") + "$",
    );
    if (!pattern.test(path)) continue;
    methods.add(route.method);
    if (route.method === "GET" && HEAD_PATHS.has(path)) methods.add("HEAD");
  }
  if (methods.size === 0) return undefined;
  return methodNotAllowed([...methods]);
}
