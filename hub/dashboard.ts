/**
 * Serves the dashboard that `deno task web:build` wrote to `web/dist/`: `index.html` for each of the
 * app's pages (the app routes in the browser), and the content-hashed assets, cached for ever and
 * sent gzipped to browsers that accept it. Every answer carries a strict Content-Security-Policy
 * (same origin only: no CDN, no inline script) and `Referrer-Policy: no-referrer`, since the setup
 * link carries a token in its query.
 *
 * `index.html` is read on each request, so a rebuild shows at the next reload without a restart; an
 * asset is read once and kept.
 *
 * @module
 */

import { Hono } from "hono";

/** The app's pages, answered with `index.html`. */
export const APP_PAGES = ["/", "/models", "/history", "/settings", "/login", "/setup"] as const;

const DEFAULT_DIST = new URL("../web/dist/", import.meta.url);

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' " +
    "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'; form-action 'self'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Corral</title>
<body style="font:15px system-ui;background:#0d1117;color:#e6edf3;padding:40px">
<h1>The dashboard is not built</h1><p>Run <code>deno task web:build</code> and reload this page.
(<code>deno task hub</code> and <code>deno task demo</code> build it first.)</p>`;

interface Asset {
  raw: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer> | null;
  type: string;
}

/** The dashboard's routes, to be mounted at the control plane's root. */
export function dashboardRoutes(dist: URL = DEFAULT_DIST): Hono {
  const app = new Hono();
  const assets = new Map<string, Promise<Asset | null>>();

  const readAsset = async (name: string): Promise<Asset | null> => {
    const ext = name.slice(name.lastIndexOf(".") + 1);
    const type = TYPES[ext];
    if (!type || !/^[\w.-]+$/.test(name)) return null;
    try {
      const raw = await Deno.readFile(new URL(`assets/${name}`, dist));
      const gzip = await Deno.readFile(new URL(`assets/${name}.gz`, dist)).catch(() => null);
      return { raw, gzip, type };
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  };

  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    let asset = assets.get(name);
    if (!asset) {
      asset = readAsset(name);
      assets.set(name, asset);
    }
    const found = await asset;
    if (!found) {
      assets.delete(name);
      return c.text("Not found", 404);
    }
    const gzipped = found.gzip !== null && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "content-type": found.type,
      "cache-control": "public, max-age=31536000, immutable",
      vary: "accept-encoding",
    };
    if (gzipped) headers["content-encoding"] = "gzip";
    return c.body(gzipped ? found.gzip! : found.raw, 200, headers);
  });

  const index = async () => {
    let html: string;
    let status = 200;
    try {
      html = await Deno.readTextFile(new URL("index.html", dist));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      html = NOT_BUILT;
      status = 503;
    }
    return new Response(html, {
      status,
      headers: {
        ...SECURITY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  };
  for (const page of APP_PAGES) app.get(page, index);
  app.get("/favicon.ico", (c) => c.body(null, 204));
  return app;
}
