/**
 * The endpoints that need no host: `GET /` (liveness), `/api/version` (the fleet's version),
 * `/api/status`, and clear refusals for ollama.com's cloud endpoints, which a fleet hub does not
 * proxy.
 *
 * @module
 */

import { Hono } from "hono";
import { errorResponse, JSON_CONTENT_TYPE } from "../../shared/dialect.ts";
import type { HubDeps, HubEnv } from "./context.ts";
import { usableHosts } from "./context.ts";

/** Compares dotted numeric versions (`0.9.10` > `0.9.2`); pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split("-")[0]!.split(".").map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The version the fleet as a whole can promise: the oldest Ollama among the usable hosts, since a
 * request may land on any of them; `0.0.0` (what development builds say) when none is known.
 */
export function fleetVersion(versions: readonly (string | null)[]): string {
  const known = versions.filter((v): v is string => !!v && /^v?\d+(\.\d+)*/.test(v));
  if (known.length === 0) return "0.0.0";
  return known.reduce((a, b) => (compareVersions(a, b) <= 0 ? a : b)).replace(/^v/, "");
}

const CLOUD_ONLY = [
  ["POST", "/api/me"],
  ["POST", "/api/signout"],
  ["DELETE", "/api/user/keys/*"],
  ["POST", "/api/experimental/web_search"],
  ["POST", "/api/experimental/web_fetch"],
  ["GET", "/api/experimental/model-recommendations"],
] as const;

/** The routes that answer without a host. */
export function basicRoutes(deps: HubDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const running = () =>
    new Response("Ollama is running", { headers: { "content-type": "text/plain; charset=utf-8" } });
  app.get("/", running);
  app.on("HEAD", "/", running);

  const version = () => {
    const v = fleetVersion(usableHosts(deps).map((h) => h.snapshot?.ollama.version ?? null));
    return new Response(JSON.stringify({ version: v }), {
      headers: { "content-type": JSON_CONTENT_TYPE },
    });
  };
  app.get("/api/version", version);

  app.get(
    "/api/status",
    () =>
      new Response(JSON.stringify({ cloud: { disabled: true, source: "none" } }), {
        headers: { "content-type": JSON_CONTENT_TYPE },
      }),
  );

  for (const [method, path] of CLOUD_ONLY) {
    app.on(method, path, (c) =>
      errorResponse(
        "ollama",
        501,
        `${c.req.path} is an ollama.com cloud endpoint, which a Corral hub does not proxy: ` +
          "use it on a host directly",
      ));
  }
  return app;
}
