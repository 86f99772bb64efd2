/**
 * Client-side routing with `history.pushState`: the path is a signal, links call
 * {@link navigate}, the back button restores the path. The hub serves `index.html` for every
 * page's path, so a reload lands on the same page.
 *
 * @module
 */

import { signal } from "@preact/signals";

/** The dashboard's pages. */
export type Route = "fleet" | "models" | "history" | "settings" | "login" | "setup" | "not-found";

const ROUTES: Record<string, Route> = {
  "/": "fleet",
  "/models": "models",
  "/history": "history",
  "/settings": "settings",
  "/login": "login",
  "/setup": "setup",
};

/** The page for a path (`/models/` is `/models`); {@link Route} `not-found` for anything else. */
export function routeOf(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  return ROUTES[path || "/"] ?? "not-found";
}

/** The main navigation, in order, with each page's path. */
export const NAV: readonly { route: Route; path: string; label: string }[] = [
  { route: "fleet", path: "/", label: "Fleet" },
  { route: "models", path: "/models", label: "Models" },
  { route: "history", path: "/history", label: "History" },
  { route: "settings", path: "/settings", label: "Settings" },
];

/**
 * A safe place to go back to after logging in: a path of this dashboard (not `//host`, not the
 * login or setup page itself), else `/`.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  const route = routeOf(new URL(next, "http://x").pathname);
  return route === "login" || route === "setup" ? "/" : next;
}

/** False under `deno test`, where there is no page. */
const inBrowser = typeof document !== "undefined";

function here(): { path: string; search: string } {
  return inBrowser
    ? { path: location.pathname, search: location.search }
    : { path: "/", search: "" };
}

/** The current path (`/models`) and query string (`?token=…`). */
export const currentUrl = signal(here());

/** Goes to `to` (a path with an optional query) without reloading; `replace` keeps history short. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, location.href);
  if (url.pathname + url.search === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  currentUrl.value = here();
  scrollTo(0, 0);
}

/** The value of one query parameter of the current URL. */
export function queryParam(name: string): string | null {
  return new URLSearchParams(currentUrl.value.search).get(name);
}

if (inBrowser) {
  addEventListener("popstate", () => currentUrl.value = here());
}
